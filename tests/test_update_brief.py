"""Update briefs (`new_since`): what the articles after a moment add about a topic, leaving out
what the articles before it already said; over a real SQLite store and the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer.briefs.brief import brief
from summarizer.cli import main
from summarizer.models import Document
from summarizer.store import Store, open_store

DREDGING = "The Porthaven council approved a plan to dredge the harbour so that larger cargo ships can dock."
OLD = [
    DREDGING + " Fishermen worried that the dredging of the harbour would drive fish from the bay.",
    "Engineers surveyed the Porthaven harbour floor before the dredging plan was put to the council. "
    "The survey found silt two metres deep along the main quay of the harbour.",
]
NEW_FACT = "Dredging of the Porthaven harbour will cost 40 million euros, the port authority said on Friday."
NEW = [
    # repeats the old plan, adds the cost
    "The Porthaven council approved a plan to dredge the harbour so that larger cargo ships can dock there. "
    + NEW_FACT,
    "Work to dredge the Porthaven harbour will begin in March and last about eleven months, the port "
    "authority said. Harbour pilots will guide dredgers through the busy channel at night.",
]
TOPIC = "Porthaven harbour dredging"
UNRELATED = "A baker in the hill town won a national prize for her rye bread on Sunday evening."


def _day(n: int) -> datetime:
    return datetime(2026, 3, 1, 9, tzinfo=UTC) + timedelta(days=n)


def _fill(store: Store) -> None:
    """Two articles about the dredging plan before day 5, two after it, one on something else."""
    for n, text in enumerate(OLD):
        store.upsert(
            Document(
                f"https://old{n}.example/harbour", f"Porthaven harbour plan {n}", text, published_at=_day(n)
            )
        )
    for n, text in enumerate(NEW):
        store.upsert(
            Document(
                f"https://new{n}.example/harbour",
                f"Porthaven harbour works {n}",
                text,
                published_at=_day(6 + n),
            )
        )
    store.upsert(Document("https://bread.example/prize", "Bread prize", UNRELATED, published_at=_day(7)))


def _cited_urls(result) -> set[str]:
    return {citation.url for citation in result.citations}


def test_an_update_cites_only_the_articles_after_the_date(store, settings):
    _fill(store)
    plain = brief(store, TOPIC, settings=settings, mode="extractive")
    assert any("old" in url for url in _cited_urls(plain))  # the plain brief tells the old ones too
    update = brief(store, TOPIC, settings=settings, mode="extractive", new_since=_day(5))
    assert update.sentences
    assert _cited_urls(update) and all("new" in url for url in _cited_urls(update))
    assert update.matched == 2  # the new articles about the topic


@pytest.mark.parametrize("mode", ["extractive", "semantic"])
def test_a_repeated_fact_is_left_out_and_the_new_one_told(store, settings, mode):
    _fill(store)
    update = brief(store, TOPIC, settings=settings, mode=mode, new_since=_day(5))
    told = " ".join(sentence.text for sentence in update.sentences)
    assert NEW_FACT in told
    assert "approved a plan to dredge" not in told
    # The same new articles without what was known (only --since): the plan is told again.
    new_only = brief(store, TOPIC, settings=settings, mode=mode, since=_day(5))
    assert "approved a plan to dredge" in " ".join(sentence.text for sentence in new_only.sentences)


def test_nothing_new_is_an_empty_update(store, settings):
    _fill(store)
    later = brief(store, TOPIC, settings=settings, new_since=_day(10))
    assert later.empty and later.citations == [] and later.matched == 0


def test_a_naive_date_is_read_as_utc(store, settings):
    _fill(store)
    update = brief(store, TOPIC, settings=settings, mode="extractive", new_since=_day(5).replace(tzinfo=None))
    assert _cited_urls(update) and all("new" in url for url in _cited_urls(update))


@pytest.fixture
def run(tmp_path: Path, monkeypatch):
    """`briefbot --db <file> ARGS...` on a store holding the harbour articles."""
    monkeypatch.chdir(tmp_path)  # no stray .env from the repo
    db = tmp_path / "cli.db"
    filled = open_store(db)
    _fill(filled)
    filled.close()
    return lambda *args: CliRunner().invoke(main, ["--db", str(db), *args])


def test_cli_new_since_a_date_gives_the_update(run):
    result = run("brief", TOPIC, "--mode", "extractive", "--new-since", _day(5).date().isoformat(), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert NEW_FACT in " ".join(sentence["text"] for sentence in data["sentences"])
    assert data["citations"] and all("new" in citation["url"] for citation in data["citations"])


def test_cli_says_when_there_is_nothing_new(run):
    result = run("brief", TOPIC, "--new-since", "2026-04-01")
    assert result.exit_code == 0, result.output
    assert f"nothing new about {TOPIC!r} since 2026-04-01 00:00 UTC" in result.output
    # A duration counts back from now: these articles are all older than a day.
    recent = run("brief", TOPIC, "--new-since", "24h")
    assert f"nothing new about {TOPIC!r} since" in recent.output


def test_cli_bad_new_since_is_told_clearly(run):
    result = run("brief", TOPIC, "--new-since", "someday")
    assert result.exit_code == 1
    assert "24h" in result.output and "Traceback" not in result.output
