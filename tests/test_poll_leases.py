"""Several pollers on one store: each due feed is polled by one of them (leases), and the feeds
of a poller killed mid-poll are polled again once its lease has expired. Real `briefbot poll`
processes, a real HTTP feed server on 127.0.0.1, one real store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from http_server import feed_body, rss_feed

from summarizer.sources.poll import claim_due, poll_due, release_leases
from summarizer.store import Store, open_store

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parent.parent
FEEDS = 10


def rfc822(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def feed_document(server, n: int) -> str:
    """Feed number `n`: two fresh items."""
    when = rfc822(datetime.now(UTC) - timedelta(hours=1))
    items = [
        (f"Story {n}-{k}", server.url(f"/a/{n}-{k}"), when, feed_body(f"harbour {n} {k}")) for k in range(2)
    ]
    return rss_feed(f"Feed {n}", items)


def serve_feeds(server, count: int, delay: float) -> list[str]:
    """`count` feeds, every answer `delay` seconds late; their paths."""
    paths = [f"/feed{n}.xml" for n in range(count)]
    for n, path in enumerate(paths):
        server.route(path, feed_document(server, n), content_type="application/rss+xml", delay=delay)
    return paths


@pytest.fixture
def database(tmp_path: Path, database_url: str) -> str:
    """The one store the pollers share: a SQLite file, or a PostgreSQL schema (conftest.py)."""
    return database_url if database_url.startswith("postgresql://") else str(tmp_path / "shared.db")


def database_env(database: str) -> dict[str, str]:
    """What points a briefbot process at `database`."""
    if database.startswith("postgresql://"):
        return {"DATABASE_URL": database}
    return {"DATABASE_PATH": database}


def open_database(database: str) -> Store:
    return open_store(database)


def poller_env(database: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "POLL_", "DATABASE_"))}
    env.update(
        PYTHONPATH=str(REPO),
        **database_env(database),
        ALLOW_PRIVATE_URLS="true",
        VECTOR_SEARCH="false",
        **settings,
    )
    return env


def start_poller(env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "summarizer.cli", "poll"],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_two_pollers_at_once_fetch_each_due_feed_once(tmp_path, http_server, database):
    paths = serve_feeds(http_server, FEEDS, delay=1.5)
    with closing(open_database(database)) as store:
        for path in paths:
            store.add_source(http_server.url(path))
    env = poller_env(database)
    pollers = [start_poller(env, tmp_path) for _ in range(2)]
    outputs = [poller.communicate(timeout=90)[0] for poller in pollers]
    assert [poller.returncode for poller in pollers] == [0, 0], outputs

    assert [len(http_server.requests_to(path)) for path in paths] == [1] * FEEDS
    polled = [output.count(": 2 added") for output in outputs]
    assert sum(polled) == FEEDS, outputs
    with closing(open_database(database)) as store:
        assert store.count() == 2 * FEEDS
        rows = store.list_sources()
    assert all(row["last_ok"] and row["leased_by"] is None for row in rows)  # released


def test_a_killed_pollers_feeds_are_polled_again_once_its_lease_expires(tmp_path, http_server, database):
    (path,) = serve_feeds(http_server, 1, delay=10.0)  # still downloading when it is killed
    with closing(open_database(database)) as store:
        store.add_source(http_server.url(path))
    env = poller_env(database, POLL_LEASE="6s")
    killed = start_poller(env, tmp_path)
    deadline = time.monotonic() + 60
    while not http_server.requests_to(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert http_server.requests_to(path), "the first poller never fetched the feed"
    killed.send_signal(signal.SIGKILL)
    killed.communicate(timeout=10)
    leased_at = time.monotonic()

    http_server.route(path, feed_document(http_server, 0), content_type="application/rss+xml")  # at once now
    early = subprocess.run(
        [sys.executable, "-m", "summarizer.cli", "poll"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    if time.monotonic() - leased_at < 5.5:  # the lease surely still held (unless very slow)
        assert "1 being polled by another poller" in early.stdout, early.stdout + early.stderr
        assert len(http_server.requests_to(path)) == 1

    time.sleep(max(0.0, leased_at + 7.0 - time.monotonic()))
    late = subprocess.run(
        [sys.executable, "-m", "summarizer.cli", "poll"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert late.returncode == 0, late.stdout + late.stderr
    assert "2 added" in early.stdout + late.stdout, early.stdout + late.stdout  # (late, usually)
    assert len(http_server.requests_to(path)) == 2
    with closing(open_database(database)) as store:
        assert store.count() == 2
        (row,) = store.list_sources()
    assert row["last_ok"] and row["leased_by"] is None


def test_a_claimed_feed_is_not_claimed_again_until_released_or_expired(store, settings):
    now = datetime.now(UTC)
    store.add_source("https://feeds.example.com/a.xml")
    store.add_source("https://feeds.example.com/b.xml")
    first = claim_due(store, now, "poller-1", now + timedelta(minutes=10), limit=1)
    second = claim_due(store, now, "poller-2", now + timedelta(minutes=10), limit=5)
    assert [row["url"] for row in first] == ["https://feeds.example.com/a.xml"]
    assert [row["url"] for row in second] == ["https://feeds.example.com/b.xml"]
    assert first[0]["leased_by"] == "poller-1"
    assert claim_due(store, now, "poller-3", now + timedelta(minutes=10), limit=5) == []
    release_leases(store, "poller-1")
    assert [row["id"] for row in claim_due(store, now, "poller-3", now, limit=5)] == [first[0]["id"]]
    later = now + timedelta(minutes=11)  # poller-2 and poller-3 never came back
    assert len(claim_due(store, later, "poller-4", later + timedelta(minutes=10), limit=5)) == 2
    assert poll_due(store, settings, now) == []  # everything is leased to poller-4


def test_sigterm_stops_a_poller_cleanly_and_gives_its_feeds_back_at_once(tmp_path, http_server, database):
    (path,) = serve_feeds(http_server, 1, delay=3.0)
    with closing(open_database(database)) as store:
        store.add_source(http_server.url(path))
    env = poller_env(database)
    poller = subprocess.Popen(
        [sys.executable, "-m", "summarizer.cli", "poll", "--every", "60s"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not http_server.requests_to(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    poller.send_signal(signal.SIGTERM)  # docker stop, mid-download
    output = poller.communicate(timeout=30)[0]
    assert poller.returncode == 0 and output.strip().endswith("stopped"), output
    assert "Traceback" not in output
    with closing(open_database(database)) as store:
        (row,) = store.list_sources()
    assert row["leased_by"] is None and row["last_polled_at"] is None  # given back, not polled

    http_server.route(path, feed_document(http_server, 0), content_type="application/rss+xml")
    again = subprocess.run(
        [sys.executable, "-m", "summarizer.cli", "poll"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "2 added" in again.stdout, again.stdout + again.stderr
