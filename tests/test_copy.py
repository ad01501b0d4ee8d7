"""`briefbot copy` and `briefbot migrate`: a whole store SQLite -> the test backend -> SQLite,
losing nothing (on PostgreSQL when BRIEFBOT_TEST_POSTGRES_URL is set, see conftest.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from summarizer.briefs.digest import compose_digest, record_digest, subscribe
from summarizer.cli import main
from summarizer.config import Settings
from summarizer.models import Document
from summarizer.store import SCHEMA_VERSION, Store, open_store
from summarizer.store.copy import table_counts
from summarizer.store.search import search
from summarizer.store.vectors import embed_pending

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
STORIES = [
    (
        "https://films.example/bafta",
        "Bafta film awards: Conclave wins",
        "Conclave won best film at the Baftas.",
    ),
    ("https://news.example/budget", "Budget vote delayed", "Parliament postponed the vote on the budget."),
    ("https://news.example/storm", "Storm floods coastal towns", "Heavy rain flooded several coastal towns."),
    ("https://sport.example/derby", "Chelsea beat Arsenal", "Chelsea won the derby two goals to one."),
    ("https://café.example/crème", "Crème brûlée at the café", "The café's crème brûlée won a prize."),
]
QUERIES = ["budget", "film OR derby", "creme brulee", '"coastal towns"', "won -chelsea"]


def _filled_sqlite(path: Path, settings: Settings) -> Store:
    """A SQLite store with something in every table."""
    store = open_store(str(path))
    for n, (url, title, text) in enumerate(STORIES):
        scope = "guild-9" if n == 3 else "global"
        store.upsert(
            Document(url=url, title=title, text=text, published_at=NOW - timedelta(hours=n), scope=scope),
            now=NOW - timedelta(minutes=n),
        )
    embed_pending(store, settings, limit=3)  # two articles still wait for a vector
    feed, _ = store.add_source("https://news.example/rss", title="News")
    store.update_source(feed["id"], etag='"v1"', consecutive_failures=2, last_error="timed out")
    store.add_source("https://guild.example/feed", scope="guild-9")
    subscription, _ = subscribe(store, "111", "222", "", "08:00", "UTC", 5, created_by="42", now=NOW)
    digest = compose_digest(store, subscription, NOW + timedelta(hours=1), settings)
    assert record_digest(store, subscription, date(2026, 11, 22), digest, NOW + timedelta(hours=1))
    store.insert_row(
        "brief_requests",
        {
            "topic": "budget",
            "articles": 5,
            "scope": "global",
            "user_id": "42",
            "created_at": "2026-11-22T12:00:00Z",
        },
    )
    store.set_meta("commands_hash:1:global", "abc")
    return store


def _all_rows(store: Store) -> dict[str, list[tuple]]:
    order = {
        "meta": "key",
        "posted_stories": "channel_id, article_id",
        "posted_sentences": "digest_story_id, position",
        "article_vectors": "article_id",
    }
    rows = {}
    for table in table_counts(store):
        columns = ", ".join(store.table_columns(table))
        found = store.db.execute(f"SELECT {columns} FROM {table} ORDER BY {order.get(table, 1)}").fetchall()
        rows[table] = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in found]
    return rows


def _found(store: Store, settings: Settings) -> dict[str, list[str]]:
    return {
        query: sorted(hit.article.url for hit in search(store, query, now=NOW, settings=settings, limit=20))
        for query in QUERIES
    }


def test_copy_to_the_backend_and_back_loses_nothing(tmp_path: Path, settings: Settings):
    source = _filled_sqlite(tmp_path / "source.db", settings)
    expected_rows, expected_hits = _all_rows(source), _found(source, settings)
    assert all(table_counts(source).values())  # something in every table
    source.close()
    runner = CliRunner()

    there = runner.invoke(main, ["copy", str(tmp_path / "source.db"), settings.store_url])
    assert there.exit_code == 0, there.output
    assert "articles" in there.output and f"{len(STORIES)}" in there.output
    back = runner.invoke(main, ["copy", settings.store_url, f"sqlite:///{tmp_path / 'back.db'}"])
    assert back.exit_code == 0, back.output

    for where in (settings.store_url, str(tmp_path / "back.db")):
        copied = open_store(where)
        assert _all_rows(copied) == expected_rows, where  # every row of every table, ids kept
        assert _found(copied, settings) == expected_hits, where  # the full-text index was rebuilt
        copied.close()

    middle = open_store(settings.store_url)
    # New rows get new ids after the copied ones; the two articles without a vector still wait for one.
    _, new_id = middle.upsert(Document(url="https://new.example/1", title="New", text="A new story."))
    assert new_id == len(STORIES) + 1
    assert (
        middle.insert_row(
            "brief_requests", {"topic": "x", "scope": "global", "user_id": "1", "created_at": "t"}
        )
        == 2
    )
    assert embed_pending(middle, settings) == 3
    middle.close()


def test_copy_refuses_a_store_that_is_not_empty(tmp_path: Path, settings: Settings):
    _filled_sqlite(tmp_path / "source.db", settings).close()
    open_store(settings.store_url).upsert(Document(url="https://x.example/", title="Mine", text="Keep me."))
    runner = CliRunner()
    refused = runner.invoke(main, ["copy", str(tmp_path / "source.db"), settings.store_url])
    assert refused.exit_code == 1 and "not empty (1 articles" in refused.output
    replaced = runner.invoke(main, ["copy", "--replace", str(tmp_path / "source.db"), settings.store_url])
    assert replaced.exit_code == 0, replaced.output
    store = open_store(settings.store_url)
    assert store.count_all() == len(STORIES) and not search(store, "keep", now=NOW, settings=settings)
    store.close()


def test_migrate_brings_a_store_to_the_current_schema_and_says_so(settings: Settings):
    runner = CliRunner()
    missing = runner.invoke(main, ["migrate", "--db", settings.database_path])
    assert missing.exit_code == 1 and "no store at" in missing.output
    store = open_store(settings.store_url, migrate=False)
    assert store.schema_version == 0
    store.close()
    first = runner.invoke(main, ["--db", settings.store_url, "migrate"])
    assert first.exit_code == 0 and f"schema version 0 -> {SCHEMA_VERSION}" in first.output
    again = runner.invoke(main, ["migrate", "--db", settings.store_url])
    assert again.exit_code == 0 and f"already at schema version {SCHEMA_VERSION}" in again.output
