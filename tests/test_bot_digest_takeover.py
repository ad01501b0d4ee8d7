"""A `briefbot bot` process killed (SIGKILL) while posting a digest, and started again: the
digest still arrives exactly once, message for message.

The digest has two messages (New stories, Developing stories). The Discord double holds one
of the channel's posts so the kill lands at a known point:
- `reached`: the first message reached Discord, the process never heard back; the restarted
  process sends it again with the same nonce and Discord (enforce_nonce) returns the existing
  message instead of a second one;
- `never sent`: the first message never reached Discord; the restarted process sends both;
- `between`: the first message went out and was recorded, the second never reached Discord;
  the restarted process sends only the second.
On SQLite and PostgreSQL (the store the two processes share)."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
from discord_double import NONCE_WINDOW, DiscordDouble, bot_settings, process_env, running_bot
from news_followups import (
    BATTERY,
    BATTERY_TITLE,
    FLOOD_DAY1,
    FLOOD_DAY2,
    FLOOD_FOLLOW_UP_TITLE,
    FLOOD_TITLE,
    text,
)
from test_bot_digest import Clock, _ticks

from bot.digests import digest_messages, rendering_of
from summarizer.briefs.digest import (
    compose_digest,
    digest_status,
    due_digests,
    get_subscription,
    mark_posted,
    record_digest,
    subscribe,
)
from summarizer.config import Settings
from summarizer.models import Document
from summarizer.store import open_store

pytestmark = pytest.mark.timeout(180)

REPO = Path(__file__).resolve().parent.parent
GRACE = timedelta(hours=6)
POST = "POST /channels/{channel_id}/messages"


def _ingest(store, title: str, sentences: list[str], at: datetime, host: str) -> None:
    slug = "-".join(re.findall(r"\w+", title.lower())[:5])
    store.upsert(
        Document(url=f"https://{host}/{slug}", title=title, text=text(sentences), published_at=at), now=at
    )


def _two_message_digest_due(settings: Settings, guild: str, channel: str, now: datetime) -> None:
    """Yesterday's digest told the flood; since then a follow-up and a new story arrived, and
    today's digest (due a minute before `now`) has a New and a Developing part: two messages."""
    at = (now - timedelta(minutes=1)).strftime("%H:%M")
    yesterday = now - timedelta(days=1)
    with closing(open_store(settings.store_url)) as store:
        _ingest(store, FLOOD_TITLE, FLOOD_DAY1, yesterday - timedelta(hours=2), "rivernews.example")
        subscription, _ = subscribe(store, guild, channel, "", at, "UTC", 5, now=now - timedelta(days=3))
        [(due, day)] = due_digests(store, yesterday, GRACE)
        assert record_digest(store, due, day, compose_digest(store, due, yesterday, settings), yesterday)
        mark_posted(store, subscription.id, day, yesterday)
        _ingest(store, FLOOD_FOLLOW_UP_TITLE, FLOOD_DAY2, now - timedelta(hours=2), "wire.example")
        _ingest(store, BATTERY_TITLE, BATTERY, now - timedelta(hours=2), "energy.example")


async def _bot(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("a") as output:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "summarizer.cli",
            "bot",
            env=env,
            cwd=env["HOME"],
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
        )


@pytest.mark.parametrize(
    ("kill_at", "held", "created"),
    [("reached", 1, True), ("never sent", 1, False), ("between", 2, False)],
)
async def test_a_bot_killed_while_posting_a_digest_posts_it_exactly_once_after_a_restart(
    tmp_path, settings, kill_at, held, created
):
    async with DiscordDouble(max_lifetime=170) as double:
        guild, channel = double.guild_id, double.channel_ids[0]
        _two_message_digest_due(settings, guild, channel, datetime.now(UTC))
        env = process_env(
            double,
            tmp_path,
            DATABASE_PATH=settings.database_path,
            DATABASE_URL=settings.database_url,
            POLL_IN_BOT="false",
            DIGEST_CHECK_INTERVAL="1s",
            DIGEST_LEASE="2s",
            VECTOR_SEARCH="false",
            DEFAULT_MODE="extractive",
        )
        first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
        double.hold_post(channel, nth=held, created=created)
        first = await _bot(env, first_log)
        try:
            await double.wait_for(lambda: double.held, timeout=90)
        finally:
            first.send_signal(signal.SIGKILL)  # mid-post: the held message never answered
            await first.wait()
        before = [m.content.split("\n")[-1] for m in double.channel_messages(channel)]
        assert (
            before
            == {"reached": ["**New stories**"], "never sent": [], "between": ["**New stories**"]}[kill_at]
        )

        second = await _bot(env, second_log)
        try:
            await double.wait_for(lambda: len(double.channel_messages(channel)) >= 2, timeout=90)
            await asyncio.sleep(3)  # three more scheduler ticks: nothing more is posted
        finally:
            second.send_signal(signal.SIGTERM)
            await asyncio.wait_for(second.wait(), 30)
        posted = double.channel_messages(channel)
        double.release_posts()
        await asyncio.sleep(0.2)  # a held post released now finds its poster gone
        assert double.channel_messages(channel) == posted
        sends = [c.body.get("nonce") for c in double.calls_to(POST) if c.body]
        assert all(c.body.get("enforce_nonce") is True for c in double.calls_to(POST) if c.body)

    # Exactly once, message for message: the header and New stories, then Developing stories.
    assert [m.content.split("\n")[-1] for m in posted] == ["**New stories**", "**Developing stories**"]
    assert posted[0].content.startswith("**Daily digest**") and "1 new story and 1 developing story" in (
        posted[0].content
    )
    assert [e["title"] for m in posted for e in m.embeds] == [
        f"1. {BATTERY_TITLE}",
        f"2. {FLOOD_FOLLOW_UP_TITLE}",
    ]
    # Each message's nonce was fixed by the claim: a resend carried the same one.
    nonce_0, nonce_1 = posted[0].nonce, posted[1].nonce
    assert nonce_0 and nonce_1 and nonce_0 != nonce_1
    expected = {
        "reached": [nonce_0, nonce_0, nonce_1],  # message 1 sent again, Discord returned it
        "never sent": [nonce_0, nonce_0, nonce_1],  # message 1 sent again, now for real
        "between": [nonce_0, nonce_1, nonce_1],  # only message 2 sent again
    }[kill_at]
    assert sends == expected
    assert [m.id for m in double.nonce_hits] == ([posted[0].id] if kill_at == "reached" else [])
    with closing(open_store(settings.store_url)) as store:
        rows = store.db.execute(
            "SELECT status, messages_sent, jump_url FROM digest_posts ORDER BY local_date"
        ).fetchall()
    assert [tuple(r) for r in rows][-1] == (
        "posted",
        2,
        f"https://discord.com/channels/{guild}/{channel}/{posted[0].id}",
    )
    second_text = second_log.read_text()
    assert "taken over from" in second_text and "Traceback" not in second_text, second_text[-3000:]
    assert "Traceback" not in first_log.read_text()
    assert double.token not in first_log.read_text() + second_text


def _sections(messages) -> list[str]:
    return [m.content.split("\n")[-1] for m in messages]


async def test_a_digest_failing_after_its_first_message_sends_only_the_rest_after_the_retry_wait(
    settings,
):
    now = datetime(2026, 6, 2, 8, 0, 5, tzinfo=UTC)
    async with DiscordDouble() as double:
        guild, channel = double.guild_id, double.channel_ids[0]
        _two_message_digest_due(settings, guild, channel, now)
        double.refuse_post(channel, nth=2, status=503, code=0)  # an outage
        clock = Clock(now)
        async with running_bot(
            bot_settings(settings, double, digest_check_interval="0.05s"), clock=clock
        ) as bot:
            await double.wait_for(lambda: any(c.status == 503 for c in double.calls_to(POST)), timeout=20)
            await _ticks(bot, 5)
            assert _sections(double.channel_messages(channel)) == ["**New stories**"]
            with closing(open_store(settings.store_url)) as store:
                subscription = get_subscription(store, channel)
                assert subscription is not None
                assert digest_status(store, subscription.id, now.date()) == "claimed"  # kept, not released
            clock.now = now + timedelta(minutes=11)  # the retry wait is over, the lease ran out
            await double.wait_for(lambda: len(double.channel_messages(channel)) >= 2, timeout=20)
            await _ticks(bot, 5)
        posted = double.channel_messages(channel)
        sends = [c.body.get("nonce") for c in double.calls_to(POST) if c.body]
    assert _sections(posted) == ["**New stories**", "**Developing stories**"]
    assert sends == [posted[0].nonce, posted[1].nonce, posted[1].nonce]  # refused, then sent
    with closing(open_store(settings.store_url)) as store:
        assert digest_status(store, subscription.id, now.date()) == "posted"


async def test_a_digest_stalled_past_its_grace_with_nothing_sent_goes_into_the_next_one(settings):
    now = datetime(2026, 6, 2, 8, 0, 5, tzinfo=UTC)
    async with DiscordDouble() as double:
        guild, channel = double.guild_id, double.channel_ids[0]
        _two_message_digest_due(settings, guild, channel, now)
        with closing(open_store(settings.store_url)) as store:
            [(due, day)] = due_digests(store, now, GRACE)
            digest = compose_digest(store, due, now, settings)
            rendering = rendering_of(digest_messages(digest, day))
            lease = timedelta(minutes=2)
            assert record_digest(store, due, day, digest, now, owner="gone", lease=lease, rendering=rendering)
        # The claiming process died; the bot is back only after the day's grace period.
        clock = Clock(now + GRACE + timedelta(minutes=30))
        async with running_bot(
            bot_settings(settings, double, digest_check_interval="0.05s"), clock=clock
        ) as bot:
            await _ticks(bot, 5)
            assert double.channel_messages(channel) == []
            with closing(open_store(settings.store_url)) as store:
                assert digest_status(store, due.id, day) is None  # released: its stories are free
            clock.now = now + timedelta(days=1)
            await double.wait_for(lambda: len(double.channel_messages(channel)) >= 2, timeout=20)
            await _ticks(bot, 5)
        posted = double.channel_messages(channel)
    assert _sections(posted) == ["**New stories**", "**Developing stories**"]
    assert (now + timedelta(days=1)).strftime("%A %d %B %Y") in posted[0].content
    assert [e["title"] for m in posted for e in m.embeds] == [
        f"1. {BATTERY_TITLE}",
        f"2. {FLOOD_FOLLOW_UP_TITLE}",
    ]


async def test_discord_returns_the_message_a_nonce_already_posted_in_the_channel(settings):
    """What the take-over relies on, through the real client: discord.py sends a nonce with
    enforce_nonce, and the same nonce in the same channel within Discord's window gets the
    earlier message back instead of a second one."""
    async with DiscordDouble() as double:
        one, other = double.channel_ids
        async with running_bot(bot_settings(settings, double)) as bot:
            first = await bot.get_partial_messageable(int(one)).send("digest part 1", nonce="k1.0")
            again = await bot.get_partial_messageable(int(one)).send("digest part 1", nonce="k1.0")
            elsewhere = await bot.get_partial_messageable(int(other)).send("digest part 1", nonce="k1.0")
            double.advance(NONCE_WINDOW + 1)  # Discord forgot the nonce
            later = await bot.get_partial_messageable(int(one)).send("digest part 1", nonce="k1.0")
            with pytest.raises(discord.HTTPException) as refused:
                await bot.get_partial_messageable(int(one)).send("too long a nonce", nonce="n" * 26)
        assert again.id == first.id and len({first.id, elsewhere.id, later.id}) == 3
        assert [m.id for m in double.channel_messages(one)] == [str(first.id), str(later.id)]
        assert refused.value.status == 400 and refused.value.code == 50035
        assert all(c.body["enforce_nonce"] is True for c in double.calls_to(POST))


async def test_a_channel_that_forbids_the_bot_after_the_first_message_settles_the_digest_as_it_went(
    settings,
):
    now = datetime(2026, 6, 2, 8, 0, 5, tzinfo=UTC)
    async with DiscordDouble() as double:
        guild, channel = double.guild_id, double.channel_ids[0]
        _two_message_digest_due(settings, guild, channel, now)
        double.refuse_post(channel, nth=2)  # 403 Missing Permissions
        clock = Clock(now)
        async with running_bot(
            bot_settings(settings, double, digest_check_interval="0.05s"), clock=clock
        ) as bot:
            await double.wait_for(lambda: any(c.status == 403 for c in double.calls_to(POST)), timeout=20)
            await _ticks(bot, 5)
            clock.now = now + timedelta(minutes=11)
            await _ticks(bot, 5)
        posted = double.channel_messages(channel)
        sends = [c.body.get("nonce") for c in double.calls_to(POST) if c.body]
    assert _sections(posted) == ["**New stories**"] and len(sends) == 2  # never retried
    with closing(open_store(settings.store_url)) as store:
        subscription = get_subscription(store, channel)
        assert subscription is not None and subscription.post_failures == 1  # counts toward retiring
        assert digest_status(store, subscription.id, now.date()) == "posted"
