"""Hybrid retrieval on real SQLite files: vectors made at ingest, paraphrases found, filters
inside the candidate query, the relevance floor, and scores a reader can use."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from summarizer import embeddings
from summarizer.briefs.brief import brief
from summarizer.cli import main
from summarizer.config import Settings
from summarizer.models import Document
from summarizer.sources.ingest import ingest
from summarizer.store import Store, open_store
from summarizer.store.retrieve import retrieve
from summarizer.store.search import search
from summarizer.store.vectors import embed_pending, pending_count

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)

ARTICLES = [
    (
        "https://films.example/bafta",
        "Bafta film awards: Conclave wins",
        "The British Academy Film Awards honoured Conclave as the year's best film; Ralph Fiennes and "
        "Mikey Madison won the acting awards at the ceremony in London.",
    ),
    (
        "https://films.example/oscars",
        "Oscars night: Anora wins best picture",
        "The Academy handed out its statuettes in Hollywood on Sunday. Mikey Madison was named best "
        "actress and Adrien Brody best actor for The Brutalist, while Sean Baker took the directing prize.",
    ),
    (
        "https://news.example/budget",
        "Budget vote delayed",
        "Parliament postponed the vote on the budget after the finance minister resigned.",
    ),
    (
        "https://news.example/storm",
        "Storm floods coastal towns",
        "Heavy rain flooded several towns along the coast overnight. Roads were closed and schools shut.",
    ),
    (
        "https://sport.example/derby",
        "Chelsea beat Arsenal",
        "Chelsea won the derby two goals to one at Stamford Bridge on Saturday.",
    ),
]


def _fill(store: Store, settings: Settings) -> None:
    for url, title, text in ARTICLES:
        store.upsert(Document(url=url, title=title, text=text, published_at=NOW - timedelta(days=1)))
    embed_pending(store, settings)


def titles(hits) -> list[str]:
    return [hit.article.title for hit in hits]


def test_ingest_stores_a_vector_with_every_article(store, settings, tmp_path: Path):
    records = tmp_path / "news.jsonl"
    records.write_text("\n".join(json.dumps({"url": u, "title": t, "text": x}) for u, t, x in ARTICLES))
    results = ingest(store, [str(records)], settings)
    assert all(r.article_id for r in results)
    rows = store.db.execute("SELECT article_id, model, length(vector) FROM article_vectors").fetchall()
    assert len(rows) == len(ARTICLES)
    assert {model for _, model, _ in rows} == {embeddings.STATIC_MODEL_NAME}
    assert {size for _, _, size in rows} == {embeddings.STATIC_DIMS * 4}  # float32
    assert pending_count(store) == 0

    # A changed text loses its old vector; the next catch-up makes the new one.
    budget = store.db.execute("SELECT id FROM articles WHERE url LIKE '%budget'").fetchone()[0]
    store.upsert(
        Document(url=ARTICLES[2][0], title="Budget passes", text="Parliament passed the budget at last.")
    )
    assert pending_count(store) == 1
    assert embed_pending(store, settings) == 1
    assert (
        store.db.execute("SELECT count(*) FROM article_vectors WHERE article_id = ?", [budget]).fetchone()[0]
        == 1
    )


def test_hybrid_finds_the_paraphrase_words_miss(store, settings):
    _fill(store, settings)
    hybrid = titles(retrieve(store, "film awards", settings=settings, now=NOW))
    assert hybrid[0] == "Bafta film awards: Conclave wins"
    assert "Oscars night: Anora wins best picture" in hybrid  # not one word in common
    assert not {"Budget vote delayed", "Chelsea beat Arsenal", "Storm floods coastal towns"} & set(hybrid)
    words_only = titles(retrieve(store, "film awards", settings=Settings(vector_search=False), now=NOW))
    assert "Oscars night: Anora wins best picture" not in words_only


def test_a_topic_nothing_is_about_gives_no_brief(store, settings):
    _fill(store, settings)
    assert retrieve(store, "Mars sample return delay", settings=settings, now=NOW) == []
    result = brief(store, "Mars sample return delay", settings=settings, now=NOW)
    assert result.empty and result.store_size == len(ARTICLES)
    assert brief(store, "storm flooding", settings=settings, now=NOW).citations


def test_an_article_stored_a_moment_ago_is_found_before_its_vector_exists(store, settings):
    _fill(store, settings)
    store.upsert(
        Document(
            url="https://news.example/quake",
            title="Earthquake shakes Lima",
            text="A strong earthquake shook Lima; buildings swayed.",
        )
    )
    assert pending_count(store) == 1
    assert (
        titles(retrieve(store, "earthquake in Peru", settings=settings, now=NOW))[0]
        == "Earthquake shakes Lima"
    )


def test_filters_apply_inside_the_query_not_after_a_cut(store, settings):
    # 2,100 newer articles match "elections"; the one from Example Tech News is the oldest.
    with store.transaction():
        store.upsert(
            Document(
                url="https://tech.example.org/vote",
                title="Elections and voting machines",
                text="Elections officials tested new voting machines.",
                source="Example Tech News",
                published_at=NOW - timedelta(days=3),
            )
        )
        for n in range(2100):
            store.upsert(
                Document(
                    url=f"https://wire.example/{n}",
                    title=f"Elections update {n}",
                    text=f"Elections: count number {n} of the regional elections.",
                    source="Wire",
                    published_at=NOW - timedelta(hours=1),
                )
            )
    for source in (
        "Example Tech News",
        "example tech",
        "EXAMPLE TECH NEWS",
        "tech.example.org",
        "example.org",
    ):
        found = titles(search(store, "elections", source=source, now=NOW, settings=settings))
        assert found == ["Elections and voting machines"], source
        hits = retrieve(store, "elections voting machines", source=source, now=NOW, settings=settings)
        assert titles(hits) == ["Elections and voting machines"], source
    assert search(store, "elections", source="BBC", now=NOW, settings=settings) == []


def test_since_leaves_out_undated_articles(store, settings):
    store.upsert(
        Document(
            url="https://a.example/dated",
            title="Harbour strike ends",
            text="Dockers ended the harbour strike.",
            published_at=NOW - timedelta(hours=5),
        )
    )
    store.upsert(
        Document(
            url="https://a.example/old",
            title="Harbour strike of 1998",
            text="Dockers struck at the harbour in 1998.",
            published_at=NOW - timedelta(days=9000),
        )
    )
    store.upsert(
        Document(
            url="https://a.example/undated",
            title="Harbour strike history",
            text="A look back at harbour strikes by dockers.",
        )
    )
    since = NOW - timedelta(days=7)
    assert titles(search(store, "harbour strike", since=since, now=NOW, settings=settings)) == [
        "Harbour strike ends"
    ]
    assert titles(retrieve(store, "harbour strike", since=since, now=NOW, settings=settings)) == [
        "Harbour strike ends"
    ]
    assert len(search(store, "harbour strike", now=NOW, settings=settings)) == 3


def test_source_matches_part_of_the_name_in_any_case(store, settings):
    store.upsert(
        Document(
            url="https://feeds.example.net/1",
            title="Rail fares rise",
            text="Rail fares rise in March.",
            source="BBC News Summary (business)",
        )
    )
    store.upsert(
        Document(
            url="https://other.example/2",
            title="Rail fares frozen",
            text="Rail fares are frozen.",
            source="Other",
        )
    )
    assert titles(search(store, "rail fares", source="BBC", settings=settings)) == ["Rail fares rise"]
    assert titles(search(store, "rail fares", source="bbc news", settings=settings)) == ["Rail fares rise"]


def test_search_scores_say_how_much_an_article_is_about_the_query(store, settings):
    _fill(store, settings)
    for n in range(3):  # "the" is in every article: bm25 alone scores it ~0
        store.upsert(
            Document(
                url=f"https://x.example/{n}", title=f"The weather {n}", text="The sun shone on the town."
            )
        )
    hits = search(store, "the", now=NOW, settings=settings)
    assert hits and all(0.0 < hit.score <= 1.0 for hit in hits)
    assert len({round(hit.score, 2) for hit in hits}) > 1
    storm = search(store, "storm", now=NOW, settings=settings)
    assert storm[0].score >= 0.5  # clearly about it


def test_guild_articles_stay_in_their_guild(store, settings):
    _fill(store, settings)
    store.upsert(
        Document(
            url="https://intranet.example/memo",
            title="Film awards memo",
            text="Our film awards party is on Friday.",
            scope="111",
        )
    )
    embed_pending(store, settings)
    assert "Film awards memo" in titles(
        retrieve(store, "film awards", scope="111", settings=settings, now=NOW)
    )
    assert "Film awards memo" not in titles(
        retrieve(store, "film awards", scope="222", settings=settings, now=NOW)
    )
    assert "Film awards memo" not in titles(retrieve(store, "film awards", settings=settings, now=NOW))


def test_briefbot_embed_makes_the_missing_vectors(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = str(tmp_path / "cli.db")
    store = open_store(db)
    store.upsert(
        Document(url="https://a.example/1", title="Budget vote", text="Parliament votes on the budget.")
    )
    store.close()
    result = CliRunner().invoke(main, ["--db", db, "embed"], catch_exceptions=False)
    assert (
        result.exit_code == 0
        and "1 article vectors made" in result.output
        and "0 still missing" in result.output
    )


@pytest.mark.parametrize(
    "topic", ["Why are wetlands important? Where are they threatened? Describe the efforts to protect them."]
)
def test_a_long_question_works_as_a_topic(store, settings, topic):
    store.upsert(
        Document(
            url="https://env.example/wetlands",
            title="Saving the marshes",
            text="Wetlands filter water and shelter birds, but drainage for farms threatens them. "
            "Conservation groups are buying marshland to protect it.",
        )
    )
    _fill(store, settings)
    assert titles(retrieve(store, topic, settings=settings, now=NOW)) == ["Saving the marshes"]


def test_vectors_of_another_model_are_made_again(store, settings):
    _fill(store, settings)
    with store.transaction():
        store.db.execute("UPDATE article_vectors SET model = 'an-older-model'")
        store.db.execute("DELETE FROM meta WHERE key = 'vector_model'")
    assert embed_pending(store, settings) == len(ARTICLES)
    models = {row[0] for row in store.db.execute("SELECT model FROM article_vectors")}
    assert models == {embeddings.STATIC_MODEL_NAME}
    assert embed_pending(store, settings) == 0
