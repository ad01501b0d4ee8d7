"""Search: the safe query language, ranking, filters, recency, and hostile input."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from summarizer.config import Settings
from summarizer.errors import QueryError
from summarizer.models import Document
from summarizer.store import Store
from summarizer.store.query import parse_query
from summarizer.store.search import Filters, parse_since, search

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)

ARTICLES = [
    (
        "https://a.example.com/lavrov",
        "Lavrov visits Pyongyang",
        "Sergey Lavrov met Kim Jong Un to deepen military ties between Russia and North Korea.",
        "a.example.com",
        2,
    ),
    (
        "https://b.example.com/seoul",
        "Seoul weighs arms for Kyiv",
        "South Korea is considering sending weapons to Ukraine after North Korean troops joined Russia.",
        "b.example.com",
        30,
    ),
    (
        "https://c.example.com/oil",
        "Oil prices jump",
        "Crude rose after tanker traffic slowed in the Strait of Hormuz. Lavrov was not mentioned.",
        "c.example.com",
        5,
    ),
    (
        "https://d.example.com/cafe",
        "Café culture in Zürich",
        "A new café opened near the lake; locals praised the coffee.",
        "d.example.com",
        1,
    ),
    (
        "https://e.example.com/old",
        "Korea talks, a look back",
        "Talks between North and South Korea stalled in the past decade.",
        "e.example.com",
        24 * 40,
    ),
]


@pytest.fixture
def filled(store: Store) -> Store:
    for url, title, text, source, hours_old in ARTICLES:
        store.upsert(
            Document(
                url=url, title=title, text=text, source=source, published_at=NOW - timedelta(hours=hours_old)
            )
        )
    return store


def titles(hits):
    return [hit.article.title for hit in hits]


def test_title_match_ranks_first(filled):
    assert titles(search(filled, "Lavrov", now=NOW))[0] == "Lavrov visits Pyongyang"


def test_words_must_all_match_and_or_widens(filled):
    assert titles(search(filled, "Korea weapons", now=NOW)) == ["Seoul weighs arms for Kyiv"]
    assert set(titles(search(filled, "Hormuz OR Zürich", now=NOW))) == {
        "Oil prices jump",
        "Café culture in Zürich",
    }


def test_phrases_and_exclusions(filled):
    # "North and South Korea" and "North Korean" are not the phrase "north korea".
    assert titles(search(filled, '"north korea"', now=NOW)) == ["Lavrov visits Pyongyang"]
    assert "Lavrov visits Pyongyang" not in titles(search(filled, "korea -lavrov", now=NOW))
    assert titles(search(filled, '-"strait of hormuz" lavrov', now=NOW)) == ["Lavrov visits Pyongyang"]


def test_stemming_and_diacritics_are_folded(filled):
    assert titles(search(filled, "cafe zurich", now=NOW)) == ["Café culture in Zürich"]
    assert "Seoul weighs arms for Kyiv" in titles(search(filled, "considered weapon", now=NOW))


def test_since_and_source_filters(filled):
    recent = titles(search(filled, "korea", since=NOW - timedelta(days=7), now=NOW))
    assert "Korea talks, a look back" not in recent and recent
    assert titles(search(filled, "korea", source="e.example.com", now=NOW)) == ["Korea talks, a look back"]


def test_recency_prefers_the_newer_of_equally_relevant_articles(store: Store):
    for url, age in (("https://x.com/old", 24 * 10), ("https://x.com/new", 1)):
        store.upsert(
            Document(
                url=url,
                title="Budget vote",
                text=f"Parliament votes on the budget. ({url})",
                published_at=NOW - timedelta(hours=age),
            )
        )
    assert search(store, "budget", now=NOW)[0].article.url == "https://x.com/new"
    flat = Settings(recency_weight=0.0)
    scores = [h.score for h in search(store, "budget", now=NOW, settings=flat)]
    assert scores[0] == pytest.approx(scores[1], rel=0.05)


def test_guild_scope_sees_its_own_and_global_articles(filled):
    filled.upsert(
        Document(
            url="https://intranet.example/x", title="Lavrov memo", text="Internal Lavrov memo.", scope="111"
        )
    )
    assert "Lavrov memo" in titles(search(filled, "lavrov", scope="111", now=NOW))
    assert "Lavrov memo" not in titles(search(filled, "lavrov", scope="222", now=NOW))
    assert "Lavrov memo" not in titles(search(filled, "lavrov", now=NOW))


@pytest.mark.parametrize(
    "text",
    [
        '"unclosed phrase',
        "(korea",
        "korea AND NEAR(x y)",
        "kor*",
        "title:lavrov",
        "^lavrov",
        "🙂🙂",
        "",
        "   ",
        "-",
        '""',
        "OR",
        "OR OR korea",
        "- - -korea",
        "x" * 10_000,
        "korea " * 3000,
        "NOT korea",
    ],
)
def test_hostile_queries_never_raise(filled, text):
    hits = search(filled, text, now=NOW)
    assert isinstance(hits, list)


def test_quotes_left_open_still_search_the_words(filled):
    assert titles(search(filled, '"lavrov pyongyang', now=NOW)) == []  # a phrase: not adjacent
    assert titles(search(filled, '"lavrov', now=NOW))[0] == "Lavrov visits Pyongyang"


def test_column_filter_syntax_is_searched_as_words(filled):
    # 'text:lavrov' must not become an FTS column filter; it searches the words text + lavrov.
    assert parse_query("text:lavrov").to_fts() == '"text lavrov"'


def test_the_tsquery_form_means_the_same_query():
    assert parse_query('aid "peace talks" OR truce -rumour').to_tsquery() == (
        "( ( 'aid' ) & ( 'peace' <-> 'talks' | 'truce' ) ) & !( 'rumour' )"
    )
    # Operators typed by a user are words (or nothing), never tsquery syntax (as in to_fts: a&b is a phrase).
    assert parse_query("a&b | !c:* 'd'").to_tsquery() == "( 'a' <-> 'b' ) & ( 'c' ) & ( 'd' )"


_TSQUERY = re.compile(r"^(?:[()&|!]|<->|'\w+'| )*$")


@hsettings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_any_text_compiles_to_a_tsquery_of_quoted_words_and_operators_only(text):
    expression = parse_query(text).to_tsquery()
    assert _TSQUERY.match(expression), expression
    assert expression.count("(") == expression.count(")")


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_any_text_compiles_to_valid_fts(store, text):
    # The backend's own compiled form (FTS5 MATCH, or to_tsquery) run by the real database.
    store.match_count(parse_query(text))
    search(store, text, now=NOW)


def test_parse_since_durations_and_dates():
    assert parse_since("24h", NOW) == NOW - timedelta(hours=24)
    assert parse_since("7d", NOW) == NOW - timedelta(days=7)
    assert parse_since("2026-11-01", NOW) == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(QueryError, match="24h"):
        parse_since("yesterday-ish", NOW)


def test_search_survives_a_second_writer(settings, backend, filled):
    if backend == "sqlite":
        other = sqlite3.connect(settings.database_path, timeout=5)
        other.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        other = psycopg.connect(settings.database_url)  # a transaction opens with the first statement
    other.execute("UPDATE articles SET title = title")
    # A reader is not blocked by a writer (WAL; PostgreSQL's MVCC).
    assert search(filled, "lavrov", now=NOW)
    other.rollback()
    other.close()


def test_the_candidates_are_the_newest_matches_however_spread(store: Store):
    # Matches dense among the newest articles and sparse among the old ones: on PostgreSQL
    # a small candidate cut reads several windows of ids, and must still give exactly the
    # newest matches that pass the filters, newest first.
    matching = []
    for n in range(120):
        comet = (n >= 100 and n % 2 == 0) or n % 17 == 0
        scope = "777" if n % 3 == 0 else "global"
        _, article_id = store.upsert(
            Document(
                url=f"https://sky.example.com/{n}",
                title=f"Night sky {n}",
                text=f"Observers logged {'a comet' if comet else 'a meteor'} on night {n}.",
                published_at=NOW - timedelta(hours=n),
                scope=scope,
            )
        )
        if comet:
            matching.append((article_id, scope))
    newest = sorted(matching, reverse=True)
    where, params = Filters(scope="777").sql("a")
    global_where, global_params = Filters().sql("a")
    for limit in (1, 3, 5, 11, 50):
        found = store.match(parse_query("comet"), where, params, NOW, limit)
        assert [row[0] for row in found] == [i for i, _ in newest][:limit]
        assert all(row[1] > 0 for row in found)
        visible = [i for i, scope in newest if scope == "global"][:limit]
        unranked = store.match(parse_query("comet"), global_where, global_params, NOW, limit, ranked=False)
        assert [row[0] for row in unranked] == visible
