"""/sources over the wire: feeds scoped to the server, one page ingested now, and the Manage
Server refusals. Feeds and pages are served by a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from subprocess import PIPE, STDOUT

import pytest
from discord_double import DiscordDouble, bot_settings, running_bot
from http_server import article_page, rss_feed

from summarizer.store import open_store

pytestmark = pytest.mark.timeout(90)
REPO = Path(__file__).resolve().parent.parent

PARAGRAPHS = [
    "The harbour authority of Port Elsin approved a plan on Monday to dredge the main channel, "
    "letting container ships twice the current size dock at the town's quays.",
    "Work is due to start in the spring and last eighteen months, the authority said, at a cost "
    "of about 40 million euros shared with the regional government.",
    "Fishermen's groups warned that the dredging could disturb spawning grounds, and asked for "
    "the work to pause during the breeding season each year.",
]


async def _wait_until(check, timeout: float = 30.0) -> None:
    """Poll `check()` (a store read) until it holds; bounded."""
    for _ in range(int(timeout / 0.1)):
        if check():
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("condition not met in time")


@pytest.fixture
async def live(settings):
    async with DiscordDouble() as double:
        async with running_bot(bot_settings(settings, double)) as bot:
            yield double, bot


def _feed(base: str) -> str:
    """A feed of three recent items (a first poll keeps only recent ones)."""
    published = format_datetime(datetime.now(UTC) - timedelta(hours=2), usegmt=True)
    items = [
        (
            f"Harbour plan approved {n}",
            f"{base}/news/{n}",
            published,
            " ".join(PARAGRAPHS) + f" Update number {n}.",
        )
        for n in range(3)
    ]
    return rss_feed("Port Elsin Gazette", items, link=base + "/")


@pytest.mark.parametrize(
    "path, options",
    [
        ("sources add", {"url": "https://example.org/feed.xml"}),
        ("sources remove", {"url": "https://example.org/feed.xml"}),
        ("sources ingest", {"url": "https://example.org/page"}),
    ],
)
async def test_members_without_manage_server_are_refused(live, settings, path, options):
    double, _ = live
    ix = await double.slash(path, options, member=double.member(manage_guild=False))
    await ix.wait_response()
    message = ix.original
    assert message.ephemeral
    assert "Manage Server" in message.content
    assert double.calls_to("POST /webhooks/{app}/{token}") == []  # nothing else was attempted
    store = open_store(settings.database_path)
    try:
        assert store.list_sources(double.guild_id) == []
        assert store.count(double.guild_id) == 0
    finally:
        store.close()


async def test_add_list_poll_and_remove_a_feed(live, settings, http_server):
    double, _ = live
    feed_url = http_server.route(
        "/feed.xml", _feed(http_server.url("").rstrip("/")), content_type="application/rss+xml"
    )
    admin = double.member(manage_guild=True)

    ix = await double.slash("sources add", {"url": feed_url}, member=admin)
    added = await ix.wait_original()
    assert added.ephemeral
    assert "Now following" in added.content and "Port Elsin Gazette" in added.content

    # The new feed is polled at once (in the background), into this server's scope only.
    store = open_store(settings.database_path)
    try:
        await _wait_until(lambda: store.count(double.guild_id) >= 3)
        assert store.count("global") == 0
        assert [s["url"] for s in store.list_sources(double.guild_id)] == [feed_url]
    finally:
        store.close()

    again = await double.slash("sources add", {"url": feed_url}, member=admin)
    assert "Already following" in (await again.wait_original()).content

    # Anyone may list; the list shows the feed's title and address.
    listed = await double.slash("sources list", member=double.member(user_id="500000000000000077"))
    shown = (await listed.wait_original()).text()
    assert "Port Elsin Gazette" in shown and feed_url in shown

    typed = await double.autocomplete("sources remove", {"url": "elsin"}, focused="url", member=admin)
    await typed.wait_response()
    assert [c["value"] for c in typed.choices] == [feed_url]

    removed = await double.slash("sources remove", {"url": feed_url}, member=admin)
    assert "Stopped following" in (await removed.wait_original()).content
    store = open_store(settings.database_path)
    try:
        assert store.list_sources(double.guild_id) == []
        assert store.count(double.guild_id) >= 3  # its articles stay
    finally:
        store.close()
    gone = await double.slash("sources remove", {"url": feed_url}, member=admin)
    assert "does not follow" in (await gone.wait_original()).content


async def test_add_refuses_what_is_not_a_feed(live, settings, http_server):
    double, _ = live
    admin = double.member(manage_guild=True)
    page = http_server.route("/story", article_page("Harbour plan approved", PARAGRAPHS))
    ix = await double.slash("sources add", {"url": page}, member=admin)
    text = (await ix.wait_original()).content
    assert "Could not add that feed" in text and "not a feed" in text

    bad = await double.slash("sources add", {"url": "ftp://example.org/feed"}, member=admin)
    await bad.wait_response()
    assert "not a web address" in bad.original.content
    store = open_store(settings.database_path)
    try:
        assert store.list_sources(double.guild_id) == []
    finally:
        store.close()


async def test_ingest_one_page_now(live, settings, http_server):
    double, _ = live
    admin = double.member(manage_guild=True)
    page = http_server.route("/story", article_page("Harbour plan approved", PARAGRAPHS))
    ix = await double.slash("sources ingest", {"url": page}, member=admin)
    message = await ix.wait_original()
    assert message.ephemeral
    assert "Added **Harbour plan approved**" in message.content
    again = await double.slash("sources ingest", {"url": page}, member=admin)
    assert "Already stored" in (await again.wait_original()).content
    missing = await double.slash("sources ingest", {"url": http_server.url("/nothing")}, member=admin)
    assert "Could not add" in (await missing.wait_original()).content
    store = open_store(settings.database_path)
    try:
        assert store.count(double.guild_id) == 1
        assert store.count("global") == 0
    finally:
        store.close()


async def test_list_without_feeds_says_how_to_add_one(live):
    double, _ = live
    ix = await double.slash("sources list")
    await ix.wait_response()
    assert "/sources add" in ix.original.content


async def test_a_failing_feed_is_disabled_and_told_once_where_it_was_added(settings, http_server):
    base = http_server.url("").rstrip("/")
    feed_url = http_server.route("/feed.xml", _feed(base), content_type="application/rss+xml")
    async with DiscordDouble() as double:
        quick_polls = bot_settings(
            settings, double, poll_interval="0.2s", poll_max_backoff="0.2s", feed_disable_after=3
        )
        async with running_bot(quick_polls):
            admin = double.member(manage_guild=True)
            channel = double.channel_ids[1]
            ix = await double.slash("sources add", {"url": feed_url}, member=admin, channel_id=channel)
            assert "Now following" in (await ix.wait_original()).content
            http_server.route("/feed.xml", "down for maintenance", status=503, content_type="text/plain")

            notices = await double.wait_for(lambda: double.channel_messages(channel), timeout=30)
            assert "stopped reading the feed" in notices[0].content and "3 times" in notices[0].content
            polled = len(http_server.requests_to("/feed.xml"))
            await asyncio.sleep(1.0)  # five poll intervals
            assert len(http_server.requests_to("/feed.xml")) == polled  # no longer polled
            assert len(double.channel_messages(channel)) == 1  # told once

            listed = await double.slash("sources list")
            assert "disabled" in (await listed.wait_original()).text()

            http_server.route("/feed.xml", _feed(base), content_type="application/rss+xml")
            again = await double.slash("sources add", {"url": feed_url}, member=admin)
            assert "Following again" in (await again.wait_original()).content
            await _wait_until(lambda: len(http_server.requests_to("/feed.xml")) > polled + 1)


async def test_a_feed_a_poll_worker_disables_is_told_once_in_the_channel_that_added_it(settings, http_server):
    # POLL_IN_BOT=false: `briefbot poll` workers poll and disable; the bot still tells the channel.
    base = http_server.url("").rstrip("/")
    feed_url = http_server.route("/feed.xml", _feed(base), content_type="application/rss+xml")
    worker_env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATABASE_PATH": settings.database_path,
        "DATABASE_URL": "",
        "ALLOW_PRIVATE_URLS": "true",
        "FEED_DISABLE_AFTER": "1",
    }
    async with DiscordDouble() as double:
        workers_poll = bot_settings(settings, double, poll_in_bot=False, digest_check_interval="0.2s")
        async with running_bot(workers_poll):
            admin = double.member(manage_guild=True)
            channel = double.channel_ids[1]
            ix = await double.slash("sources add", {"url": feed_url}, member=admin, channel_id=channel)
            assert "Now following" in (await ix.wait_original()).content
            http_server.route("/feed.xml", "down for maintenance", status=503, content_type="text/plain")

            worker = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "summarizer.cli", "poll", env=worker_env, stdout=PIPE, stderr=STDOUT
            )
            output = (await asyncio.wait_for(worker.communicate(), 60))[0].decode()
            assert "disabled after 1 failed polls" in output, output

            notices = await double.wait_for(lambda: double.channel_messages(channel), timeout=30)
            assert "stopped reading the feed" in notices[0].content and "1 times" in notices[0].content
            assert "503" in notices[0].content
            await asyncio.sleep(1.0)  # five more checks
            assert len(double.channel_messages(channel)) == 1  # told once
        async with running_bot(workers_poll):  # a restart does not tell it again
            await asyncio.sleep(1.0)
            assert len(double.channel_messages(channel)) == 1


async def test_a_server_follows_at_most_max_feeds_per_guild(settings, http_server):
    base = http_server.url("").rstrip("/")
    first = http_server.route("/one.xml", _feed(base), content_type="application/rss+xml")
    second = http_server.route("/two.xml", _feed(base + "/two"), content_type="application/rss+xml")
    async with DiscordDouble() as double:
        async with running_bot(bot_settings(settings, double, max_feeds_per_guild=1)):
            admin = double.member(manage_guild=True)
            ix = await double.slash("sources add", {"url": first}, member=admin)
            assert "Now following" in (await ix.wait_original()).content
            ix = await double.slash("sources add", {"url": second}, member=admin)
            refusal = (await ix.wait_original()).content
            assert "most allowed" in refusal and "/sources remove" in refusal
            assert http_server.requests_to("/two.xml") == []  # refused before fetching anything
