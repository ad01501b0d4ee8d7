"""Two `briefbot bot` processes as shards 0 and 1 of 2, against the Discord double, on one shared
store: guilds on both shards, digests due for several channels. Every digest is posted exactly
once, by the process of its guild's shard; one process killed (SIGKILL) and restarted mid-run
changes nothing of that."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from discord_double import DiscordDouble, bot_settings, process_env, running_bot, shard_of

from summarizer.briefs.digest import subscribe
from summarizer.models import Document
from summarizer.store import Store, open_store

pytestmark = pytest.mark.timeout(200)

REPO = Path(__file__).resolve().parent.parent
SHARDS = 2
POSTED = re.compile(r"posted the \S+ digest to channel (\d+)")


def guild_on(shard: int, n: int) -> str:
    """A guild id on `shard` of SHARDS: Discord's (id >> 22) % count is the shard."""
    return str(((1_500_000_000 + SHARDS * n + shard) << 22) + 7)


# Two guilds per shard, three channels each: two with a digest from the start, one with a
# digest subscribed while shard 1 is down.
GUILDS = {
    guild_on(shard, n): tuple(f"{guild_on(shard, n)[:-1]}{c}" for c in (1, 2, 3))
    for shard in range(SHARDS)
    for n in range(2)
}


@pytest.fixture
def database(database_url: str) -> str:
    """The one store both processes share: a SQLite file, or a schema on the PostgreSQL test
    server (the `backend` parametrization of conftest.py)."""
    return database_url


def database_env(database: str) -> dict[str, str]:
    """What points a briefbot process at `database`."""
    return {"DATABASE_URL": database}


def open_database(database: str) -> Store:
    return open_store(database)


def subscribe_due(database: str, channels: list[tuple[str, str]]) -> None:
    """Digests at a time that passed a minute ago (due at once, well within the grace)."""
    now = datetime.now(UTC)
    at = (now - timedelta(minutes=1)).strftime("%H:%M")
    with closing(open_database(database)) as store:
        for guild, channel in channels:
            subscribe(store, guild, channel, time_of_day=at, timezone="UTC", now=now - timedelta(minutes=10))


def digests_in(double: DiscordDouble, channel: str) -> int:
    return sum(1 for m in double.channel_messages(channel) if m.content.startswith("**Daily digest**"))


def posted_channels(log: Path) -> list[str]:
    return POSTED.findall(log.read_text())


async def start_shard(shard: int, env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("a") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "summarizer.cli",
            "bot",
            env={**env, "SHARD_IDS": str(shard)},
            cwd=env["HOME"],
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )


async def test_two_shard_processes_post_each_digest_once_by_the_right_shard(tmp_path, database):
    assert sorted({shard_of(guild, SHARDS) for guild in GUILDS}) == [0, 1]
    first = [(guild, channels[c]) for guild, channels in GUILDS.items() for c in (0, 1)]
    later = [(guild, channels[2]) for guild, channels in GUILDS.items()]
    with closing(open_database(database)) as store:
        for n, guild in enumerate(GUILDS):
            store.upsert(
                Document(
                    url=f"https://gazette.example/harbour-{n}",
                    title=f"Harbour works reach stage {n}",
                    text=f"The harbour authority said on Monday that the dredging reached stage {n}. "
                    "Ships will dock at the new quay in the spring, the authority said.",
                    scope=guild,
                )
            )
    subscribe_due(database, first)

    async with DiscordDouble(guilds=GUILDS, shard_count=SHARDS, max_lifetime=190) as double:
        env = process_env(
            double,
            tmp_path,
            SHARD_COUNT=str(SHARDS),
            POLL_IN_BOT="false",
            DIGEST_CHECK_INTERVAL="1s",
            VECTOR_SEARCH="false",
            DEFAULT_MODE="extractive",
            **database_env(database),
        )
        logs = {0: tmp_path / "shard0.log", 1: tmp_path / "shard1.log", "1b": tmp_path / "shard1-again.log"}
        processes = {shard: await start_shard(shard, env, logs[shard]) for shard in range(SHARDS)}
        try:
            await double.wait_for(lambda: all(digests_in(double, c) for _, c in first), timeout=90)
            assert double.connected_shards() == [0, 1]
            await asyncio.sleep(3)  # three more scheduler ticks in each process: nothing new
            assert {c: digests_in(double, c) for _, c in first} == {c: 1 for _, c in first}

            processes[1].send_signal(signal.SIGKILL)  # shard 1 dies mid-run
            await processes[1].wait()
            subscribe_due(database, later)
            mine = [c for g, c in later if shard_of(g, SHARDS) == 0]
            theirs = [c for g, c in later if shard_of(g, SHARDS) == 1]
            await double.wait_for(lambda: all(digests_in(double, c) for c in mine), timeout=30)
            await asyncio.sleep(3)
            assert [digests_in(double, c) for c in theirs] == [0] * len(theirs)  # shard 0 leaves them

            processes[1] = await start_shard(1, env, logs["1b"])
            await double.wait_for(lambda: all(digests_in(double, c) for c in theirs), timeout=90)
            await asyncio.sleep(3)
        finally:
            for process in processes.values():
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes.values():
                await asyncio.wait_for(process.wait(), 30)

    every = first + later
    assert {c: digests_in(double, c) for _, c in every} == {c: 1 for _, c in every}
    by_process = {name: posted_channels(log) for name, log in logs.items()}
    shard_of_channel = {c: shard_of(g, SHARDS) for g, c in every}
    assert sorted(by_process[0]) == sorted(c for c, s in shard_of_channel.items() if s == 0)
    assert sorted(by_process[1]) == sorted(c for g, c in first if shard_of(g, SHARDS) == 1)
    assert sorted(by_process["1b"]) == sorted(theirs)
    for name, log in logs.items():
        text = log.read_text()
        assert "Traceback" not in text, text[-3000:]
        assert "on shard(s) " + ("0" if name == 0 else "1") + " of 2" in text
        assert double.token not in text
    assert sorted(tuple(p["shard"]) for p in double.identify_payloads) == [(0, 2), (1, 2), (1, 2)]


async def test_one_process_running_both_shards_answers_every_guild_on_its_own_connection(settings):
    async with DiscordDouble(guilds=GUILDS, shard_count=SHARDS) as double:
        async with running_bot(bot_settings(settings, double, shard_count=SHARDS)) as bot:
            assert double.connected_shards() == [0, 1]
            assert sorted(str(guild.id) for guild in bot.guilds) == sorted(GUILDS)
            for guild in GUILDS:
                ix = await double.slash("digest list", guild_id=guild)
                reply = await ix.wait_response()
                assert "No channel in this server has a daily digest" in reply["data"]["content"]
                session = double.sessions[shard_of(guild, SHARDS)]
                assert any(
                    f["d"]["id"] == ix.id for f in session.sent_events if f["t"] == "INTERACTION_CREATE"
                )
    assert sorted(tuple(p["shard"]) for p in double.identify_payloads) == [(0, 2), (1, 2)]


async def test_shard_count_0_runs_as_many_shards_as_discord_recommends(settings):
    async with DiscordDouble(guilds=GUILDS, shard_count=SHARDS) as double:
        async with running_bot(bot_settings(settings, double, shard_count=0)) as bot:
            assert double.calls_to("GET /gateway/bot") and bot.shard_count == SHARDS
            assert double.connected_shards() == [0, 1]
            assert sorted(str(guild.id) for guild in bot.guilds) == sorted(GUILDS)
            assert all(bot.serves_guild(guild) for guild in GUILDS)


async def test_a_shard_process_gets_only_its_shards_guilds(settings):
    async with DiscordDouble(guilds=GUILDS, shard_count=SHARDS) as double:
        async with running_bot(bot_settings(settings, double, shard_count=SHARDS, shard_ids="1")) as bot:
            assert double.connected_shards() == [1]
            on_shard_1 = sorted(g for g in GUILDS if shard_of(g, SHARDS) == 1)
            assert sorted(str(guild.id) for guild in bot.guilds) == on_shard_1
            assert [bot.serves_guild(g) for g in sorted(GUILDS)] == [g in on_shard_1 for g in sorted(GUILDS)]


async def test_with_poll_in_bot_false_the_bot_leaves_due_feeds_to_the_workers(settings, http_server):
    feed = http_server.route("/feed.xml", "<rss/>", content_type="application/rss+xml")
    with closing(open_store(settings.store_url)) as store:
        store.add_source(feed)
    async with DiscordDouble() as double:
        async with running_bot(bot_settings(settings, double, poll_in_bot=False)) as bot:
            await asyncio.sleep(1.0)
            assert bot.get_cog("PollCog") is None
    assert http_server.requests_to("/feed.xml") == []
