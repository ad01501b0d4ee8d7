"""Update digests over the wire: three days of the real bot against the Discord double, restarted
between days on the same database file.

Day 1 tells two stories. Day 2 brings a follow-up of one of them (repeating some of day 1's
sentences, adding new facts), another outlet's copy of the other, and a new story: the digest
has the new story under New stories, the follow-up under Developing stories with only its new
sentences and a link to day 1's message, and repeats no sentence of day 1. Day 3 has nothing new:
a channel subscribed with `quiet: say` gets one line, one with `quiet: skip` gets nothing, and
both days are claimed once."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from discord_double import DiscordDouble, running_bot
from news_followups import (
    BATTERY,
    BATTERY_TITLE,
    FLOOD_DAY1,
    FLOOD_DAY2,
    FLOOD_DAY2_NEW,
    FLOOD_DAY2_REPEATED,
    FLOOD_FOLLOW_UP_TITLE,
    FLOOD_TITLE,
    TRAM,
    TRAM_COPY,
    TRAM_COPY_TITLE,
    TRAM_TITLE,
    text,
)
from test_bot_digest import Clock, _digest_rows, _settings, _ticks

from bot.render import escape
from summarizer.briefs.digest import compose_digest, due_digests, mark_posted, record_digest, subscribe
from summarizer.models import Document
from summarizer.sentences import split_sentences
from summarizer.store import open_store

pytestmark = pytest.mark.timeout(120)

_LINK = re.compile(r"\]\((https://discord\.com/channels/[^)]+)\)")


def _ingest(settings, title: str, sentences: list[str], at: datetime, host: str) -> None:
    store = open_store(settings.store_url)
    try:
        slug = "-".join(re.findall(r"\w+", title.lower())[:5])
        doc = Document(url=f"https://{host}/{slug}", title=title, text=text(sentences), published_at=at)
        store.upsert(doc, now=at)
    finally:
        store.close()


def _stories(message) -> dict[str, list[str]]:
    """Each story embed's title -> the sentences of its summary (the description's first line)."""
    return {
        embed["title"]: split_sentences(embed["description"].split("\n")[0].replace("\\", ""))
        for embed in message.embeds
    }


def _words(sentence: str) -> set[str]:
    return set(re.findall(r"\w+", sentence.lower()))


async def test_three_days_of_update_digests_across_restarts(database_url):
    async with DiscordDouble() as double:
        settings = _settings(database_url, double)
        guild, say, skip = double.guild_id, double.channel_ids[0], double.channel_ids[1]
        manager = double.member(manage_guild=True)
        clock = Clock(datetime(2026, 6, 1, 7, tzinfo=UTC))
        _ingest(settings, FLOOD_TITLE, FLOOD_DAY1, datetime(2026, 6, 1, 6, tzinfo=UTC), "rivernews.example")
        _ingest(settings, TRAM_TITLE, TRAM, datetime(2026, 6, 1, 6, tzinfo=UTC), "citypaper.example")

        # Day 1: two channels subscribe (one skipping quiet days); 08:00 UTC brings two stories.
        async with running_bot(settings, clock=clock) as bot:
            for channel, options in ((say, {}), (skip, {"quiet": "skip"})):
                ix = await double.slash(
                    "digest subscribe",
                    {"time": "08:00", "timezone": "UTC", **options},
                    member=manager,
                    channel_id=channel,
                )
                assert "Subscribed" in (await ix.wait_original()).content
            ix = await double.slash("digest list", {})
            assert "nothing posted on a day with no news" in (await ix.wait_original()).content
            clock.now = datetime(2026, 6, 1, 8, 0, 5, tzinfo=UTC)
            await double.wait_for(
                lambda: (double.channel_messages(say) and double.channel_messages(skip)) or None, timeout=10
            )
            await _ticks(bot, 3)
        [day1] = double.channel_messages(say)
        assert "New stories" in day1.content and "Developing" not in day1.content
        told = _stories(day1)
        assert set(told) == {f"1. {FLOOD_TITLE}", f"2. {TRAM_TITLE}"} or set(told) == {
            f"1. {TRAM_TITLE}",
            f"2. {FLOOD_TITLE}",
        }
        day1_link = f"https://discord.com/channels/{guild}/{say}/{day1.id}"

        # Overnight: a follow-up of the flood, a copy of the tram story, a new story.
        evening = datetime(2026, 6, 1, 20, tzinfo=UTC)
        _ingest(settings, FLOOD_FOLLOW_UP_TITLE, FLOOD_DAY2, evening, "wire.example")
        _ingest(settings, TRAM_COPY_TITLE, TRAM_COPY, evening, "metro.example")
        _ingest(settings, BATTERY_TITLE, BATTERY, evening, "energy.example")

        # Day 2, after a restart: New (the battery plant), Developing (the flood, new facts only).
        clock.now = datetime(2026, 6, 2, 8, 0, 5, tzinfo=UTC)
        async with running_bot(settings, clock=clock) as bot:
            ix = await double.slash("digest preview", {}, channel_id=say)
            previews = await ix.wait_followups(2)
            assert all(p.ephemeral for p in previews)
            assert "New stories" in previews[0].content and "Developing stories" in previews[1].content
            await double.wait_for(lambda: len(double.channel_messages(say)) >= 3 or None, timeout=10)
            await double.wait_for(lambda: len(double.channel_messages(skip)) >= 3 or None, timeout=10)
            await _ticks(bot, 3)
        new_part, developing_part = double.channel_messages(say)[1:]
        assert "New stories" in new_part.content and "1 new story and 1 developing story" in new_part.content
        assert list(_stories(new_part)) == [f"1. {BATTERY_TITLE}"]
        assert developing_part.content == "**Developing stories**"
        [(title, sentences)] = _stories(developing_part).items()
        assert title == f"2. {FLOOD_FOLLOW_UP_TITLE}"
        assert sentences and all(s in FLOOD_DAY2_NEW for s in sentences)  # only its new facts
        assert not set(sentences) & set(FLOOD_DAY2_REPEATED)
        earlier = developing_part.embeds[0]["description"].split("\n")[-1]
        assert earlier.startswith("Earlier: ") and _LINK.findall(earlier) == [day1_link]
        # 0 sentences of day 1 repeated on day 2, nor nearly repeated (reworded)
        day1_sentences = [s for found in told.values() for s in found]
        day2_sentences = [
            s for m in (new_part, developing_part) for found in _stories(m).values() for s in found
        ]
        assert day2_sentences and not set(day2_sentences) & set(day1_sentences)
        for sentence in day2_sentences:
            for seen in day1_sentences:
                assert len(_words(sentence) & _words(seen)) / len(_words(sentence)) < 0.6, (sentence, seen)
        assert all(escape(TRAM_COPY_TITLE) not in m.text() for m in double.channel_messages(say))
        assert [_stories(m) for m in double.channel_messages(skip)[1:]] == [
            _stories(m) for m in (new_part, developing_part)
        ]

        # Day 3, after another restart: nothing new. 'say' gets one line; 'skip' gets nothing.
        clock.now = datetime(2026, 6, 3, 8, 0, 5, tzinfo=UTC)
        async with running_bot(settings, clock=clock) as bot:
            await double.wait_for(lambda: len(double.channel_messages(say)) == 4 or None, timeout=10)
            await _ticks(bot, 5)
            ix = await double.slash("digest preview", {}, channel_id=skip)
            [preview] = await ix.wait_followups(1)
            assert "nothing would be posted" in preview.content
        quiet = double.channel_messages(say)[3]
        assert "No new stories" in quiet.content and "\n" not in quiet.content and not quiet.embeds
        assert len(double.channel_messages(skip)) == 3
        rows = _digest_rows(settings)
        assert sorted((r["subscription_id"], r["local_date"]) for r in rows) == [
            (sub, day) for sub in (1, 2) for day in ("2026-06-01", "2026-06-02", "2026-06-03")
        ]
        assert all(r["status"] == "posted" for r in rows)
        skipped = next(r for r in rows if r["subscription_id"] == 2 and r["local_date"] == "2026-06-03")
        assert skipped["jump_url"] is None and skipped["stories"] == 0


def _digest_day_one(settings, channel: str, guild: str, now: datetime) -> None:
    """The channel subscribed and its day-1 digest claimed and posted (the engine's own calls)."""
    store = open_store(settings.store_url)
    try:
        subscription, _ = subscribe(store, guild, channel, "", "08:00", "UTC", 5, now=now - timedelta(days=1))
        [(due, day)] = due_digests(store, now, timedelta(hours=6))
        assert record_digest(store, due, day, compose_digest(store, due, now, settings), now)
        mark_posted(store, subscription.id, day, now, None)
    finally:
        store.close()


async def test_brief_new_since_and_the_whats_new_button_across_a_restart(database_url):
    async with DiscordDouble() as double:
        settings = _settings(database_url, double, default_mode="extractive")
        guild, subscribed, other = double.guild_id, double.channel_ids[0], double.channel_ids[1]
        day1 = datetime(2026, 6, 1, 6, tzinfo=UTC)
        _ingest(settings, FLOOD_TITLE, FLOOD_DAY1, day1, "rivernews.example")
        _digest_day_one(settings, subscribed, guild, datetime(2026, 6, 1, 8, 0, 5, tzinfo=UTC))
        _ingest(settings, FLOOD_FOLLOW_UP_TITLE, FLOOD_DAY2, day1 + timedelta(hours=14), "wire.example")
        clock = Clock(datetime(2026, 6, 2, 7, tzinfo=UTC))  # before its day-2 digest
        topic = {"topic": "Meran floods Lindholm"}

        async with running_bot(settings, clock=clock):
            # Bad input is told to the asker alone, before anything is answered.
            for when, says in (("last tuesday", "can't read new_since"), ("last digest", "no daily digest")):
                ix = await double.slash("brief", {**topic, "new_since": when}, channel_id=other)
                answer = await ix.wait_original()
                shown = answer.content.replace("\\", "")  # as Discord shows it: escapes gone
                assert answer.ephemeral and says in shown and not answer.embeds

            # The update since this channel's last digest: only the follow-up, only its news.
            ix = await double.slash("brief", {**topic, "new_since": "Last Digest"}, channel_id=subscribed)
            answer = await ix.wait_original(lambda m: m.embeds or m.content)
            assert answer.embeds, answer.content
            update = answer.embeds[0]
            assert update["title"] == "What's new: Meran floods Lindholm"
            assert update["footer"]["text"].startswith("new since 2026-06-01 08:00 UTC")
            sources = update["fields"][0]["value"]
            assert "wire.example" in sources and "rivernews.example" not in sources
            told = split_sentences(re.sub(r" \[\\\[\d+\\\]\]\([^)]*\)", "", update["description"]))
            assert told and not set(told) & set(FLOOD_DAY1)

            ix = await double.slash("brief", {**topic, "new_since": "2h"}, channel_id=subscribed)
            nothing = await ix.wait_original(lambda m: m.embeds or m.content)
            assert not nothing.embeds and "Nothing new about **Meran floods Lindholm**" in nothing.content

            # A plain brief cites both days and has a "What's new" button.
            ix = await double.slash("brief", topic, channel_id=subscribed)
            plain = await ix.wait_original(lambda m: m.embeds)
            assert plain.embeds[0]["title"] == "Brief: Meran floods Lindholm"
            assert "rivernews.example" in plain.embeds[0]["fields"][0]["value"]
            assert plain.custom_id_of("What's new")

        clock.now += timedelta(minutes=30)
        async with running_bot(settings, clock=clock):  # a restart: the button still works
            click = await double.press(plain, "What's new", member=double.member())
            await click.wait_response()
            await double.wait_for(
                lambda: plain.embeds[0]["title"].startswith("What's new") or None, timeout=30
            )
            shown = plain.embeds[0]
            assert "rivernews.example" not in shown["fields"][0]["value"]
            assert shown["footer"]["text"].startswith("new since 2026-06-01 08:00 UTC")
            labels = [c["label"] for row in plain.components for c in row["components"]]
            assert "What's new" not in labels and labels[:2] == ["Longer", "Shorter"]
            edits = plain.edits
            longer = await double.press(plain, "Longer", member=double.member())
            await longer.wait_response()
            await double.wait_for(lambda: plain.edits > edits or None, timeout=30)
            assert plain.embeds[0]["title"] == "What's new: Meran floods Lindholm"  # still the update
