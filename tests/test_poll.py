"""Feed polling against a real local HTTP server and a real SQLite store."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from http_server import article_page, feed_body, rss_feed

from summarizer.errors import FeedError, FetchError
from summarizer.sources.poll import (
    add_feed,
    backoff_delay,
    claim_disabled_announcement,
    disable_source,
    poll_due,
    unannounced_disabled_sources,
)
from summarizer.store import open_store, parse_utc

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def rfc822(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def items(server, names_and_ages: list[tuple[str, timedelta]]) -> list[tuple[str, str, str, str]]:
    return [
        (f"{name} report", server.url(f"/a/{name}"), rfc822(NOW - age), feed_body(name))
        for name, age in names_and_ages
    ]


def test_add_feed_checks_the_url_is_a_feed(http_server, store, settings):
    feed_url = http_server.route("/rss", rss_feed("Valley News", []), content_type="application/rss+xml")
    page_url = http_server.route("/page", article_page("Just a page", ["Some text here."]))
    source, created = add_feed(store, feed_url, settings, scope="42")
    assert created and source["title"] == "Valley News" and source["scope"] == "42"
    assert add_feed(store, feed_url, settings, scope="42")[1] is False
    with pytest.raises(FeedError, match="not a feed: .* is a web page"):
        add_feed(store, page_url, settings)
    with pytest.raises(FetchError, match="dead link: 404"):
        add_feed(store, http_server.url("/nothing"), settings)
    assert [row["url"] for row in store.list_sources()] == [feed_url]


def test_add_feed_finds_the_feed_a_page_advertises(http_server, store, settings):
    feed_url = http_server.route(
        "/news/rss.xml", rss_feed("Valley News", []), content_type="application/rss+xml"
    )
    page = article_page("Valley News home", ["Today's stories."]).replace(
        "<head>",
        '<head><link rel="alternate" type="application/rss+xml" title="RSS" href="/news/rss.xml">',
        1,
    )
    assert "rss.xml" in page
    home = http_server.route("/", page)
    source, created = add_feed(store, home, settings)
    assert created and source["url"] == feed_url and source["title"] == "Valley News"


def test_first_poll_filters_old_items_caps_newest_and_then_gets_304(http_server, store, settings):
    settings = dataclasses.replace(settings, poll_max_items=3, poll_first_max_age="3d")
    ages = [
        ("alpha", timedelta(hours=1)),
        ("bravo", timedelta(hours=5)),
        ("charlie", timedelta(days=1)),
        ("delta", timedelta(days=2)),
        ("echo", timedelta(days=10)),
    ]
    feed_url = http_server.route(
        "/rss",
        rss_feed("Valley News", items(http_server, ages)),
        content_type="application/rss+xml",
        etag='"rev-1"',
    )
    add_feed(store, feed_url, settings, scope="guild-7")
    [report] = poll_due(store, settings, now=NOW)
    assert report.ok and not report.not_modified
    assert [r.title for r in report.results] == ["alpha report", "bravo report", "charlie report"]
    assert report.added == 3 and store.count("guild-7") == 3 and store.count("global") == 0
    article = store.get(report.results[0].article_id)
    assert (article.source, article.scope) == ("Valley News", "guild-7")
    assert article.published_at == NOW - timedelta(hours=1)
    source = store.get_source(feed_url, "guild-7")
    assert source["etag"] == '"rev-1"' and source["last_error"] is None
    assert parse_utc(source["next_poll_at"]) == NOW + timedelta(minutes=15)
    assert "3 added" in report.describe()

    assert poll_due(store, settings, now=NOW + timedelta(minutes=5)) == []  # not due yet
    [again] = poll_due(store, settings, now=NOW + timedelta(minutes=16))
    assert again.ok and again.not_modified and again.results == []
    assert http_server.requests_to("/rss")[-1]["If-None-Match"] == '"rev-1"'
    assert store.count("guild-7") == 3


def test_later_polls_keep_old_items_but_still_cap(http_server, store, settings):
    settings = dataclasses.replace(settings, poll_max_items=2, poll_first_max_age="1d")
    feed_url = http_server.route(
        "/rss",
        rss_feed("Wire", items(http_server, [("one", timedelta(hours=2))])),
        content_type="application/rss+xml",
    )
    add_feed(store, feed_url, settings)
    assert poll_due(store, settings, now=NOW)[0].added == 1
    older = [("two", timedelta(days=5)), ("three", timedelta(days=6)), ("four", timedelta(days=7))]
    http_server.route("/rss", rss_feed("Wire", items(http_server, older)), content_type="application/rss+xml")
    [report] = poll_due(store, settings, now=NOW + timedelta(hours=1))
    assert [r.title for r in report.results] == ["two report", "three report"]
    assert store.count() == 3


def test_failures_back_off_exponentially_up_to_the_cap_then_recover(http_server, store, settings):
    settings = dataclasses.replace(settings, poll_interval="15m", poll_max_backoff="2h")
    good = rss_feed("Flaky", items(http_server, [("kilo", timedelta(hours=1))]))
    feed_url = http_server.route("/rss", good, content_type="application/rss+xml")
    add_feed(store, feed_url, settings)
    http_server.route("/rss", "down for maintenance", status=500)
    now, waits = NOW, []
    for attempt in range(1, 5):
        [report] = poll_due(store, settings, now=now)
        source = store.get_source(feed_url)
        assert not report.ok and report.error == "server error: 500 Internal Server Error"
        assert source["consecutive_failures"] == attempt and source["last_error"] == report.error
        assert "failed (server error: 500" in report.describe()
        waits.append(parse_utc(source["next_poll_at"]) - now)
        assert poll_due(store, settings, now=now + waits[-1] - timedelta(seconds=1)) == []
        now += waits[-1]
    assert waits == [timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2), timedelta(hours=2)]
    http_server.route("/rss", good, content_type="application/rss+xml")
    [report] = poll_due(store, settings, now=now)
    source = store.get_source(feed_url)
    assert report.ok and report.added == 1
    assert (source["consecutive_failures"], source["last_error"]) == (0, None)
    assert parse_utc(source["last_ok"]) == now


def test_backoff_delay_never_overflows(settings):
    settings = dataclasses.replace(settings, poll_interval="1d", poll_max_backoff="3d")
    assert backoff_delay(settings, 0) == timedelta(days=1)
    assert backoff_delay(settings, 1) == timedelta(days=2)
    assert backoff_delay(settings, 10_000) == timedelta(days=3)


def test_one_failing_feed_never_stops_the_others(http_server, store, settings):
    broken = http_server.route(
        "/broken", b"<?xml version='1.0'?><rss><channel><<&&", content_type="application/rss+xml"
    )
    healthy = http_server.route(
        "/rss",
        rss_feed("Healthy", items(http_server, [("lima", timedelta(hours=1))])),
        content_type="application/rss+xml",
    )
    store.add_source(broken)  # registered while it still worked
    store.add_source(http_server.url("/gone"))
    add_feed(store, healthy, settings)
    reports = poll_due(store, settings, now=NOW)
    assert [r.ok for r in reports] == [False, False, True]
    assert reports[0].error.startswith("broken feed at")
    assert reports[1].error == "dead link: 404 Not Found"
    assert reports[2].added == 1 and store.count() == 1


def test_page_that_replaced_a_feed_is_a_readable_error(http_server, store, settings):
    url = http_server.route("/rss", rss_feed("Moved", []), content_type="application/rss+xml")
    add_feed(store, url, settings)
    http_server.route("/rss", article_page("We moved our feed", ["Please update your reader."]))
    [report] = poll_due(store, settings, now=NOW)
    assert report.error == f"no longer a feed: {url} now serves text/html"


def test_teaser_items_already_stored_are_not_fetched_again(http_server, store, settings):
    http_server.route("/a/mike", article_page("Mike report", [feed_body("mike")]))
    teaser = [("Mike report", http_server.url("/a/mike"), rfc822(NOW - timedelta(hours=1)), "<p>Teaser.</p>")]
    url = http_server.route("/rss", rss_feed("Teasers", teaser), content_type="application/rss+xml")
    add_feed(store, url, settings)
    assert poll_due(store, settings, now=NOW)[0].added == 1
    [second] = poll_due(store, settings, now=NOW + timedelta(hours=1))
    assert [r.outcome.value for r in second.results] == ["duplicate"]
    assert len(http_server.requests_to("/a/mike")) == 1


def test_due_feeds_are_fetched_together_and_a_trickling_one_is_cut_off(http_server, store, settings):
    quick = dataclasses.replace(settings, http_connect_timeout=0.5, http_read_timeout=2.0)
    for name in ("november", "oscar", "papa"):
        feed = rss_feed(name.title(), items(http_server, [(name, timedelta(hours=1))]))
        store.add_source(
            http_server.route(f"/{name}.rss", feed, content_type="application/rss+xml", delay=1.0)
        )
    # A byte every 0.2 s: never a 2 s silence, and about a minute for the whole feed uncut.
    store.add_source(
        http_server.route("/drip.rss", rss_feed("Drip", []), content_type="application/rss+xml", trickle=0.2)
    )
    reports = poll_due(store, quick, now=NOW)
    assert [(r.ok, r.added) for r in reports] == [(True, 1), (True, 1), (True, 1), (False, 0)]
    assert reports[3].error == "timed out after 2.5 s (the whole download)"
    assert store.count() == 3
    # Every feed was being answered at once: the slow one held up none of the others.
    assert http_server.max_in_flight == 4


def test_a_disabled_feed_is_claimed_for_telling_by_one_process_once_and_again_after_a_resume(settings, store):
    source, _ = store.add_source("https://feeds.example/harbour.xml", scope="123")
    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    assert unannounced_disabled_sources(store) == []
    assert disable_source(store, source["id"], "HTTP 503", now) is not None
    assert [s["id"] for s in unannounced_disabled_sources(store)] == [source["id"]]

    other = open_store(settings.store_url)  # a second bot process on the same store
    try:
        claims = [claim_disabled_announcement(s, source["id"], now) for s in (store, other, store)]
        assert claims == [True, False, False]
        assert unannounced_disabled_sources(other) == []
    finally:
        other.close()

    store.update_source(source["id"], disabled_at=None, disabled_reason=None)  # `/sources add` again
    assert claim_disabled_announcement(store, source["id"], now) is False  # not disabled: nothing to tell
    assert disable_source(store, source["id"], "HTTP 404", now + timedelta(days=1)) is not None
    assert [s["disabled_reason"] for s in unannounced_disabled_sources(store)] == ["HTTP 404"]


def test_feeds_disabled_before_schema_7_count_as_told(settings, backend, monkeypatch):
    # Upgrading must not make every bot announce feeds disabled (and told) long ago.
    import importlib

    module = importlib.import_module(
        f"summarizer.store.{'postgres' if backend == 'postgresql' else 'sqlite'}"
    )
    with monkeypatch.context() as old:
        old.setattr(module, "MIGRATIONS", module.MIGRATIONS[:6])
        old.setattr(module, "SCHEMA_VERSION", 6)
        store = open_store(settings.store_url)
        source, _ = store.add_source("https://feeds.example/old.xml")
        store.db.execute(
            "UPDATE sources SET disabled_at = ? WHERE id = ?", ["2026-01-02T03:04:05Z", source["id"]]
        )
        store.close()
    store = open_store(settings.store_url)  # migrated to 7
    try:
        assert store.schema_version >= 7
        assert unannounced_disabled_sources(store) == []
        assert (
            disable_source(store, store.add_source("https://feeds.example/new.xml")[0]["id"], "x", NOW)
            is not None
        )
        assert [s["url"] for s in unannounced_disabled_sources(store)] == ["https://feeds.example/new.xml"]
    finally:
        store.close()
