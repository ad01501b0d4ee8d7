"""Daily digests, engine side: subscriptions, the local-time schedule across DST, exactly
once under racing connections and restarts, catch-up within grace, and no repeated stories.

Everything runs on real SQLite files with fixed clocks (no sleeping, no wall time)."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from summarizer.briefs.digest import (
    Digest,
    compose_digest,
    digest_status,
    due_digests,
    get_subscription,
    list_subscriptions,
    mark_posted,
    matching_timezones,
    next_run,
    record_digest,
    release_digest,
    scheduled_at,
    subscribe,
    unsubscribe,
)
from summarizer.config import Settings
from summarizer.errors import BriefbotError, DigestError
from summarizer.models import Document
from summarizer.store import Store, open_store

GRACE = timedelta(hours=6)
GUILD = "111"
CHANNEL = "222"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


NEW_YEAR = utc(2026, 1, 1)


def _sub(
    store: Store,
    time_of_day: str = "08:00",
    zone: str = "Europe/Berlin",
    topic: str = "",
    created: datetime = NEW_YEAR,
    channel: str = CHANNEL,
    guild: str = GUILD,
    max_stories: int = 5,
):
    subscription, _ = subscribe(
        store, guild, channel, topic, time_of_day, zone, max_stories, created_by="42", now=created
    )
    return subscription


def _empty(subscription, now: datetime) -> Digest:
    return Digest(subscription, now - timedelta(days=1), now.replace(microsecond=0))


# -- subscriptions and validation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("time_of_day", "zone", "max_stories", "words"),
    [
        ("25:99", "UTC", 5, "HH:MM"),
        ("eight", "UTC", 5, "HH:MM"),
        ("08:00", "Mars/Base", 5, "time zone"),
        ("08:00", "", 5, "time zone"),
        ("08:00", "UTC", 0, "between 1 and"),
        ("08:00", "UTC", 99, "between 1 and"),
    ],
)
def test_subscribe_refuses_bad_input_with_a_readable_message(store, time_of_day, zone, max_stories, words):
    with pytest.raises(DigestError) as caught:
        subscribe(store, GUILD, CHANNEL, "", time_of_day, zone or " ", max_stories)
    assert isinstance(caught.value, BriefbotError)
    assert words in str(caught.value)
    assert list_subscriptions(store, GUILD) == []


def test_subscribe_defaults_normalises_and_one_per_channel(store):
    settings = Settings(digest_time="7:30", digest_timezone="america/new_york", digest_max_stories=3)
    first, created = subscribe(store, GUILD, CHANNEL, settings=settings, now=utc(2026, 1, 1))
    assert created
    assert (first.time_of_day, first.timezone, first.max_stories, first.topic) == (
        "07:30",
        "America/New_York",
        3,
        "",
    )
    again, created = subscribe(
        store, GUILD, CHANNEL, "  climate   policy ", "20h15", "europe/berlin", 4, now=utc(2026, 1, 2)
    )
    assert not created and again.id == first.id
    assert (again.topic, again.time_of_day, again.timezone) == ("climate policy", "20:15", "Europe/Berlin")
    other, _ = subscribe(store, "999", "333", now=utc(2026, 1, 2))
    assert [s.channel_id for s in list_subscriptions(store, GUILD)] == [CHANNEL]
    assert len(list_subscriptions(store)) == 2
    assert unsubscribe(store, CHANNEL) and not unsubscribe(store, CHANNEL)
    assert get_subscription(store, CHANNEL) is None and get_subscription(store, "333") == other


def test_timezone_autocomplete_is_short_and_relevant():
    found = matching_timezones("berl")
    assert found[0] == "Europe/Berlin"
    assert all("berl" in zone.lower() for zone in found)
    assert len(matching_timezones("a")) == 25
    assert "UTC" in matching_timezones("")
    assert matching_timezones("new york")[0] == "America/New_York"


# -- schedule and DST ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "time_of_day", "day", "expected_utc"),
    [
        ("Europe/Berlin", "08:00", date(2026, 1, 15), utc(2026, 1, 15, 7)),  # CET
        ("Europe/Berlin", "08:00", date(2026, 7, 15), utc(2026, 7, 15, 6)),  # CEST
        ("Europe/Berlin", "08:00", date(2026, 3, 28), utc(2026, 3, 28, 7)),  # day before spring
        ("Europe/Berlin", "08:00", date(2026, 3, 29), utc(2026, 3, 29, 6)),  # spring-forward day
        ("Europe/Berlin", "08:00", date(2026, 10, 25), utc(2026, 10, 25, 7)),  # fall-back day
        ("Europe/Berlin", "02:30", date(2026, 3, 29), utc(2026, 3, 29, 1, 30)),  # gap: 03:30
        ("Europe/Berlin", "02:30", date(2026, 10, 25), utc(2026, 10, 25, 0, 30)),  # fold: 1st
        ("America/New_York", "08:00", date(2026, 1, 15), utc(2026, 1, 15, 13)),  # EST
        ("America/New_York", "08:00", date(2026, 3, 8), utc(2026, 3, 8, 12)),  # EDT from today
        ("America/New_York", "02:30", date(2026, 3, 8), utc(2026, 3, 8, 7, 30)),  # gap: 03:30
        ("America/New_York", "01:30", date(2026, 11, 1), utc(2026, 11, 1, 5, 30)),  # fold: EDT
        ("America/New_York", "08:00", date(2026, 11, 1), utc(2026, 11, 1, 13)),  # EST again
    ],
)
def test_scheduled_time_follows_local_clock_across_dst(store, zone, time_of_day, day, expected_utc):
    subscription = _sub(store, time_of_day, zone)
    assert scheduled_at(subscription, day) == expected_utc


def test_next_run_crosses_the_spring_forward_night(store):
    subscription = _sub(store, "08:00", "Europe/Berlin")
    assert next_run(subscription, utc(2026, 3, 28, 6, 59)) == utc(2026, 3, 28, 7)
    assert next_run(subscription, utc(2026, 3, 28, 7)) == utc(2026, 3, 29, 6)
    assert next_run(subscription, utc(2026, 10, 24, 6, 30)) == utc(2026, 10, 25, 7)


@pytest.mark.parametrize(
    ("zone", "time_of_day", "start"),
    [
        ("Europe/Berlin", "08:00", utc(2026, 3, 27)),
        ("Europe/Berlin", "02:30", utc(2026, 3, 27)),
        ("Europe/Berlin", "02:30", utc(2026, 10, 23)),
        ("America/New_York", "01:30", utc(2026, 10, 30)),
        ("America/New_York", "23:59", utc(2026, 3, 6)),
    ],
)
def test_a_ticking_clock_posts_once_a_local_day_at_the_local_time(store, zone, time_of_day, start):
    """The scheduler's loop, minute by minute over four days around a DST change."""
    subscription = _sub(store, time_of_day, zone, created=start)
    posted: list[tuple[date, datetime]] = []
    now = start
    while now < start + timedelta(days=4):
        for due, local_date in due_digests(store, now, GRACE):
            assert record_digest(store, due, local_date, _empty(due, now), now)
            mark_posted(store, due.id, local_date, now)
            posted.append((local_date, now))
        now += timedelta(minutes=1)
    days = [d for d, _ in posted]
    assert len(days) == len(set(days)) >= 3
    for local_date, moment in posted:
        assert moment == scheduled_at(subscription, local_date)
        local = moment.astimezone(ZoneInfo(zone))
        assert local.date() == local_date
        hour, minute = (int(x) for x in time_of_day.split(":"))
        if local.hour != hour:  # only in a spring-forward gap, shifted by the gap
            assert (local.hour, local.minute) == (hour + 1, minute)


def test_new_or_changed_subscription_is_not_due_for_an_earlier_moment(store):
    subscription = _sub(store, "08:00", "UTC", created=utc(2026, 5, 1, 9))
    assert due_digests(store, utc(2026, 5, 1, 10), GRACE) == []
    assert [d for _, d in due_digests(store, utc(2026, 5, 2, 8, 1), GRACE)] == [date(2026, 5, 2)]
    # moved to an earlier time at noon on the 2nd: no digest "owed" for 09:00 that day
    subscribe(store, GUILD, CHANNEL, "", "09:00", "UTC", 5, now=utc(2026, 5, 2, 12))
    assert due_digests(store, utc(2026, 5, 2, 12, 1), GRACE) == []
    assert subscription.id == get_subscription(store, CHANNEL).id


# -- exactly once ---------------------------------------------------------------------------


def test_two_connections_racing_claim_each_day_once(settings):
    """Two bots (two Stores on one file, two threads) ask and claim at the same moments."""
    setup = open_store(settings.store_url)
    _sub(setup, "08:00", "Europe/Berlin", created=utc(2026, 3, 1))
    setup.close()
    wins: list[tuple[int, date]] = []
    errors: list[BaseException] = []
    days = [utc(2026, 3, 20 + i, 7, 30) for i in range(12)]  # across the DST change
    barrier = threading.Barrier(2)

    def bot(worker: int) -> None:
        store = open_store(settings.store_url)
        try:
            for now in days:
                barrier.wait(timeout=20)
                for subscription, local_date in due_digests(store, now, GRACE):
                    if record_digest(store, subscription, local_date, _empty(subscription, now), now):
                        wins.append((worker, local_date))
        except BaseException as exc:  # surfaced below: a failing thread must fail the test
            errors.append(exc)
            barrier.abort()
        finally:
            store.close()

    threads = [threading.Thread(target=bot, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    dates = [d for _, d in wins]
    assert sorted(dates) == [now.date() for now in days]  # each day once, none missed


def test_claim_survives_a_restart_and_a_crash_never_double_posts(settings):
    store = open_store(settings.store_url)
    subscription = _sub(store, "08:00", "UTC")
    now = utc(2026, 6, 1, 8, 0, 30)
    [(due, day)] = due_digests(store, now, GRACE)
    assert record_digest(store, due, day, _empty(due, now), now)
    assert digest_status(store, due.id, day) == "claimed"
    store.close()  # the bot dies after claiming, before (or while) posting

    restarted = open_store(settings.store_url)
    assert due_digests(restarted, now + timedelta(minutes=5), GRACE) == []
    assert not record_digest(restarted, subscription, day, _empty(subscription, now), now)
    assert due_digests(restarted, utc(2026, 6, 2, 8, 1), GRACE)[0][1] == date(2026, 6, 2)
    restarted.close()


def test_release_after_a_failed_post_makes_the_day_due_again(store):
    _ingest(
        store,
        "Harbour bridge reopens",
        "The harbour bridge reopened to traffic on Monday after repairs. Engineers replaced the cables.",
        utc(2026, 6, 1, 6),
    )
    _sub(store, "08:00", "UTC", created=utc(2026, 5, 1))
    now = utc(2026, 6, 1, 8, 1)
    [(due, day)] = due_digests(store, now, GRACE)
    digest = compose_digest(store, due, now, Settings())
    assert len(digest.stories) == 1
    assert record_digest(store, due, day, digest, now)
    assert get_subscription(store, CHANNEL).last_digest_at == digest.until
    assert release_digest(store, due.id, day)
    assert get_subscription(store, CHANNEL).last_digest_at is None
    [(due, day)] = due_digests(store, now + timedelta(minutes=1), GRACE)
    retried = compose_digest(store, due, now + timedelta(minutes=1), Settings())
    assert [s.citation.title for s in retried.stories] == ["Harbour bridge reopens"]
    assert record_digest(store, due, day, retried, now)
    mark_posted(store, due.id, day, now)
    assert not release_digest(store, due.id, day)  # posted is final
    assert digest_status(store, due.id, day) == "posted"


@pytest.mark.parametrize(
    ("back_at", "due"), [(utc(2026, 6, 1, 13, 59), True), (utc(2026, 6, 1, 14, 1), False)]
)
def test_catch_up_after_downtime_only_within_grace(store, back_at, due):
    _sub(store, "08:00", "UTC", created=utc(2026, 5, 1))
    assert bool(due_digests(store, back_at, GRACE)) is due


def test_catch_up_just_after_local_midnight_is_yesterdays_digest(store):
    _sub(store, "23:30", "America/New_York", created=utc(2026, 5, 1))
    # 23:30 EDT on 1 June = 03:30 UTC on 2 June; the bot is back at 00:40 local
    [(_, day)] = due_digests(store, utc(2026, 6, 2, 4, 40), GRACE)
    assert day == date(2026, 6, 1)


# -- composing ------------------------------------------------------------------------------


def _ingest(
    store: Store,
    title: str,
    text: str,
    at: datetime,
    url: str | None = None,
    scope: str = "global",
    published: datetime | None = None,
) -> int:
    slug = "-".join(title.lower().split())
    doc = Document(
        url=url or f"https://news.example.com/{slug}",
        title=title,
        text=text,
        published_at=published or at,
        scope=scope,
    )
    return store.upsert(doc, now=at)[1]


QUAKE = (
    "A strong earthquake struck the coastal city of Valdoria on Tuesday morning, damaging "
    "old buildings and cutting power to thousands of homes. Rescue teams searched collapsed "
    "houses through the night. The national seismology institute measured a magnitude of "
    "6.4 and warned of aftershocks. Schools will stay closed until engineers inspect them."
)
# The same wire story as another outlet runs it: a dateline, a trimmed end, one more line.
QUAKE_2 = (
    "VALDORIA (Wire) - " + QUAKE.rsplit(" Schools", 1)[0] + " Officials said the cost of "
    "the damage would be known in the coming days."
)
CHIPS = (
    "Chipmaker Norwell reported record quarterly revenue on Wednesday as demand for data "
    "centre processors kept growing. Its shares rose eight percent in late trading. The "
    "company raised its forecast for the year and announced a new factory in Ohio."
)
FOOTBALL = (
    "The city football club won the cup final on penalties after a goalless draw. Fans "
    "celebrated in the streets until the early hours. The coach praised the goalkeeper, "
    "who saved three penalties in the shoot-out."
)


def test_compose_groups_ranks_summarizes_and_never_repeats(store):
    settings = Settings()
    _sub(store, "08:00", "UTC", created=utc(2026, 5, 1), max_stories=5)
    day1 = utc(2026, 6, 1, 6)
    quake = _ingest(
        store, "Earthquake hits Valdoria", QUAKE, day1, url="https://www.dailyplanet.example/quake"
    )
    quake2 = _ingest(
        store,
        "Valdoria quake: rescuers search rubble",
        QUAKE_2,
        day1,
        url="https://herald.example.org/world/valdoria-quake",
    )
    chips = _ingest(
        store, "Norwell posts record revenue", CHIPS, day1, url="https://markets.example.net/norwell"
    )
    _ingest(
        store,
        "Local bakery wins award",
        "The corner bakery won the regional bread prize. Its sourdough impressed the judges.",
        day1,
        scope="other-guild",
    )
    _ingest(
        store,
        "Old council report",
        "The council published its annual report on roads. It lists repairs planned for next year.",
        day1,
        published=utc(2026, 4, 1),
    )

    now = utc(2026, 6, 1, 8, 0, 20)
    [(subscription, day)] = due_digests(store, now, GRACE)
    digest = compose_digest(store, subscription, now, settings)
    titles = [s.citation.title for s in digest.stories]
    assert len(titles) == 2, titles  # the two quake reports are one story; foreign/old left out
    quake_story = next(s for s in digest.stories if quake in s.citation.article_ids)
    assert set(quake_story.citation.article_ids) == {quake, quake2}
    assert quake_story is digest.stories[0]  # two sources outrank one
    assert [site for site, _ in quake_story.citation.also]
    assert all(s.citation.url.startswith("https://") for s in digest.stories)
    for story in digest.stories:
        assert 0 < story.summary.count(". ") + 1 <= 2 and len(story.summary) <= 400
        assert story.summary.split()[0] in QUAKE + QUAKE_2 + CHIPS
    assert [s.citation.number for s in digest.stories] == [1, 2]
    assert record_digest(store, subscription, day, digest, now)
    mark_posted(store, subscription.id, day, now)

    # next day: the football final is new; another outlet's quake report is no new story
    day2 = utc(2026, 6, 1, 20)
    _ingest(store, "Cup final decided on penalties", FOOTBALL, day2)
    _ingest(
        store,
        "Aftershocks rattle Valdoria after earthquake",
        QUAKE_2.replace("Rescue teams", "Volunteers and rescue teams"),
        day2,
        url="https://wire.example.com/valdoria",
    )
    now2 = utc(2026, 6, 2, 8, 0, 5)
    [(subscription, day)] = due_digests(store, now2, GRACE)
    digest2 = compose_digest(store, subscription, now2, settings)
    assert [s.citation.title for s in digest2.stories] == ["Cup final decided on penalties"]
    assert not set(digest2.article_ids) & {quake, quake2, chips}
    assert digest2.since == digest.until


def test_topic_digest_keeps_matching_stories_and_respects_max_stories(store):
    _sub(store, "08:00", "UTC", topic="earthquake", created=utc(2026, 5, 1), max_stories=1)
    at = utc(2026, 6, 1, 6)
    _ingest(store, "Earthquake hits Valdoria", QUAKE, at)
    _ingest(store, "Norwell posts record revenue", CHIPS, at)
    _ingest(store, "Cup final decided on penalties", FOOTBALL, at)
    subscription = get_subscription(store, CHANNEL)
    digest = compose_digest(store, subscription, utc(2026, 6, 1, 8), Settings())
    assert [s.citation.title for s in digest.stories] == ["Earthquake hits Valdoria"]
    assert digest.stories[0].score > 0
    wider = compose_digest(store, replace(subscription, topic="penalties"), utc(2026, 6, 1, 8), Settings())
    assert [s.citation.title for s in wider.stories] == ["Cup final decided on penalties"]


def test_a_skipped_day_leaves_its_stories_for_the_next_digest(store):
    _sub(store, "08:00", "UTC", created=utc(2026, 5, 1))
    now = utc(2026, 6, 1, 8, 1)
    [(subscription, day)] = due_digests(store, now, GRACE)
    assert record_digest(store, subscription, day, compose_digest(store, subscription, now, Settings()), now)
    _ingest(store, "Norwell posts record revenue", CHIPS, utc(2026, 6, 1, 12))
    # down for all of 2 June's grace period; back on 3 June at the time
    assert due_digests(store, utc(2026, 6, 2, 20), GRACE) == []
    later = utc(2026, 6, 3, 8, 0, 30)
    [(subscription, day)] = due_digests(store, later, GRACE)
    assert day == date(2026, 6, 3)
    digest = compose_digest(store, subscription, later, Settings())
    assert [s.citation.title for s in digest.stories] == ["Norwell posts record revenue"]


def test_cli_lists_and_previews_digests(settings):
    from click.testing import CliRunner

    from summarizer.cli import main

    store = open_store(settings.store_url)
    now = datetime.now(UTC)
    _sub(store, "07:45", "Asia/Tokyo", created=now - timedelta(days=2))
    _ingest(store, "Norwell posts record revenue", CHIPS, now - timedelta(hours=2))
    store.close()
    runner = CliRunner()
    listed = runner.invoke(main, ["--db", settings.store_url, "digest", "list"])
    assert listed.exit_code == 0 and "07:45 Asia/Tokyo" in listed.output
    shown = runner.invoke(main, ["--db", settings.store_url, "digest", "preview", CHANNEL])
    assert shown.exit_code == 0, shown.output
    assert "1. Norwell posts record revenue" in shown.output
    assert "record quarterly revenue" in shown.output
    missing = runner.invoke(main, ["--db", settings.store_url, "digest", "preview", "9"])
    assert missing.exit_code != 0 and "no digest subscription" in missing.output


def test_a_story_is_told_by_its_freshest_report(store):
    _sub(store, "08:00", "UTC", created=utc(2026, 5, 1))
    day = utc(2026, 6, 1, 6)
    # The fresh report arrived first; a copy published a day earlier was polled later.
    fresh = _ingest(
        store,
        "Earthquake hits Valdoria",
        QUAKE,
        day,
        url="https://www.dailyplanet.example/quake",
        published=utc(2026, 6, 1, 5),
    )
    old = _ingest(
        store,
        "Valdoria quake: rescuers search rubble",
        QUAKE_2,
        day + timedelta(hours=1),
        url="https://herald.example.org/world/valdoria-quake",
        published=utc(2026, 5, 31, 7),
    )
    now = utc(2026, 6, 1, 8, 0, 20)
    [(subscription, _)] = due_digests(store, now, GRACE)
    [story] = compose_digest(store, subscription, now, Settings()).stories
    assert story.citation.article_ids == [fresh, old]
    assert story.citation.title == "Earthquake hits Valdoria"


# -- updates: new and developing stories --------------------------------------------------


def _news(store: Store, title: str, sentences: list[str], at: datetime, host: str) -> int:
    from news_followups import text

    slug = "-".join(title.lower().replace(";", "").split()[:5])
    return _ingest(store, title, text(sentences), at, url=f"https://{host}/{slug}")


def _post(store: Store, now: datetime, jump_url: str | None) -> Digest:
    """Compose the digest due at `now`, claim it and settle it as posted at `jump_url`."""
    [(subscription, day)] = due_digests(store, now, GRACE)
    digest = compose_digest(store, subscription, now, Settings())
    assert record_digest(store, subscription, day, digest, now)
    mark_posted(store, subscription.id, day, now, jump_url)
    return digest


def _words(sentence: str) -> set[str]:
    return {w.strip(".,;:'\"").lower() for w in sentence.split()} - {""}


def test_a_continued_story_is_developing_and_told_only_by_what_it_adds(store):
    from news_followups import (
        BATTERY,
        BATTERY_TITLE,
        FLOOD_DAY1,
        FLOOD_DAY2,
        FLOOD_DAY2_NEW,
        FLOOD_FOLLOW_UP_TITLE,
        FLOOD_TITLE,
        TRAM,
        TRAM_COPY,
        TRAM_COPY_TITLE,
        TRAM_TITLE,
    )

    _sub(store, "08:00", "UTC", created=utc(2026, 5, 1))
    flood = _news(store, FLOOD_TITLE, FLOOD_DAY1, utc(2026, 6, 1, 6), "rivernews.example")
    _news(store, TRAM_TITLE, TRAM, utc(2026, 6, 1, 6), "citypaper.example")
    day1 = _post(store, utc(2026, 6, 1, 8, 0, 5), "https://discord.com/channels/1/2/301")
    assert {s.citation.title for s in day1.new_stories} == {FLOOD_TITLE, TRAM_TITLE}
    assert day1.developing_stories == []
    told_day1 = [s for story in day1.stories for s in story.sentences]

    follow_up = _news(store, FLOOD_FOLLOW_UP_TITLE, FLOOD_DAY2, utc(2026, 6, 1, 20), "wire.example")
    _news(store, TRAM_COPY_TITLE, TRAM_COPY, utc(2026, 6, 1, 20), "metro.example")
    _news(store, BATTERY_TITLE, BATTERY, utc(2026, 6, 1, 21), "energy.example")
    now2 = utc(2026, 6, 2, 8, 0, 5)
    day2 = _post(store, now2, "https://discord.com/channels/1/2/302")
    # the battery plant is new; the tram copy adds nothing, so it is not told again
    assert [s.citation.title for s in day2.new_stories] == [BATTERY_TITLE]
    [developing] = day2.developing_stories
    assert developing.citation.article_ids == [follow_up] and flood not in day2.article_ids
    assert developing.sentences and set(developing.sentences) <= set(FLOOD_DAY2_NEW)
    assert [(p.local_date, p.jump_url) for p in developing.earlier] == [
        (date(2026, 6, 1), "https://discord.com/channels/1/2/301")
    ]
    assert [s.citation.number for s in day2.stories] == [1, 2]  # new first, then developing
    for sentence in (s for story in day2.stories for s in story.sentences):
        assert sentence not in told_day1
        assert all(len(_words(sentence) & _words(t)) / len(_words(sentence)) < 0.6 for t in told_day1)

    # Day 3: a third report repeats day 2's news and adds one fact; it links both digests.
    latest = (
        "Residents of the harbour district were allowed back into their homes on Wednesday as "
        "the water level in Lindholm fell below two metres."
    )
    _news(
        store,
        "Lindholm residents return home as Meran recedes",
        [*FLOOD_DAY2_NEW[:2], FLOOD_DAY1[1], latest],
        utc(2026, 6, 2, 18),
        "valley.example",
    )
    day3 = _post(store, utc(2026, 6, 3, 8, 0, 5), "https://discord.com/channels/1/2/303")
    [again] = day3.developing_stories
    assert again.sentences == (latest,) and day3.new_stories == []
    assert [p.jump_url for p in again.earlier] == [
        "https://discord.com/channels/1/2/301",
        "https://discord.com/channels/1/2/302",
    ]


def test_a_released_digest_forgets_what_it_told(store):
    from news_followups import FLOOD_DAY1, FLOOD_DAY2, FLOOD_FOLLOW_UP_TITLE, FLOOD_TITLE

    _sub(store, "08:00", "UTC", created=utc(2026, 5, 1))
    _news(store, FLOOD_TITLE, FLOOD_DAY1, utc(2026, 6, 1, 6), "rivernews.example")
    _post(store, utc(2026, 6, 1, 8, 0, 5), "https://discord.com/channels/1/2/301")
    _news(store, FLOOD_FOLLOW_UP_TITLE, FLOOD_DAY2, utc(2026, 6, 1, 20), "wire.example")
    now = utc(2026, 6, 2, 8, 0, 5)
    [(subscription, day)] = due_digests(store, now, GRACE)
    first = compose_digest(store, subscription, now, Settings())
    assert record_digest(store, subscription, day, first, now)
    assert release_digest(store, subscription.id, day)  # the post failed before any message
    [(subscription, day)] = due_digests(store, now, GRACE)
    retried = compose_digest(store, subscription, now, Settings())
    assert [s.sentences for s in retried.stories] == [s.sentences for s in first.stories]
    assert retried.developing_stories and retried.developing_stories[0].earlier[0].local_date == date(
        2026, 6, 1
    )


def test_quiet_days_are_a_setting_of_the_subscription(store):
    first = _sub(store, "08:00", "UTC")
    assert first.quiet == "say"  # DIGEST_QUIET's default
    changed = utc(2026, 5, 2)
    skip, _ = subscribe(store, GUILD, CHANNEL, quiet="SKIP", now=changed)
    assert skip.quiet == "skip"
    kept, _ = subscribe(store, GUILD, CHANNEL, time_of_day="09:00", now=changed)  # quiet kept
    assert kept.quiet == "skip" and kept.time_of_day == "09:00"
    with pytest.raises(DigestError, match="quiet must be 'say'"):
        subscribe(store, GUILD, CHANNEL, quiet="mute", now=changed)
    other, _ = subscribe(store, GUILD, "333", settings=Settings(digest_quiet="skip"), now=changed)
    assert other.quiet == "skip" and unsubscribe(store, "333")
    # A quiet day is claimed once like any other: nothing new, nothing repeated.
    now = utc(2026, 6, 1, 9, 0, 5)
    assert _post(store, now, None).empty
    assert due_digests(store, now + timedelta(minutes=5), GRACE) == []
    assert digest_status(store, first.id, date(2026, 6, 1)) == "posted"


def test_a_story_posted_before_tellings_were_recorded_still_develops(store):
    """Digests posted by an older briefbot recorded only their articles (no tellings): a
    follow-up of one of them is developing, told by its new facts, without a link."""
    from news_followups import FLOOD_DAY1, FLOOD_DAY2, FLOOD_DAY2_NEW, FLOOD_FOLLOW_UP_TITLE, FLOOD_TITLE

    subscription = _sub(store, "08:00", "UTC", created=utc(2026, 5, 1))
    flood = _news(store, FLOOD_TITLE, FLOOD_DAY1, utc(2026, 6, 1, 6), "rivernews.example")
    with store.transaction():
        store.db.execute(
            "INSERT INTO posted_stories (channel_id, article_id, posted_at) VALUES (?, ?, ?)",
            [CHANNEL, flood, "2026-06-01T08:00:05Z"],
        )
        store.db.execute(
            "UPDATE subscriptions SET last_digest_at = ? WHERE id = ?",
            ["2026-06-01T08:00:04Z", subscription.id],
        )
    _news(store, FLOOD_FOLLOW_UP_TITLE, FLOOD_DAY2, utc(2026, 6, 1, 20), "wire.example")
    digest = _post(store, utc(2026, 6, 2, 8, 0, 5), None)
    [developing] = digest.developing_stories
    assert set(developing.sentences) <= set(FLOOD_DAY2_NEW) and developing.earlier == ()
    assert digest.new_stories == []


def _subscribe_at_once(stores: list[Store], channel: str) -> list[object]:
    """Each store subscribes `channel` in its own thread, released at the same moment; returns
    each one's (subscription, created) or the exception it raised."""
    start = threading.Barrier(len(stores))
    outcomes: list[object] = [None] * len(stores)

    def run(n: int) -> None:
        start.wait(5)
        try:
            outcomes[n] = subscribe(stores[n], "g1", channel, "", f"0{n + 7}:00", "UTC", 5)
        except Exception as error:  # the failure the test is about, shown by the caller
            outcomes[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_two_simultaneous_subscribes_for_one_channel_both_succeed_with_one_subscription(settings, store):
    # Two bot processes (or lanes) answering `/digest subscribe` for one channel at the same
    # moment, each on its own connection: neither fails on the one-per-channel unique index.
    stores = [open_store(settings.store_url) for _ in range(2)]
    try:
        for round_ in range(8):
            channel = f"84{round_:02d}"
            outcomes = _subscribe_at_once(stores, channel)
            assert all(isinstance(o, tuple) for o in outcomes), outcomes
            assert sorted(o[1] for o in outcomes if isinstance(o, tuple)) == [False, True]  # one made it
            rows = store.db.execute("SELECT time_of_day FROM subscriptions WHERE channel_id = ?", [channel])
            assert [r[0] for r in rows.fetchall()] in (["07:00"], ["08:00"])
    finally:
        for opened in stores:
            opened.close()
