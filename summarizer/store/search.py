"""Search over the store: words that must match, ranked by how much each article is about them.

Which articles match: the query language (summarizer.store.query): every word, "phrase",
`a OR b`, never an -excluded one. Filters (scope, `since`, `source`) are part of the
candidate query itself, so a filter never loses a match to a cut made before it.

Score of a match (higher is better), with article vectors (VECTOR_SEARCH, the default):

    relevance = retrieve.fuse(cosine(query, article), coverage)    # in [0, 1]
    freshness = 0.5 ** (age_hours / RECENCY_HALF_LIFE_HOURS)      # 1 now, 0.5 a half-life ago
    score     = relevance, ranked by relevance * (1 + RECENCY_WEIGHT * freshness)

`coverage` is the share of the query's word weight the article holds (1 for a match of
all words). The score shown is the relevance: 0.6 and up is clearly about the query; under
retrieve.FLOOR (0.5) it mostly shares words. Without vectors (not made yet, or
VECTOR_SEARCH off) relevance is the backend's lexical score (title 10x the body), unbounded:
bm25 on SQLite (FTS5), ts_rank on PostgreSQL (tsvector, GIN index).

`age_hours` counts from the publication time (the ingestion time when the page gave none);
`since` keeps articles PUBLISHED at or after it: an undated article is left out, since it may
be old news ingested today.

Speed: FTS5's bm25 costs about a microsecond per matching row, so a word found in most of
100,000 articles would take over 100 ms to rank. The ranking therefore looks at the
CANDIDATES most recently ingested matches that pass the filters (FTS5 walks its index
newest rowid first and stops there; PostgreSQL reads its GIN index's matches in windows of
ids, newest first, and ranks only those): exact whenever a query matches fewer articles.
With vectors the lexical score is not computed at all (the relevance replaces it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from summarizer.config import Settings, parse_duration
from summarizer.errors import QueryError
from summarizer.models import GLOBAL_SCOPE, SearchHit
from summarizer.store import Store, parse_utc, scope_condition, utc_iso
from summarizer.store.query import parse_query

SNIPPET_CHARS = 200
CANDIDATES = 2000


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """Read `--since`: a duration back from now ('90m', '24h', '7d', '2w') or a date/time.

    Dates ('2026-11-01') mean midnight UTC; ISO date-times without a zone are UTC.
    Raises QueryError with an example of what works.
    """
    now = now or datetime.now(UTC)
    text = (text or "").strip()
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        moment = parse_utc(text)
    except ValueError:
        moment = None
    if moment is None:
        raise QueryError(
            f"can't read since={text!r}: use a duration like 24h or 7d, or a date like 2026-11-01"
        )
    return moment


def _snippet(text: str, terms: list[str]) -> str:
    """A short window of the text around the first query word found (else its start)."""
    lowered = text.lower()
    positions = [p for p in (lowered.find(t) for t in terms) if p >= 0]
    start = max(0, min(positions) - SNIPPET_CHARS // 3) if positions else 0
    window = text[start : start + SNIPPET_CHARS].replace("\n", " ")
    window = re.sub(r"^\S*\s", "", window) if start else window  # no half word at the start
    return ("…" if start else "") + window.strip() + ("…" if start + SNIPPET_CHARS < len(text) else "")


@dataclass
class Filters:
    """Which articles a search may return; applied inside every candidate query."""

    scope: str | None = GLOBAL_SCOPE
    since: datetime | None = None
    source: str | None = None

    def sql(self, alias: str = "a") -> tuple[str, list]:
        """A WHERE clause over `articles AS alias`, and its parameters."""
        condition, scopes = scope_condition(self.scope, f"{alias}.scope")
        where, params = [condition], list(scopes)
        if self.since is not None:
            where.append(f"{alias}.published_at >= ?")  # undated: may be old news ingested today
            params.append(utc_iso(self.since))
        if self.source:
            where.append(source_condition(alias))
            params += source_params(self.source)
        return " AND ".join(where), params


def source_condition(alias: str = "a") -> str:
    """SQL for `--source`: part of the source name, or the URL's host or a parent domain (any case)."""
    return (
        f"(lower({alias}.source) LIKE ? ESCAPE '\\' OR lower({alias}.url) LIKE ? ESCAPE '\\' "
        f"OR lower({alias}.url) LIKE ? ESCAPE '\\')"
    )


def source_params(source: str) -> list[str]:
    """Parameters of `source_condition` for what the user typed ('BBC', 'bbc.co.uk', a URL)."""
    name = source.strip().lower()
    host = name.removeprefix("https://").removeprefix("http://").removeprefix("www.").split("/")[0]
    return [f"%{_like_literal(name)}%", f"%://{_like_literal(host)}/%", f"%.{_like_literal(host)}/%"]


def _like_literal(text: str) -> str:
    """`text` matched literally by LIKE ... ESCAPE '\\' (its % and _ are no wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(
    store: Store,
    query: str,
    *,
    scope: str | None = GLOBAL_SCOPE,
    since: datetime | None = None,
    source: str | None = None,
    limit: int = 10,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> list[SearchHit]:
    """Articles matching `query` that a reader in `scope` may see, best first.

    `since` keeps articles published at or after that time (undated ones are left out);
    `source` keeps one site or feed: part of its name in any case ('BBC' finds "BBC News"),
    or its URL's host. Any text is a valid query (see summarizer.store.query); nothing to
    search for gives []. Scores: see the module docstring.
    """
    from summarizer.store import retrieve  # retrieve builds on this module

    settings = settings or Settings()
    fts = parse_query(query)
    if fts.empty or limit <= 0:
        return []
    now = now or datetime.now(UTC)
    where, params = Filters(scope, since, source).sql("a")
    # With vectors the relevance is fuse(cosine, coverage): the lexical score would go unused.
    candidates = store.match(fts, where, params, now, CANDIDATES, ranked=not settings.vector_search)
    if not candidates:
        return []
    ids = [row[0] for row in candidates]
    relevance = {article_id: bm25 for article_id, bm25, _ in candidates}
    cosines = retrieve.cosines(store, query, ids, settings)
    if cosines:
        alternatives = any(len(group) > 1 for group in fts.groups)
        covered = (
            retrieve.coverage(store, retrieve.distinctive_terms(store, query), ids) if alternatives else {}
        )
        relevance = {i: retrieve.fuse(cosines.get(i, 0.0), covered.get(i, 1.0)) for i in ids}
    half_life = max(settings.recency_half_life_hours, 1e-6)
    ranked = sorted(
        candidates,
        key=lambda row: relevance[row[0]] * (1 + settings.recency_weight * 0.5 ** (row[2] / half_life)),
        reverse=True,
    )[:limit]
    articles = {a.id: a for a in store.get_many(row[0] for row in ranked)}
    return [
        SearchHit(article=articles[i], score=relevance[i], snippet=_snippet(articles[i].text, fts.terms))
        for i, _, _ in ranked
    ]


def describe_window(since: datetime | None, now: datetime | None = None) -> str:
    """Human words for a since-window ('the last 24 hours'), for messages about no match."""
    if since is None:
        return "all time"
    span = (now or datetime.now(UTC)) - since
    if span <= timedelta(hours=48):
        return f"the last {round(span.total_seconds() / 3600)} hours"
    return f"since {since.date().isoformat()}"
