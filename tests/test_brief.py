"""Briefs over a real store: cited, short, no boilerplate, no teaser stories."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from summarizer.briefs.brief import brief, summarize_text
from summarizer.errors import QueryError
from summarizer.models import Document
from summarizer.sources.ingest import ingest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TOPIC = "South Korea weapons Ukraine"
# Page furniture of the seed pages, and what only the teaser stories glued after seed 002 say.
BOILERPLATE = re.compile(
    r"google cta|follow us|keep reading|show less|top photo|image credit|"
    r"subscribe|click here|newsletter|preferred source|reporting \|",
    re.I,
)
TEASERS = re.compile(r"Hormuz|Gen Z|younger Americans|NORC|Euros|Deranque|Kushner|Starmer|Flattery", re.I)


def seed_text(number: str) -> str:
    return next(SEEDS.glob(f"{number}_*.txt")).read_text(encoding="utf-8")


@pytest.fixture
def seeded(store, settings):
    ingest(store, [str(SEEDS)], settings)
    return store


@pytest.mark.parametrize("mode", ["extractive", "semantic", "lead"])
def test_seed_brief_is_cited_clean_and_free_of_teasers(seeded, settings, mode):
    result = brief(seeded, TOPIC, settings=settings, mode=mode)
    assert result.sentences and result.mode == mode
    assert sum(len(s.text.split()) for s in result.sentences) <= settings.brief_words
    assert len(" ".join(s.text for s in result.sentences)) <= settings.brief_max_chars
    for sentence in result.sentences:
        assert not BOILERPLATE.search(sentence.text), sentence.text
        assert not TEASERS.search(sentence.text), sentence.text
        assert sentence.citations
    used = [n for s in result.sentences for n in s.citations]
    first_use = list(dict.fromkeys(used))
    assert first_use == list(range(1, len(first_use) + 1))
    assert [c.number for c in result.citations] == first_use
    assert result.store_size == 3 and result.matched >= 1
    assert {"search", "summarize", "total"} <= set(result.timings_ms)


def test_raw_page_with_teasers_still_gives_a_clean_brief(store, settings):
    """Even when the text is stored without cleaning, the summary keeps to the story."""
    store.upsert(
        Document(
            url="https://example.org/diplomacy-watch",
            title="Diplomacy Watch: Will South Korea give weapons to Ukraine?",
            text=seed_text("002"),
        )
    )
    result = brief(store, TOPIC, settings=settings, mode="extractive")
    assert result.sentences
    for sentence in result.sentences:
        assert not BOILERPLATE.search(sentence.text), sentence.text
        assert not TEASERS.search(sentence.text), sentence.text


def test_one_wire_story_on_two_sites_is_one_source_listing_both(store, settings):
    text = seed_text("000")
    published = datetime(2026, 2, 1, tzinfo=UTC)
    store.upsert(
        Document(
            "https://one.example/embassy", "Russian embassy banner in Seoul", text, published_at=published
        )
    )
    store.upsert(
        Document(
            "https://two.example/world/banner",
            "Seoul asks Russia to take down banner",
            text + "\nAdditional reporting by our correspondent in Seoul.",
            published_at=published,
        )
    )
    result = brief(store, "Russia embassy banner Seoul", settings=settings)
    assert len(result.citations) == 1
    citation = result.citations[0]
    assert citation.site == "one.example" and citation.url == "https://one.example/embassy"
    assert citation.also == [("two.example", "https://two.example/world/banner")]
    assert len(citation.article_ids) == 2
    assert citation.published_at == published


def test_budgets_from_arguments(seeded, settings):
    result = brief(seeded, "North Korea Russia", settings=settings, sentences=2, max_chars=300, articles=2)
    assert 1 <= len(result.sentences) <= 2
    assert len(" ".join(s.text for s in result.sentences)) <= 300
    assert len(result.citations) <= 2


def test_no_match_is_an_empty_brief_not_an_error(seeded, settings):
    result = brief(seeded, "volcano eruption Iceland", settings=settings)
    assert result.empty and result.citations == [] and result.matched == 0
    assert result.store_size == 3


def test_bad_requests_get_clear_messages(seeded, settings):
    with pytest.raises(QueryError, match="topic"):
        brief(seeded, "  ", settings=settings)
    with pytest.raises(QueryError, match="Unknown summary mode"):
        brief(seeded, TOPIC, settings=settings, mode="haiku")
    with pytest.raises(QueryError, match="no text"):
        summarize_text("   \n ", settings=settings)


def test_summarize_one_text(settings):
    result = summarize_text(
        seed_text("001"),
        settings=settings,
        sentences=3,
        title="Lavrov in Pyongyang",
        url="https://example.org/lavrov",
    )
    assert 1 <= len(result.sentences) <= 3
    assert all(s.citations == [1] for s in result.sentences)
    assert result.citations[0].url == "https://example.org/lavrov"
    assert result.citations[0].site == "example.org"
    assert result.to_dict()["sentences"][0]["text"] == result.sentences[0].text


def test_a_topic_no_article_fully_matches_still_briefs_from_the_closest(store, settings):
    texts = {
        "https://a.example/rates": (
            "Central bank raises rates",
            "The central bank raised interest rates by half a point on Tuesday. "
            "Economists had expected the move after inflation rose again.",
        ),
        "https://b.example/jobs": (
            "Unemployment falls",
            "Unemployment fell to its lowest level in a decade, official figures showed. "
            "Wages grew faster than inflation for the first time in two years.",
        ),
        "https://c.example/cup": (
            "Cup final tonight",
            "The two clubs meet in the cup final tonight. Tickets sold out within hours of going on sale.",
        ),
    }
    for url, (title, text) in texts.items():
        store.upsert(Document(url=url, title=title, text=text))
    # No article has every word; the brief widens to any of them and cites the relevant ones.
    result = brief(store, "inflation rates unemployment", settings=settings)
    cited = {c.url for c in result.citations}
    assert cited and cited <= {"https://a.example/rates", "https://b.example/jobs"}
