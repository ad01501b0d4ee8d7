"""`briefbot status`, run as a deployment's health check would: what the store holds, the last
poll and digest, and the bot's heartbeat, with exit status 1 when the bot is down or stuck.
(tests/test_bot_heartbeat.py has the running bot write the heartbeat over the wire.)"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer.briefs.digest import Digest, mark_posted, record_digest, subscribe
from summarizer.cli import main
from summarizer.health import read_heartbeat, write_heartbeat
from summarizer.models import Document
from summarizer.store import SCHEMA_VERSION, open_store

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture
def status(tmp_path: Path, monkeypatch):
    """Run `briefbot status ARGS...` against tmp_path/cli.db; returns the click Result."""
    monkeypatch.chdir(tmp_path)  # no stray .env from the repo
    monkeypatch.delenv("HEARTBEAT_FILE", raising=False)
    monkeypatch.setenv("HEARTBEAT_INTERVAL", "30s")

    def invoke(*args: str):
        return CliRunner().invoke(main, ["--db", str(tmp_path / "cli.db"), "status", *args])

    return invoke


def _store_with_articles(path: Path, count: int) -> None:
    store = open_store(path)
    try:
        for n in range(count):
            store.upsert(
                Document(url=f"https://news.example/{n}", title=f"Story {n}", text=f"Text of story {n}.")
            )
    finally:
        store.close()


def test_status_of_a_live_bot_exits_0_and_tells_the_store(tmp_path, status):
    _store_with_articles(tmp_path / "cli.db", 3)
    write_heartbeat(tmp_path / "cli.db.heartbeat", guilds=2, now=datetime.now(UTC) - timedelta(seconds=20))

    result = status()
    assert result.exit_code == 0, result.output
    assert f"3 articles, schema version {SCHEMA_VERSION}" in result.output
    assert "last poll never" in result.output
    assert "last posted never" in result.output
    assert "bot      up: heartbeat 20 s ago" in result.output
    assert "2 guilds" in result.output


def test_a_stale_or_missing_heartbeat_exits_1_naming_the_file(tmp_path, status):
    _store_with_articles(tmp_path / "cli.db", 1)
    missing = status()
    assert missing.exit_code == 1
    assert "DOWN: no heartbeat in" in missing.output and "cli.db.heartbeat" in missing.output

    # Three intervals (3 x 30 s) is the limit: 91 s is stale, 89 s is not.
    write_heartbeat(tmp_path / "cli.db.heartbeat", guilds=1, now=datetime.now(UTC) - timedelta(seconds=91))
    stale = status()
    assert stale.exit_code == 1
    assert "DOWN: last heartbeat" in stale.output and "stale after 90 s" in stale.output
    write_heartbeat(tmp_path / "cli.db.heartbeat", guilds=1, now=datetime.now(UTC) - timedelta(seconds=89))
    assert status().exit_code == 0


def test_heartbeat_file_and_interval_come_from_the_settings(tmp_path, status, monkeypatch):
    _store_with_articles(tmp_path / "cli.db", 1)
    elsewhere = tmp_path / "run" / "bot.alive"
    write_heartbeat(elsewhere, guilds=1, now=datetime.now(UTC) - timedelta(minutes=5))
    monkeypatch.setenv("HEARTBEAT_FILE", str(elsewhere))
    assert status().exit_code == 1  # 5 min > 3 x 30 s
    monkeypatch.setenv("HEARTBEAT_INTERVAL", "10m")
    assert status().exit_code == 0


def test_each_shard_process_has_its_own_heartbeat_beside_the_database(tmp_path, status, monkeypatch):
    _store_with_articles(tmp_path / "cli.db", 1)
    write_heartbeat(tmp_path / "cli.db.shard1.heartbeat", guilds=3)
    monkeypatch.setenv("SHARD_COUNT", "2")
    monkeypatch.setenv("SHARD_IDS", "0")
    down = status()
    assert down.exit_code == 1 and "cli.db.shard0.heartbeat" in down.output  # shard 0 never wrote one
    monkeypatch.setenv("SHARD_IDS", "1")
    up = status()
    assert up.exit_code == 0 and "3 guilds" in up.output


def test_status_shows_the_last_poll_failing_feeds_and_last_posted_digest(tmp_path, status):
    db = tmp_path / "cli.db"
    _store_with_articles(db, 2)
    store = open_store(db)
    try:
        polled = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)
        ok, _ = store.add_source("https://a.example/feed.xml")
        bad, _ = store.add_source("https://b.example/feed.xml")
        store.update_source(ok["id"], last_polled_at="2026-11-30T09:00:00Z", last_ok="2026-11-30T09:00:00Z")
        store.update_source(bad["id"], last_polled_at="2026-11-30T09:15:00Z", last_error="HTTP 500")
        subscription, _ = subscribe(store, "1", "2", "", "08:00", "UTC", 5)
        posted_at = datetime(2026, 12, 1, 8, 0, 30, tzinfo=UTC)
        digest = Digest(subscription, posted_at - timedelta(days=1), posted_at)
        assert record_digest(store, subscription, date(2026, 12, 1), digest, posted_at)
        mark_posted(store, subscription.id, date(2026, 12, 1), posted_at)
    finally:
        store.close()
    write_heartbeat(tmp_path / "cli.db.heartbeat", guilds=1)

    result = status()
    assert result.exit_code == 0, result.output
    assert f"feeds    2, 1 failing; last poll {polled:%Y-%m-%d %H:%M} UTC" in result.output
    assert "digests  last posted 2026-12-01 08:00 UTC" in result.output

    report = json.loads(status("--json").output)
    assert report["store"]["articles"] == 2
    assert report["store"]["feeds"] == 2 and report["store"]["failing_feeds"] == 1
    assert report["store"]["last_poll"] == "2026-11-30T09:15:00Z"
    assert report["store"]["last_digest"] == "2026-12-01T08:00:30Z"
    assert report["bot_alive"] is True and report["stale_after_seconds"] == 90.0


def test_status_never_creates_a_store_and_says_why_it_cannot_read_one(tmp_path, status):
    result = status()
    assert result.exit_code == 1
    assert "no store at" in " ".join(result.output.split()) and "Traceback" not in result.output
    assert not (tmp_path / "cli.db").exists()

    (tmp_path / "cli.db").write_text("not a database")
    broken = status()
    assert broken.exit_code == 1
    assert "is not a briefbot store" in " ".join(broken.output.split())  # rich wraps long lines


def test_a_half_written_or_foreign_heartbeat_reads_as_none(tmp_path):
    path = tmp_path / "beat"
    assert read_heartbeat(path) is None
    path.write_text('{"at": "2026-12')
    assert read_heartbeat(path) is None
    write_heartbeat(path, guilds=4, now=datetime(2026, 12, 6, 10, 0, 0, 250000, tzinfo=UTC))
    beat = read_heartbeat(path)
    assert beat is not None and beat.guilds == 4
    assert beat.at == datetime(2026, 12, 6, 10, 0, 0, 250000, tzinfo=UTC)  # sub-second intervals work
    assert [p.name for p in tmp_path.iterdir()] == ["beat"]  # no temporary file left behind
