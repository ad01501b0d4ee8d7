"""Daily digests over the wire: the real discord.py client against the Discord double.

`/digest` commands are injected as interactions; digests are posted by the bot's own
scheduler loop, driven by an injected clock (the loop ticks every 50 ms, the clock only moves
when a test moves it). Restarts are a new client on the same database (a SQLite file, or PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from discord_double import DiscordDouble, running_bot

from summarizer.briefs.digest import Digest, get_subscription, record_digest, subscribe
from summarizer.config import Settings
from summarizer.models import Document
from summarizer.store import open_store

pytestmark = pytest.mark.timeout(120)

TEXTS = {
    "Earthquake hits Valdoria": (
        "A strong earthquake struck the coastal city of Valdoria on Tuesday, damaging old "
        "buildings and cutting power to thousands of homes. Rescue teams searched collapsed "
        "houses through the night. Schools will stay closed until engineers inspect them."
    ),
    "Norwell posts record revenue": (
        "Chipmaker Norwell reported record quarterly revenue on Wednesday as demand for data "
        "centre processors kept growing. Its shares rose eight percent in late trading."
    ),
    "Cup final decided on penalties": (
        "The city football club won the cup final on penalties after a goalless draw. Fans "
        "celebrated in the streets until the early hours."
    ),
    "Storm closes **mountain** passes @everyone": (
        "Heavy snow closed three mountain passes on Thursday and stranded hundreds of drivers. "
        "Road crews expect to reopen them by the weekend."
    ),
}


class Clock:
    """The bot's injected clock: moves only when the test moves it."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _settings(database_url: str, double: DiscordDouble, **extra) -> Settings:
    """Settings for a bot on the test's store (`database_url`: a SQLite file or a PostgreSQL
    schema, conftest.py's `backend` parametrization), pointed at the double."""
    return Settings(
        database_url=database_url,
        discord_token=double.token,
        discord_api_base=double.api_base,
        discord_gateway_url=double.gateway_url,
        digest_check_interval="0.05s",
        digest_grace="6h",
        **extra,
    )


def _ingest(settings: Settings, title: str, at: datetime) -> int:
    store = open_store(settings.store_url)
    try:
        slug = "-".join(title.lower().replace("*", "").replace("@", "").split())
        doc = Document(
            url=f"https://news.example.com/{slug}", title=title, text=TEXTS[title], published_at=at
        )
        return store.upsert(doc, now=at)[1]
    finally:
        store.close()


def _subscribe_directly(
    settings: Settings, channel: str, guild: str, time_of_day: str, zone: str, created: datetime
):
    store = open_store(settings.store_url)
    try:
        return subscribe(store, guild, channel, "", time_of_day, zone, 5, now=created)[0]
    finally:
        store.close()


def _subscription(settings: Settings, channel: str):
    store = open_store(settings.store_url)
    try:
        return get_subscription(store, channel)
    finally:
        store.close()


def _digest_rows(settings: Settings) -> list[dict]:
    store = open_store(settings.store_url)
    try:
        return list(store.db.query("SELECT * FROM digest_posts ORDER BY id"))
    finally:
        store.close()


async def _ticks(bot, count: int = 2) -> None:
    """Wait until the scheduler has run `count` more times (so it has seen the clock)."""
    loop = bot.get_cog("DigestScheduler").loop
    start = loop.current_loop
    for _ in range(400):
        if loop.current_loop >= start + count:
            return
        await asyncio.sleep(0.025)
    raise TimeoutError("the digest scheduler did not tick")


def _posts(double: DiscordDouble, channel: str) -> list:
    return double.channel_messages(channel)


async def test_subscribe_then_digests_at_local_time_across_dst_and_no_repeats(database_url):
    async with DiscordDouble() as double:
        settings = _settings(database_url, double)
        channel = double.channel_ids[0]
        # Saturday 28 March 2026, 07:30 in Berlin (CET, UTC+1); clocks jump on Sunday.
        clock = Clock(datetime(2026, 3, 28, 6, 30, tzinfo=UTC))
        _ingest(settings, "Earthquake hits Valdoria", datetime(2026, 3, 28, 5, tzinfo=UTC))
        _ingest(
            settings, "Storm closes **mountain** passes @everyone", datetime(2026, 3, 28, 5, 30, tzinfo=UTC)
        )
        async with running_bot(settings, clock=clock) as bot:
            ix = await double.slash(
                "digest subscribe",
                {"time": "08:00", "timezone": "Europe/Berlin", "max_stories": 3},
                member=double.member(manage_guild=True),
            )
            reply = await ix.wait_original()
            assert not reply.ephemeral and "Subscribed" in reply.content
            assert "08:00 Europe/Berlin" in reply.content
            await _ticks(bot)
            assert _posts(double, channel) == []  # 07:30 local: not yet

            clock.now = datetime(2026, 3, 28, 6, 59, 50, tzinfo=UTC)  # 07:59:50 CET
            await _ticks(bot)
            assert _posts(double, channel) == []
            clock.now = datetime(2026, 3, 28, 7, 0, 5, tzinfo=UTC)  # 08:00:05 CET
            first = await double.wait_for(lambda: _posts(double, channel), timeout=10)
            await _ticks(bot, 3)
            assert len(_posts(double, channel)) == 1  # once, though the loop kept ticking
            message = first[0]
            assert "Daily digest" in message.content
            titles = [e["title"] for e in message.embeds]
            assert len(titles) == 2 and any("Earthquake hits Valdoria" in t for t in titles)
            storm = next(e for e in message.embeds if "Storm" in e["title"])
            assert "\\*\\*mountain\\*\\*" in storm["title"]  # markdown from articles escaped
            assert "@everyone" not in message.text().replace("@\u200beveryone", "")
            assert all(e["url"].startswith("https://") for e in message.embeds)
            assert message.allowed_mentions == {"parse": []}

            # A new story in the evening; Sunday is summer time (CEST, UTC+2): 08:00 = 06:00 UTC
            _ingest(settings, "Cup final decided on penalties", datetime(2026, 3, 28, 19, tzinfo=UTC))
            clock.now = datetime(2026, 3, 29, 5, 59, 50, tzinfo=UTC)  # 07:59:50 CEST
            await _ticks(bot)
            assert len(_posts(double, channel)) == 1
            clock.now = datetime(2026, 3, 29, 6, 0, 5, tzinfo=UTC)  # 08:00:05 CEST
            await double.wait_for(lambda: len(_posts(double, channel)) == 2 or None, timeout=10)
            second = _posts(double, channel)[1]
            assert [e["title"] for e in second.embeds] == ["1. Cup final decided on penalties"]
            # Monday, nothing new: a short note, no story repeated
            clock.now = datetime(2026, 3, 30, 6, 0, 5, tzinfo=UTC)
            await double.wait_for(lambda: len(_posts(double, channel)) == 3 or None, timeout=10)
            third = _posts(double, channel)[2]
            assert "No new stories" in third.content and not third.embeds
        assert [r["local_date"] for r in _digest_rows(settings)] == ["2026-03-28", "2026-03-29", "2026-03-30"]
        assert all(r["status"] == "posted" for r in _digest_rows(settings))


async def test_exactly_once_across_a_restart_and_catch_up_within_grace(database_url):
    async with DiscordDouble() as double:
        settings = _settings(database_url, double)
        guild, channel, other = double.guild_id, double.channel_ids[0], double.channel_ids[1]
        _subscribe_directly(
            settings, channel, guild, "08:00", "America/New_York", datetime(2026, 5, 1, tzinfo=UTC)
        )
        _ingest(settings, "Norwell posts record revenue", datetime(2026, 6, 1, 10, tzinfo=UTC))
        clock = Clock(datetime(2026, 6, 1, 12, 0, 30, tzinfo=UTC))  # 08:00:30 EDT
        double.rate_limit("POST /channels/{channel_id}/messages", times=1)
        async with running_bot(settings, clock=clock) as bot:
            await double.wait_for(lambda: _posts(double, channel), timeout=10)
            await _ticks(bot)
        assert len(_posts(double, channel)) == 1  # a 429 is waited out, not a second post
        assert [c.status for c in double.calls_to("POST /channels/{channel_id}/messages")] == [429, 200]

        # Same database, a new client, later the same local day: no second post.
        clock.now = datetime(2026, 6, 1, 13, 0, tzinfo=UTC)
        async with running_bot(settings, clock=clock) as bot:
            await _ticks(bot, 3)
            assert len(_posts(double, channel)) == 1

            # A second channel subscribes; a bot that claimed its 2 June digest then died
            # before posting (the claim is in the database) must not make it post twice.
            ix = await double.slash(
                "digest subscribe",
                {"time": "10:00", "timezone": "america/new_york"},
                member=double.member(manage_guild=True),
                channel_id=other,
            )
            assert "Subscribed" in (await ix.wait_original()).content
        store = open_store(settings.store_url)
        dying = get_subscription(store, other)
        assert record_digest(
            store,
            dying,
            date(2026, 6, 2),
            Digest(dying, clock.now, clock.now),
            datetime(2026, 6, 2, 13, 0, 1, tzinfo=UTC),
        )
        store.close()

        # Down over 2 June 08:00 and 10:00 EDT; back at 11:30 EDT, within the 6 h grace:
        # the missed digest is posted on start, once; the claimed one stays unposted.
        _ingest(settings, "Cup final decided on penalties", datetime(2026, 6, 1, 20, tzinfo=UTC))
        clock.now = datetime(2026, 6, 2, 15, 30, tzinfo=UTC)
        async with running_bot(settings, clock=clock) as bot:
            await double.wait_for(lambda: len(_posts(double, channel)) == 2 or None, timeout=10)
            await _ticks(bot, 3)
        posts = _posts(double, channel)
        assert len(posts) == 2 and _posts(double, other) == []
        assert [e["title"] for e in posts[1].embeds] == ["1. Cup final decided on penalties"]

        # Down over 3 June's digest until after the grace period: that day is skipped.
        clock.now = datetime(2026, 6, 3, 20, 30, tzinfo=UTC)  # 16:30 EDT: 8.5 h and 6.5 h late
        async with running_bot(settings, clock=clock) as bot:
            await _ticks(bot, 3)
            assert len(_posts(double, channel)) == 2
        days = {(r["subscription_id"], r["local_date"]) for r in _digest_rows(settings)}
        assert len(days) == 3 and not any(d == "2026-06-03" for _, d in days)


async def test_permissions_validation_preview_list_and_autocomplete(database_url):
    async with DiscordDouble() as double:
        settings = _settings(database_url, double)
        channel = double.channel_ids[0]
        _ingest(settings, "Earthquake hits Valdoria", datetime(2026, 6, 1, 5, tzinfo=UTC))
        clock = Clock(datetime(2026, 6, 1, 9, tzinfo=UTC))
        async with running_bot(settings, clock=clock) as bot:
            synced = next(c for cmds in double.commands.values() for c in cmds if c["name"] == "digest")
            subcommands = {o["name"]: o for o in synced["options"]}
            assert set(subcommands) == {"subscribe", "unsubscribe", "list", "preview"}
            for sub in subcommands.values():
                assert sub["description"]
                assert all(option["description"] for option in sub.get("options", []))

            ix = await double.slash("digest subscribe", {"time": "08:00"}, member=double.member())
            refusal = await ix.wait_original()
            assert refusal.ephemeral and "Manage Server" in refusal.content
            ix = await double.slash("digest unsubscribe", {}, member=double.member())
            assert "Manage Server" in (await ix.wait_original()).content
            assert _subscription(settings, channel) is None

            manager = double.member(manage_guild=True)
            for options, words in (({"time": "25:99"}, "HH:MM"), ({"timezone": "Mars/Base"}, "time zone")):
                ix = await double.slash("digest subscribe", options, member=manager)
                answer = await ix.wait_original()
                assert answer.ephemeral and words in answer.content

            ix = await double.autocomplete("digest subscribe", {"timezone": "berl"}, "timezone")
            await ix.wait_response()
            assert ix.choices[0]["value"] == "Europe/Berlin" and len(ix.choices) <= 25
            ix = await double.autocomplete("digest subscribe", {"timezone": "a"}, "timezone")
            await ix.wait_response()
            assert len(ix.choices) == 25

            ix = await double.slash("digest preview", {})
            assert "no daily digest" in (await ix.wait_original()).content

            ix = await double.slash(
                "digest subscribe",
                {"topic": "earthquake", "time": "18:30", "timezone": "UTC"},
                member=manager,
            )
            await ix.wait_original()
            ix = await double.slash("digest preview", {})
            [preview] = await ix.wait_followups(1)
            assert preview.ephemeral and "Preview" in preview.content
            assert any("Earthquake" in e["title"] for e in preview.embeds)
            ix = await double.slash("digest list", {})
            listing = await ix.wait_original()
            assert listing.ephemeral and f"<#{channel}>" in listing.content
            assert "18:30 UTC" in listing.content and "earthquake" in listing.content
            await _ticks(bot)
            assert _posts(double, channel) == [] and _digest_rows(settings) == []

            ix = await double.slash("digest unsubscribe", {}, member=manager)
            assert "stopped" in (await ix.wait_original()).content
            assert _subscription(settings, channel) is None


def test_a_long_digest_is_split_within_discords_limits():
    from bot.digests import digest_messages
    from summarizer.briefs.digest import DigestStory, Subscription
    from summarizer.models import Citation

    now = datetime(2026, 6, 1, 8, tzinfo=UTC)
    subscription = Subscription(1, "1", "2", "x" * 150, "08:00", "UTC", 10, "", now, None, None)
    stories = [
        DigestStory(
            Citation(
                number=n,
                title=("Very long headline [x](javascript:alert) " * 20),
                url="https://news.example.com/" + "p" * 300,
                site="news.example.com",
                published_at=now,
                also=[(f"site{i}.example", f"https://site{i}.example/" + "q" * 200) for i in range(8)]
                + [("file", "file:///etc/passwd")],
            ),
            summary="A sentence that goes on and on. " * 60,
            score=1.0,
        )
        for n in range(1, 11)
    ]
    messages = digest_messages(Digest(subscription, now - timedelta(days=1), now, stories), date(2026, 6, 1))
    embeds = [e for m in messages for e in m["embeds"]]
    assert len(embeds) == 10 and len(messages) > 1
    assert len(messages[0]["content"]) <= 2000
    for message in messages:
        assert len(message["embeds"]) <= 10 and sum(len(e) for e in message["embeds"]) <= 6000
    for embed in embeds:
        assert len(embed.title) <= 256 and len(embed.description) <= 4096
        assert "javascript:" not in (embed.url or "") and "file://" not in embed.description
        assert embed.url.startswith("https://")


def test_a_topic_digest_heading_keeps_its_bold_text_apart():
    from bot.digests import digest_messages
    from summarizer.briefs.digest import Subscription

    now = datetime(2026, 6, 1, 8, tzinfo=UTC)
    subscription = Subscription(1, "1", "2", "harbour *works*", "08:00", "UTC", 5, "", now, None, None)
    digest = Digest(subscription, now - timedelta(days=1), now, [])
    heading = digest_messages(digest, date(2026, 6, 1))[0]["content"].split("\n")[0]
    # '**Daily digest about **x****' nests bold, which Discord shows with stray asterisks
    assert heading.startswith("**Daily digest** about **harbour \\*works\\***")
    assert "****" not in heading


async def test_digest_list_shows_every_subscription_across_pages(database_url):
    async with DiscordDouble() as double:
        settings = _settings(database_url, double)
        created = datetime(2026, 6, 1, 9, tzinfo=UTC)
        channels = [f"2100000000000000{n:02d}" for n in range(30)]
        for channel in channels:
            _subscribe_directly(
                settings, channel, double.guild_id, "08:00", "America/Argentina/Buenos_Aires", created
            )
        async with running_bot(settings, clock=Clock(created)):
            ix = await double.slash("digest list", {})
            await ix.wait_response()
            await asyncio.sleep(0.5)  # any further pages are follow-ups
            pages = [ix.original] + [double.messages[m] for m in ix.followups]
            shown = "\n".join(page.content for page in pages)
            assert all(f"<#{channel}>" in shown for channel in channels)
            assert len(pages) > 1 and all(len(p.content) <= 2000 and p.ephemeral for p in pages)


async def test_a_deleted_channel_retires_its_digest_after_a_few_refusals(database_url, caplog):
    caplog.set_level("INFO", logger="bot.digests")
    async with DiscordDouble() as double:
        settings = _settings(database_url, double, digest_retire_after=3)
        gone = "200000000000000099"  # not a channel of the double: posting answers 404 10003
        start = datetime(2026, 6, 1, 8, 0, 5, tzinfo=UTC)
        _subscribe_directly(settings, gone, double.guild_id, "08:00", "UTC", start - timedelta(days=1))
        _ingest(settings, "Earthquake hits Valdoria", start - timedelta(hours=1))

        def posts() -> int:
            return len([c for c in double.calls if c.path == f"/channels/{gone}/messages"])

        clock = Clock(start)
        async with running_bot(settings, clock=clock) as bot:
            for attempt in range(1, 5):
                await _ticks(bot)
                assert posts() == min(attempt, 3)
                clock.now += timedelta(minutes=11)  # past the retry hold
            await _ticks(bot)
            assert posts() == 3
            ix = await double.slash("digest list", {})
            listing = (await ix.wait_original()).content
            assert f"<#{gone}>" in listing and "retired" in listing and "deleted" in listing
        assert caplog.text.count("retired the digest of channel") == 1

        clock.now = start + timedelta(days=1)  # the next day, after a restart: still not retried
        async with running_bot(settings, clock=clock) as bot:
            await _ticks(bot)
            assert posts() == 3

            ix = await double.slash(
                "digest subscribe", {"timezone": "localtime"}, member=double.member(manage_guild=True)
            )
            refusal = await ix.wait_original()
            assert refusal.ephemeral and "time zone" in refusal.content
        assert _subscription(settings, gone).retired_at is not None
