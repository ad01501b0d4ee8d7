"""The store on real SQLite files: dedup, updates, scopes, migrations, sources."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from summarizer.models import Document, Outcome
from summarizer.store import SCHEMA_VERSION, Store, open_store
from summarizer.urls import canonical_url


def doc(url="https://news.example.com/a", text="Officials met on Monday to discuss aid.", **kw):
    return Document(url=url, title=kw.pop("title", "Aid talks"), text=text, **kw)


def test_canonical_url_drops_tracking_and_fragment_and_lowercases_host():
    assert (
        canonical_url("HTTPS://News.Example.COM:443/World/Story?id=7&utm_source=x&fbclid=1#top")
        == "https://news.example.com/World/Story?id=7"
    )
    assert canonical_url("http://example.com") == "http://example.com/"
    assert canonical_url("http://example.com:8080/a?b=1") == "http://example.com:8080/a?b=1"


def test_same_url_or_same_text_is_stored_once(store: Store):
    assert store.upsert(doc())[0] is Outcome.ADDED
    assert store.upsert(doc(url="https://NEWS.example.com/a?utm_medium=rss#x"))[0] is Outcome.DUPLICATE
    # The same story at another URL (case and spacing differ): one article.
    outcome, _ = store.upsert(
        doc(url="https://mirror.example.org/a", text="officials  met on Monday to discuss AID.")
    )
    assert outcome is Outcome.DUPLICATE
    assert store.count() == 1


def test_changed_text_at_the_same_url_updates_the_article(store: Store):
    _, article_id = store.upsert(doc())
    outcome, same_id = store.upsert(doc(text="Officials met on Monday and agreed to send aid."))
    assert (outcome, same_id) == (Outcome.UPDATED, article_id)
    stored = store.get(article_id)
    assert stored is not None and stored.text.endswith("agreed to send aid.")
    assert store.count() == 1


def test_guild_articles_are_invisible_to_other_guilds(store: Store):
    store.upsert(doc(scope="guild-1", url="https://private.example.com/x", text="Secret roadmap."))
    store.upsert(doc())
    assert store.count("guild-1") == 2
    assert store.count("guild-2") == 1
    assert store.count("global") == 1


def test_reopening_keeps_data_and_schema_version(settings, backend):
    first = open_store(settings.store_url)
    first.upsert(doc(published_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC)))
    first.close()
    again = open_store(settings.store_url)
    assert again.schema_version == SCHEMA_VERSION
    article = again.get(1)
    assert article.published_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    if backend == "sqlite":
        assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.close()


def test_a_newer_schema_is_refused_with_a_clear_message(settings):
    first = open_store(settings.store_url)
    first.set_meta("schema_version", "999")
    first.close()
    with pytest.raises(RuntimeError, match="upgrade briefbot"):
        open_store(settings.store_url)


def test_a_failed_batch_rolls_back_and_keeps_what_was_stored(store: Store):
    store.upsert(doc())
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.upsert(doc(url="https://news.example.com/b", text="Another story entirely."))
            raise RuntimeError("the batch fails after its first write")
    assert store.count() == 1


def test_sources_add_list_remove_and_due(store: Store):
    source, created = store.add_source("https://Feeds.example.com/rss?utm_campaign=z", title="Example")
    assert created and source["url"] == "https://feeds.example.com/rss"
    assert store.add_source("https://feeds.example.com/rss")[1] is False
    now = datetime.now(UTC)
    assert [s["url"] for s in store.due_sources(now)] == ["https://feeds.example.com/rss"]
    store.update_source(
        source["id"], next_poll_at=(now + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    assert store.due_sources(now) == []
    assert store.remove_source("https://feeds.example.com/rss") is True
    assert store.list_sources() == []


def test_ingested_since_lists_new_articles_newest_first(store: Store):
    start = datetime(2026, 11, 22, 8, tzinfo=UTC)
    store.upsert(doc(url="https://e.com/1", text="One."), now=start)
    store.upsert(doc(url="https://e.com/2", text="Two."), now=start + timedelta(hours=2))
    store.upsert(doc(url="https://e.com/3", text="Three."), now=start + timedelta(hours=4))
    found = store.ingested_since(start + timedelta(hours=1))
    assert [a.text for a in found] == ["Three.", "Two."]


def test_two_writers_storing_the_same_articles_at_once_store_each_once(settings):
    """Two ingesters (each its own Store and connection, batches in transactions as ingest
    writes them) store the same records at the same moment: URLs and texts stored once."""
    records = [(f"https://wire.example/{n}", f"Story {n}: officials met about item {n}.") for n in range(120)]
    barrier = threading.Barrier(2)
    outcomes: list[Outcome] = []
    errors: list[BaseException] = []

    def writer(mirror: bool) -> None:
        store = open_store(settings.store_url)
        try:
            barrier.wait(timeout=20)
            for start in range(0, len(records), 20):
                with store.transaction():
                    for n, (url, text) in enumerate(records[start : start + 20], start):
                        # The second writer finds every other story at a mirror URL: same text.
                        at = url.replace("wire.", "mirror.") if mirror and n % 2 else url
                        outcomes.append(store.upsert(doc(url=at, text=text, title=f"Story {n}"))[0])
        except BaseException as exc:  # surfaced below: a failing thread must fail the test
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=writer, args=(mirror,)) for mirror in (False, True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    store = open_store(settings.store_url)
    assert store.count() == len(records)
    assert outcomes.count(Outcome.ADDED) == len(records)
    assert store.db.execute("SELECT count(DISTINCT content_hash) FROM articles").fetchone()[0] == len(records)
    store.close()
