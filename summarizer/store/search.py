"""Full-text search over the store: FTS5 bm25 relevance, weighed by recency.

Score of an article for a query (higher is better):

    relevance = -bm25(articles_fts, 10.0, 1.0)          # title weighs 10x the body
    freshness = 0.5 ** (age_hours / RECENCY_HALF_LIFE_HOURS)   # 1 now, 0.5 a half-life ago
    score     = relevance * (1 + RECENCY_WEIGHT * freshness)

`age_hours` counts from the article's publication time (its ingestion time when the page
gave none). With the defaults (weight 0.5, half-life 48 h) an article published now
outranks an equally relevant one from last week by up to 1.5x, while a much more relevant
old article still wins. RECENCY_WEIGHT=0 turns recency off.

Speed: FTS5's bm25 costs about a microsecond per matching row, so a word found in most of
100,000 articles would take over 100 ms to rank. The ranking therefore looks at the
CANDIDATES most recently ingested matches (FTS5 walks its index newest rowid first and
stops there): exact whenever a query matches fewer articles, and for very common words
the newest matches are what a news brief wants anyway.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from summarizer.config import Settings, parse_duration
from summarizer.errors import QueryError
from summarizer.models import SearchHit
from summarizer.store.query import parse_query
from summarizer.store import Store, parse_utc, scope_condition, utc_iso

TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0
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


def search(
    store: Store,
    query: str,
    *,
    scope: str | None = "global",
    since: datetime | None = None,
    source: str | None = None,
    limit: int = 10,
    now: datetime | None = None,
    settings: Settings | None = None,
    any_term: bool = False,
) -> list[SearchHit]:
    """Articles matching `query` that a reader in `scope` may see, best first.

    `since` keeps articles published (or ingested, when undated) at or after that time;
    `source` keeps one site or feed (matched against the source name or the URL's host).
    `any_term` matches articles with any of the query's terms instead of all (bm25 still
    ranks those with more of them first). Any text is a valid query (see summarizer.store.query);
    nothing to search for gives [].
    """
    settings = settings or Settings()
    fts = parse_query(query)
    if any_term:
        fts = fts.any_term()
    if fts.empty or limit <= 0:
        return []
    now = now or datetime.now(UTC)
    condition, scopes = scope_condition(scope, "a.scope")
    where = [condition]
    params: list = [fts.to_fts(), *scopes]
    if since is not None:
        where.append("coalesce(a.published_at, a.ingested_at) >= ?")
        params.append(utc_iso(since))
    if source:
        where.append("(a.source = ? COLLATE NOCASE OR a.url LIKE ? OR a.url LIKE ?)")
        host = source.lower().removeprefix("www.")
        params += [source, f"%://{host}/%", f"%://www.{host}/%"]
    half_life = max(settings.recency_half_life_hours, 1e-6)
    ranked = store.db.execute(
        f"""
        SELECT a.id, c.relevance,
               max(0, julianday(?) - julianday(coalesce(a.published_at, a.ingested_at))) * 24
                   AS age_hours
        FROM (
            SELECT rowid AS id, -bm25(articles_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS relevance
            FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rowid DESC LIMIT {CANDIDATES}
        ) AS c JOIN articles a ON a.id = c.id
        WHERE {' AND '.join(where)}
        ORDER BY c.relevance * (1 + ? * pow(0.5, age_hours / ?)) DESC
        LIMIT ?
        """,
        [utc_iso(now), *params, settings.recency_weight, half_life, limit],
    ).fetchall()
    articles = {a.id: a for a in store.get_many(row[0] for row in ranked)}
    hits = []
    for article_id, relevance, age_hours in ranked:
        article = articles[article_id]
        score = relevance * (1 + settings.recency_weight * 0.5 ** (age_hours / half_life))
        hits.append(SearchHit(article=article, score=score, snippet=_snippet(article.text, fts.terms)))
    return hits


def describe_window(since: datetime | None, now: datetime | None = None) -> str:
    """Human words for a since-window ('the last 24 hours'), for messages about no match."""
    if since is None:
        return "all time"
    span = (now or datetime.now(UTC)) - since
    if span <= timedelta(hours=48):
        return f"the last {round(span.total_seconds() / 3600)} hours"
    return f"since {since.date().isoformat()}"
