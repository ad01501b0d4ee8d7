"""Benchmark: the bot under load and at shutdown, over the wire (real discord.py client
against tests/discord_double.py on 127.0.0.1).

    .venv/bin/python bench/bot_load.py [--data ../shared/data/bbc_news.jsonl] [--articles 2225]
        [--rate 200] [--seconds 30] [--mode semantic] [--deadline 30] [--inflight 30] [--grace 20]

Load: /brief in `--mode` arrives at `--rate` a minute for `--seconds` (topics are article
titles, so every brief has matches); then it waits until every brief has its final answer
or `--drain` seconds pass. Each
brief is counted once: answered (in the mode asked), downgraded (fast extractive mode with a
note), apologised (busy / too slow), dropped (still "thinking..." at the end). The same run
is repeated with the queue deadline turned off (BRIEF_QUEUE_DEADLINE huge): the peer.

Shutdown: `--inflight` briefs in `--mode` are asked at once, the bot is closed with
SHUTDOWN_GRACE=`--grace`, and five more briefs arrive during the shutdown. Counted as above;
"refused" are the ones that arrived during shutdown. Run with the queue deadline, then without
it (every brief waits for its own mode).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["HF_HUB_OFFLINE"] = "1"

from discord_double import DiscordDouble, bot_settings, running_bot  # noqa: E402

from summarizer.config import Settings  # noqa: E402
from summarizer.sources.ingest import ingest  # noqa: E402
from summarizer.store import open_store  # noqa: E402
from summarizer.summaries import get_summarizer  # noqa: E402

BUSY = ("too many briefs", "took too long", "restarting")


def classify(interaction, mode: str) -> str:
    """answered | downgraded | apologised | dropped, from what the user sees now."""
    message = interaction.original
    if message is None or message.loading:
        return "dropped"
    if message.embeds:
        footer = message.embeds[0].get("footer", {}).get("text", "")
        return "answered" if footer.startswith(mode) else "downgraded"
    if any(word in message.content for word in BUSY):
        return "apologised"
    return "answered"  # a no-match or validation message is an answer too


def answered_at(double, interaction) -> float | None:
    """Seconds from the interaction to its final answer (the last successful edit or follow-up)."""
    times = [
        c.at
        for c in interaction.calls()
        if c.status < 300 and c.method in ("PATCH", "POST") and "callback" not in c.path
    ]
    return max(times) - interaction.created if times else None


def summary(double, asked, mode: str) -> dict:
    counts: dict[str, float] = {"answered": 0, "downgraded": 0, "apologised": 0, "dropped": 0}
    for ix in asked:
        counts[classify(ix, mode)] += 1
    latencies = sorted(t for t in (answered_at(double, ix) for ix in asked) if t is not None)
    if latencies:
        counts["p50_s"] = round(statistics.median(latencies), 1)
        counts["p95_s"] = round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1)
        counts["max_s"] = round(latencies[-1], 1)
    return counts


async def settle(double, asked, limit: float) -> None:
    try:
        await double.wait_for(lambda: all(ix.original and not ix.original.loading for ix in asked), limit)
    except TimeoutError:
        pass


def forget_sync(settings: Settings) -> None:
    """Each run has a new double, which must be told the commands again."""
    store = open_store(settings.database_path)
    with store.transaction():
        store.db.execute("DELETE FROM meta WHERE key LIKE 'commands_hash:%'")
    store.close()


async def load_run(settings: Settings, titles: list[str], args, deadline: float) -> dict:
    forget_sync(settings)
    async with DiscordDouble(max_lifetime=900) as double:
        tuned = bot_settings(settings, double, brief_queue_deadline=deadline, brief_cooldown_rate=0)
        async with running_bot(tuned) as bot:
            gap = 60.0 / args.rate
            asked = []
            started = time.monotonic()
            for n in range(int(args.rate * args.seconds / 60)):
                await asyncio.sleep(max(0.0, started + n * gap - time.monotonic()))
                topic = titles[n % len(titles)][:100]
                asked.append(
                    await double.slash(
                        "brief",
                        {"topic": topic, "mode": args.mode},
                        member=double.member(user_id=str(500000000000001000 + n)),
                    )
                )
            await settle(double, asked, args.drain)
            result = summary(double, asked, args.mode)
            measured = bot.get_cog("BriefCog").load.seconds  # moving average, seconds a brief
        result["asked"] = len(asked)
        result["s_per_brief"] = {mode: round(seconds, 2) for mode, seconds in measured.items()}
        return result


async def shutdown_run(settings: Settings, titles: list[str], args, deadline: float) -> dict:
    forget_sync(settings)
    async with DiscordDouble(max_lifetime=900) as double:
        tuned = bot_settings(
            settings, double, shutdown_grace=args.grace, brief_cooldown_rate=0, brief_queue_deadline=deadline
        )
        async with running_bot(tuned) as bot:
            asked = [
                await double.slash(
                    "brief",
                    {"topic": titles[n % len(titles)][:100], "mode": args.mode},
                    member=double.member(user_id=str(500000000000002000 + n)),
                )
                for n in range(args.inflight)
            ]
            await asyncio.gather(*(ix.wait_response() for ix in asked))
            closing = asyncio.get_running_loop().create_task(bot.close())
            await asyncio.sleep(0.5)
            late = [
                await double.slash(
                    "brief",
                    {"topic": titles[0][:100]},
                    member=double.member(user_id=str(500000000000003000 + n)),
                )
                for n in range(5)
            ]
            await closing
        result = summary(double, asked, args.mode)
        result["asked"] = len(asked)
        result["refused_during_shutdown"] = sum(
            1
            for ix in late
            if ix.response and "restarting" in (ix.response.get("data") or {}).get("content", "")
        )
        result["arrived_during_shutdown"] = len(late)
        return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "bbc_news.jsonl"))
    parser.add_argument("--articles", type=int, default=2225)
    parser.add_argument("--rate", type=float, default=200.0, help="briefs a minute")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--mode", default="semantic")
    parser.add_argument("--deadline", type=float, default=30.0)
    parser.add_argument("--drain", type=float, default=120.0, help="seconds to wait for the last answers")
    parser.add_argument("--inflight", type=int, default=30)
    parser.add_argument("--grace", type=float, default=20.0)
    parser.add_argument("--skip", default="", help="comma-separated: load,peer,shutdown,shutdown-peer")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "articles.jsonl"
        titles = []
        with open(args.data, encoding="utf-8") as source, open(records, "w", encoding="utf-8") as out:
            for n, line in enumerate(source):
                if n >= args.articles:
                    break
                record = json.loads(line)
                titles.append(record["title"])
                out.write(
                    json.dumps(
                        {
                            "url": f"https://bench.example/{n}",
                            "title": record["title"],
                            "text": record["text"],
                        }
                    )
                    + "\n"
                )
        settings = Settings(
            database_path=str(Path(tmp) / "bench.db"), allow_private_urls=True, log_level="WARNING"
        )
        store = open_store(settings.database_path)
        ingest(store, [str(records)], settings)
        store.close()
        get_summarizer(args.mode, settings).prepare()  # the bot prepares its modes at start too
        skip = set(args.skip.split(","))
        print(f"{args.articles} articles; {args.mode} briefs at {args.rate:g}/min for {args.seconds:g} s")
        if "load" not in skip:
            print("deadline", args.deadline, "s:", await load_run(settings, titles, args, args.deadline))
        if "peer" not in skip:
            print("no deadline (peer):", await load_run(settings, titles, args, 1e9))
        if "shutdown" not in skip:
            print(
                f"shutdown with {args.inflight} in flight, grace {args.grace:g} s, "
                f"deadline {args.deadline:g} s:",
                await shutdown_run(settings, titles, args, args.deadline),
            )
        if "shutdown-peer" not in skip:
            print(
                f"shutdown with {args.inflight} in flight, grace {args.grace:g} s, no deadline:",
                await shutdown_run(settings, titles, args, 1e9),
            )


if __name__ == "__main__":
    asyncio.run(main())
