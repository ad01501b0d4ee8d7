"""Benchmark: several processes on one store (issue 9).

    .venv/bin/python bench/digest_shards.py [--database URL] [--channels 1000] [--guilds 100]
        [--check-interval 60s] [--records 10000] [--skip digests|ingest]

Digests: `--channels` channels in `--guilds` guilds spread over 2 shards, each subscribed to a
daily digest at the same minute; two `briefbot bot` processes (shards 0 and 1 of 2) against
tests/discord_double.py on 127.0.0.1. Counts the digests posted per channel (each must be 1),
which process posted them (its guild's shard must), and how late each was against its
scheduled time (the double's clock when the POST arrived): median, p95, max.

Ingest: two `briefbot ingest` processes store the same `--records` synthetic articles (JSONL)
into one store at once; counts what each process reported and what the store holds (each
article must be stored once).

`--database`: a SQLite path (or sqlite:///path; default a temp file) or a postgresql:// URL
(a fresh database: the bench adds to it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from discord_double import DiscordDouble, shard_of  # noqa: E402

from summarizer.briefs.digest import subscribe  # noqa: E402
from summarizer.config import Settings, parse_duration  # noqa: E402
from summarizer.embeddings import model_cache_dir  # noqa: E402
from summarizer.models import Document  # noqa: E402
from summarizer.store import Store, open_store  # noqa: E402

SHARDS = 2
POSTED = re.compile(r"posted the \S+ digest to channel (\d+)")
WORDS = (
    "harbour council budget rail energy grid court election school hospital river bridge port "
    "market wages housing drought flood vaccine museum festival airport tunnel ferry union"
).split()


def open_database(database: str) -> Store:
    """The store at `database` (the same place the processes are pointed at)."""
    return open_store(database)


def database_env(database: str) -> dict[str, str]:
    return {"DATABASE_URL": database}


def base_env(database: str, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SHARD_", "DATABASE_"))}
    env.update(
        HOME=str(home),
        PYTHONPATH=str(REPO),
        MODEL_CACHE_DIR=str(model_cache_dir(Settings())),
        VECTOR_SEARCH="false",
        OMP_NUM_THREADS="1",
        **database_env(database),
    )
    return env


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def guild_on(shard: int, n: int) -> str:
    return str(((1_600_000_000 + SHARDS * n + shard) << 22) + 11)


# -- digests ------------------------------------------------------------------------------


def prepare_digests(database: str, guilds: dict[str, list[str]], at: datetime) -> None:
    """A few stories per guild, and every channel subscribed at `at` (UTC)."""
    with closing(open_database(database)) as store:
        with store.transaction():
            for n, guild in enumerate(guilds):
                for k in range(3):
                    words = [WORDS[(n + k * 7 + i) % len(WORDS)] for i in range(6)]
                    store.upsert(
                        Document(
                            url=f"https://bench.example/{guild}/{k}",
                            title=f"{words[0].title()} {words[1]} plan for {words[2]} {n}-{k}",
                            text=" ".join(
                                f"The {words[i % 6]} report number {k} of guild {n} was published "
                                f"on day {i}, officials said."
                                for i in range(12)
                            ),
                            scope=guild,
                        )
                    )
            for guild, channels in guilds.items():
                for channel in channels:
                    subscribe(
                        store,
                        guild,
                        channel,
                        time_of_day=at.strftime("%H:%M"),
                        timezone="UTC",
                        now=at - timedelta(hours=1),
                    )


async def run_digests(database: str, channels: int, guild_count: int, check_interval: str) -> dict:
    per_guild = channels // guild_count
    guilds = {
        guild_on(n % SHARDS, n // SHARDS): [
            str(((1_700_000_000 + n * per_guild + c) << 22) + 13) for c in range(per_guild)
        ]
        for n in range(guild_count)
    }
    now = datetime.now(UTC)
    # The first whole minute at least 45 s away: both processes are up and idle by then.
    at = (now + timedelta(seconds=105)).replace(second=0, microsecond=0)
    prepare_digests(database, {g: list(c) for g, c in guilds.items()}, at)
    home = Path(tempfile.mkdtemp(prefix="digest-shards-"))
    async with DiscordDouble(
        guilds={g: tuple(c) for g, c in guilds.items()}, shard_count=SHARDS, max_lifetime=900
    ) as double:
        # The double's clock is monotonic: the wall time of its zero, to date each POST.
        wall_offset = time.time() - double.now()
        env = base_env(database, home)
        env.update(
            DISCORD_TOKEN=double.token,
            DISCORD_API_BASE=double.base_url,
            DISCORD_GATEWAY_URL=double.gateway_url,
            SHARD_COUNT=str(SHARDS),
            POLL_IN_BOT="false",
            DIGEST_CHECK_INTERVAL=check_interval,
            DEFAULT_MODE="extractive",
        )
        logs = [home / f"shard{shard}.log" for shard in range(SHARDS)]
        processes = []
        for shard in range(SHARDS):
            with logs[shard].open("w") as log:
                processes.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "summarizer.cli",
                        "bot",
                        env={**env, "SHARD_IDS": str(shard)},
                        cwd=home,
                        stdout=log,
                        stderr=asyncio.subprocess.STDOUT,
                    )
                )

        def digest_posts() -> list:
            return [
                c
                for c in double.calls_to("POST /channels/{channel_id}/messages")
                if c.status == 200 and str((c.body or {}).get("content", "")).startswith("**Daily digest**")
            ]

        every = [c for cs in guilds.values() for c in cs]
        try:
            wait = (at - datetime.now(UTC)).total_seconds() + 240
            await double.wait_for(lambda: len({c.path for c in digest_posts()}) >= len(every), timeout=wait)
            await asyncio.sleep(max(5.0, parse_duration(check_interval).total_seconds() + 2))
        finally:
            for process in processes:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes:
                await asyncio.wait_for(process.wait(), 60)
        posts = digest_posts()
    per_channel = {c: 0 for c in every}
    lateness = []
    for call in posts:
        channel = call.path.split("/")[2]
        per_channel[channel] += 1
        lateness.append(call.at + wall_offset - at.timestamp())
    shard_of_channel = {c: shard_of(g, SHARDS) for g, cs in guilds.items() for c in cs}
    logged = [POSTED.findall(log.read_text()) for log in logs]  # what each process says it posted
    wrong_shard = sum(
        1 for shard, posted in enumerate(logged) for c in posted if shard_of_channel[c] != shard
    )
    return {
        "channels": len(every),
        "guilds": guild_count,
        "check_interval": check_interval,
        "posted_once": sum(1 for n in per_channel.values() if n == 1),
        "missing": sum(1 for n in per_channel.values() if n == 0),
        "repeated": sum(1 for n in per_channel.values() if n > 1),
        "posted_by_shard": [len(posted) for posted in logged],
        "posted_by_wrong_shard": wrong_shard,
        "late_p50_s": round(statistics.median(lateness), 1),
        "late_p95_s": round(percentile(lateness, 0.95), 1),
        "late_max_s": round(max(lateness), 1),
        "within_a_minute": sum(1 for s in lateness if s <= 60),
    }


# -- ingest ---------------------------------------------------------------------------------


def run_ingest(database: str, records: int) -> dict:
    home = Path(tempfile.mkdtemp(prefix="ingest-twice-"))
    path = home / "records.jsonl"
    published = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    with path.open("w") as out:
        for n in range(records):
            words = [WORDS[(n * 7 + i * 3) % len(WORDS)] for i in range(5)]
            text = " ".join(
                f"Record {n}: the {words[i % 5]} story, part {i}, was filed by the desk." for i in range(8)
            )
            out.write(
                json.dumps(
                    {
                        "url": f"https://bench.example/records/{n}",
                        "title": f"{words[0].title()} {words[1]} record {n}",
                        "text": text,
                        "published": published,
                    }
                )
                + "\n"
            )
    with closing(open_database(database)) as store:
        before = store.count()
    env = base_env(database, home)
    command = [sys.executable, "-m", "summarizer.cli", "ingest", "--quiet", str(path)]
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            command, env=env, cwd=home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=3600)[0] for process in processes]
    seconds = time.perf_counter() - started
    with closing(open_database(database)) as store:
        stored = store.count() - before
    return {
        "records": records,
        "exit_codes": [process.returncode for process in processes],
        "process_totals": [output.strip().splitlines()[-1] if output.strip() else "" for output in outputs],
        "stored": stored,
        "seconds_both": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database", default="", help="SQLite path or postgresql:// URL (default: temp file)"
    )
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--guilds", type=int, default=100)
    parser.add_argument("--check-interval", default="60s", help="DIGEST_CHECK_INTERVAL of the bots")
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--skip", default="", help="digests or ingest")
    args = parser.parse_args()
    if args.database:
        database_for = lambda part: args.database  # noqa: E731 (one store for both parts)
    else:
        folder = Path(tempfile.mkdtemp(prefix="bench-shards-"))
        database_for = lambda part: str(folder / f"{part}.db")  # noqa: E731
    if "digests" not in args.skip:
        result = asyncio.run(
            run_digests(database_for("digests"), args.channels, args.guilds, args.check_interval)
        )
        print(json.dumps({"digests": result}))
    if "ingest" not in args.skip:
        print(json.dumps({"ingest": run_ingest(database_for("ingest"), args.records)}))


if __name__ == "__main__":
    main()
