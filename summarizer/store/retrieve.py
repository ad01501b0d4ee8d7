"""Hybrid retrieval for briefs: what the topic is about, not only which words it shares.

Two candidate lists, each filtered (scope, source, since) inside its own query:

- lexical: the backend's full-text ranking (FTS5 bm25; PostgreSQL ts_rank) over the topic's
  distinctive words, any of them (`lexical`);
- dense: cosine similarity of the topic's vector with the stored article vectors
  (summarizer/store/vectors.py), both made by the static model distilled from MiniLM.

Each candidate gets a relevance in [0, 1] (`fuse`: 0.7 × cosine + 0.3 × the share of the
topic's word weight it holds); articles under FLOOR are not about the topic, so a topic
nothing in the store is about retrieves nothing. Once something passes, articles nearly as
close in meaning as the best (NEAR_BEST) are kept too, whatever words they share. Those
kept are ordered by reciprocal rank fusion of the two lists (better at the top than
ordering by relevance on DUC 2006), with a little recency. The weights and the floor were
chosen on DUC 2006 with cross-validation across topics (bench/retrieval_duc.py; figures in
BENCHMARKS.md).

An article stored a moment ago, before the catch-up made its vector, is encoded on the
spot when it is a candidate. Without vectors (VECTOR_SEARCH off, or the model cannot load)
retrieval is lexical only and the floor applies to the word weight alone (LEXICAL_FLOOR).
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from summarizer import embeddings
from summarizer.config import Settings
from summarizer.errors import ModelError
from summarizer.models import GLOBAL_SCOPE, SearchHit
from summarizer.store.base import Store, scope_condition, visible_scopes
from summarizer.store.query import Query, parse_query
from summarizer.store.search import CANDIDATES, Filters, source_condition, source_params
from summarizer.store.sqlite import FTS_TOKENIZER
from summarizer.store.vectors import VectorIndex, index_for

log = logging.getLogger(__name__)

# A word found in more than this share of the store's articles (and in more than
# COMMON_AT of them: in a small store every word of its one subject is "common") says
# little about a topic (bm25 gives it almost no weight) while it would make the lexical
# candidate list huge: it is left out of the lexical query (kept when every word of the
# topic is that common).
MAX_DOC_SHARE = 0.1
COMMON_AT = 1000
# Words that frame a question rather than name its subject ("Discuss conditions on ...",
# "What are the advantages ...?"), and function words: a topic is searched without them
# (in a small store they are no commoner than its subject's words).
QUESTION_WORDS = frozenset(
    """discuss describe include identify explain note list give report tell summarize
    summarise compare outline detail details examples example information what which who whom
    whose when where why how are is was were be been being do does did any all also other
    others such aspects aspect kinds kind type types specific particular various the a an
    and or of to in on at by for from with as it its they them their this that these those
    there has have had not no""".split()
)
# A long question keeps its MAX_WORDS rarest words (each word costs a few ms at 100k).
MAX_WORDS = 10
# How many candidates each list gives to the fusion.
DEPTH = 100
# Reciprocal rank fusion's constant (Cormack et al. 2009): rank r counts 1 / (RRF_K + r).
RRF_K = 60
# Relevance = DENSE_WEIGHT * cosine + (1 - DENSE_WEIGHT) * coverage, where coverage is the
# share of the topic's distinctive-word weight (idf) the article contains.
DENSE_WEIGHT = 0.7
# An article under this relevance is not about the topic (calibrated on DUC 2006).
FLOOR = 0.5
# Once something passes the floor, an article whose cosine is at least this share of the
# best passing article's cosine is kept too, whatever words it shares (calibrated on DUC 2006).
NEAR_BEST = 0.6
# The share of the topic's word weight at which an article holds every word of the topic.
FULL_MATCH = 0.999
# Lexical-only retrieval (no vectors): the share of the topic's word weight an article needs.
LEXICAL_FLOOR = 0.7


_STEMMER = sqlite3.connect(":memory:", check_same_thread=False)
_STEMMER.execute(f"CREATE VIRTUAL TABLE words USING fts5(x, tokenize='{FTS_TOKENIZER}')")
_STEMMER.execute("CREATE VIRTUAL TABLE stems USING fts5vocab(words, instance)")
_STEMMER_LOCK = threading.Lock()


def stems(text: str) -> list[tuple[str, str]]:
    """(word, index term) pairs of `text` as the store's FTS5 tokenizer sees them, in order.

    SQLite's own tokenizer (porter, unicode61, diacritics folded) so the terms are exactly
    those of the FTS5 index (on PostgreSQL they only tell which words are one term); a
    private in-memory table, used by one thread at a time.
    """
    words = [w for group in parse_query(text).groups for phrase in group for w in phrase.split()]
    if not words:
        return []
    with _STEMMER_LOCK, _STEMMER:  # one user at a time; the connection's own transaction
        _STEMMER.execute("DELETE FROM words")
        _STEMMER.executemany(
            "INSERT INTO words (rowid, x) VALUES (?, ?)", [(i + 1, w) for i, w in enumerate(words)]
        )
        found = dict(_STEMMER.execute("SELECT doc, term FROM stems").fetchall())
    return [(w, found[i + 1]) for i, w in enumerate(words) if i + 1 in found]


# Document counts change slowly: each is read again once the store grew by DF_STALE.
DF_STALE = 0.05
DF_CACHE_SIZE = 100_000
_DF: dict[tuple[str, str], tuple[int, int]] = {}  # (store path, term) -> (count, store size then)
_DF_LOCK = threading.Lock()


def _articles_with(store: Store, word: str, term: str, total: int) -> int:
    """How many articles hold `word` (counted from the full-text index; cached, since a
    common word costs milliseconds to count at 100,000 articles)."""
    key = (store.path, term)
    with _DF_LOCK:
        cached = _DF.get(key)
    if cached and cached[1] <= total <= cached[1] * (1 + DF_STALE) and store.path != ":memory:":
        return cached[0]
    count = store.match_count(Query(groups=[[word]]))
    with _DF_LOCK:
        if len(_DF) >= DF_CACHE_SIZE:
            _DF.clear()
        _DF[key] = (count, total)
    return count


@dataclass
class Terms:
    """The topic's words that reach the lexical query, with their weights (idf)."""

    words: list[str]
    idf: dict[str, float]  # by word
    missing: float = 0.0  # weight of the topic's words no article has (no article covers them)
    postings: dict[str, set[int]] = field(default_factory=dict)  # articles with each word, once read
    checked: set[int] = field(default_factory=set)  # articles whose words are known (checks_candidates)

    @property
    def total(self) -> float:
        return sum(self.idf.values()) + self.missing


def distinctive_terms(store: Store, topic: str) -> Terms:
    """The topic's words the store has, without those found in most articles."""
    pairs = [(w, t) for w, t in dict(stems(topic)).items() if w.lower() not in QUESTION_WORDS]
    if not pairs:
        return Terms([], {})
    total = max(store.count_all(), 1)
    counts = {term: _articles_with(store, word, term, total) for word, term in pairs}
    present = [(word, term, counts[term]) for word, term in pairs if counts.get(term)]
    # A word no article has is as distinctive as a word can be: "smartphone battery recall"
    # is not covered by an article about a battery recall when no article says smartphone.
    missing = math.log(1 + total) * len({term for _, term in pairs if not counts.get(term)})
    seen: set[str] = set()
    kept = []
    for word, term, docs in present:
        if term not in seen:
            seen.add(term)
            kept.append((word, docs))
    rare = [(w, d) for w, d in kept if d / total <= MAX_DOC_SHARE or d <= COMMON_AT]
    chosen = sorted(rare or kept, key=lambda pair: pair[1])[:MAX_WORDS]
    return Terms([w for w, _ in chosen], {w: math.log(1 + total / d) for w, d in chosen}, missing)


def lexical(store: Store, terms: Terms, filters: Filters, depth: int = DEPTH) -> dict[int, float]:
    """Articles with any of `terms` (filters inside the query), best lexical score first (among
    the CANDIDATES newest matches): id -> coverage.

    Coverage is the share of the terms' idf weight found in the article's title or text.
    """
    if not terms.words:
        return {}
    where, params = filters.sql("a")
    matches = store.match(Query(groups=[list(terms.words)]), where, params, datetime.now(UTC), CANDIDATES)
    ids = [row[0] for row in sorted(matches, key=lambda row: -row[1])[:depth]]
    return coverage(store, terms, ids)


def coverage(store: Store, terms: Terms, article_ids: list[int]) -> dict[int, float]:
    """Share of the terms' idf weight each article contains (0 to 1), by id, in the order given."""
    if not article_ids or not terms.words:
        return {i: 0.0 for i in article_ids}
    if store.checks_candidates:
        unchecked = [i for i in article_ids if i not in terms.checked]
        for word, holders in store.match_each(terms.words, unchecked).items():
            terms.postings.setdefault(word, set()).update(holders)
        terms.checked.update(unchecked)
    for word in terms.words:
        if word not in terms.postings:
            # The word's whole posting list (at most MAX_DOC_SHARE of the store): one index
            # read, far cheaper than looking up each candidate with rowid IN (...).
            terms.postings[word] = store.match_ids(Query(groups=[[word]]))
    total = terms.total
    return {i: sum(terms.idf[w] for w in terms.words if i in terms.postings[w]) / total for i in article_ids}


def _allowed_by_source(store: Store, filters: Filters) -> set[int] | None:
    if not filters.source:
        return None
    condition, scopes = scope_condition(filters.scope, "a.scope")
    rows = store.db.execute(
        f"SELECT a.id FROM articles a WHERE {condition} AND {source_condition('a')}",
        [*scopes, *source_params(filters.source)],
    ).fetchall()
    return {row[0] for row in rows}


def _excluded(store: Store, topic: str, article_ids: list[int]) -> set[int]:
    """Articles among these that hold a word or phrase the topic excludes (-word)."""
    excluded = parse_query(topic).excluded
    if not excluded or not article_ids:
        return set()
    return store.match_ids(Query(groups=[list(excluded)]), among=article_ids)


def fuse(cosine: float | None, covered: float) -> float:
    """One relevance in [0, 1] from the dense cosine and the lexical coverage."""
    if cosine is None:
        return covered
    return DENSE_WEIGHT * max(cosine, 0.0) + (1 - DENSE_WEIGHT) * covered


def _dense(
    store: Store, topic: str, terms: Terms, found: dict[int, float], filters: Filters, settings: Settings
) -> tuple[dict[int, int], dict[int, float]]:
    """The dense list's ranks, and the cosine of every candidate of both lists.

    Adds the dense list's articles to `found` with their coverage.
    """
    index = index_for(store)
    if not index.size and not found:
        return {}, {}
    query = embeddings.embed_static([topic], settings)[0]
    allowed = _allowed_by_source(store, filters)
    nearest = index.nearest(
        query, DEPTH, scopes=visible_scopes(filters.scope), since=filters.since, allowed=allowed
    )
    cosines = dict(nearest)
    found.update(coverage(store, terms, [i for i in cosines if i not in found]))
    cosines.update(_similarity(store, index, query, [i for i in found if i not in cosines], settings))
    return {i: r for r, (i, _) in enumerate(nearest)}, cosines


def retrieve(
    store: Store,
    topic: str,
    *,
    settings: Settings,
    scope: str | None = GLOBAL_SCOPE,
    since: datetime | None = None,
    source: str | None = None,
    limit: int = 15,
    now: datetime | None = None,
    floor: float | None = None,
    near_best: float | None = None,
) -> list[SearchHit]:
    """Articles about `topic` that a reader in `scope` may see, most relevant first.

    Order: reciprocal rank fusion of the lexical and dense lists, times (1 + RECENCY_WEIGHT
    / 10 * freshness) so recency only breaks near-ties. Score: the relevance in [0, 1] (see
    `fuse`); articles under the floor are left out (unless near the best in meaning, see
    NEAR_BEST), so a topic the store has nothing about gives []. A long question works as a
    topic: its distinctive words and its meaning both count. `floor` and `near_best`
    override FLOOR and NEAR_BEST (for calibration).
    """
    filters = Filters(scope=scope, since=since, source=source)
    terms = distinctive_terms(store, topic)
    found = lexical(store, terms, filters)
    lexical_rank = {i: r for r, i in enumerate(found)}
    dense_rank: dict[int, int] = {}
    cosines: dict[int, float] = {}
    if settings.vector_search:
        try:
            dense_rank, cosines = _dense(store, topic, terms, found, filters, settings)
        except ModelError as exc:  # the words still work: never lose the brief over the model
            log.warning("searching by words only: %s", exc)
    dense_on = bool(cosines)
    for article_id in _excluded(store, topic, list(found)):
        found.pop(article_id)
    threshold = (FLOOR if dense_on else LEXICAL_FLOOR) if floor is None else floor
    relevance = {i: fuse(cosines.get(i, 0.0) if dense_on else None, covered) for i, covered in found.items()}
    # An article holding every word of the topic matches it whatever its vector says: a name
    # ("Stephen Lawrence") embeds poorly in a static model, and its articles scored ~0.45.
    kept = [i for i, r in relevance.items() if r >= threshold or found[i] >= FULL_MATCH]
    if kept and dense_on:
        # The topic is in the store: also keep what means nearly the same as its best match
        # though it shares fewer words (an Oscars story for "film awards").
        near = (NEAR_BEST if near_best is None else near_best) * max(cosines.get(i, 0.0) for i in kept)
        kept += [i for i in relevance if relevance[i] < threshold and cosines.get(i, 0.0) >= near]
    articles = {a.id: a for a in store.get_many(kept)}
    now = now or datetime.now(UTC)
    half_life = max(settings.recency_half_life_hours, 1e-6)

    def ranked(article_id: int) -> float:
        # Reciprocal rank fusion of the two lists (measured better at the top than the
        # relevance itself), times a little recency.
        fused = sum(
            1 / (RRF_K + ranks[article_id]) for ranks in (lexical_rank, dense_rank) if article_id in ranks
        )
        article = articles[article_id]
        moment = article.published_at or article.ingested_at or now
        age_hours = max((now - moment).total_seconds() / 3600, 0.0)
        return fused * (1 + settings.recency_weight / 10 * 0.5 ** (age_hours / half_life))

    order = sorted((i for i in kept if i in articles), key=ranked, reverse=True)[:limit]
    return [SearchHit(article=articles[i], score=round(relevance[i], 4), snippet="") for i in order]


def _similarity(
    store: Store, index: VectorIndex, query: np.ndarray, article_ids: list[int], settings: Settings
) -> dict[int, float]:
    """Cosine of `query` with each article; those still waiting for their vector (stored a
    moment ago) are encoded now, which the static model does in well under a millisecond."""
    found = index.similarity(query, article_ids)
    waiting = [i for i in article_ids if i not in found]
    if waiting:
        articles = store.get_many(waiting)
        vectors = embeddings.embed_static(
            [embeddings.article_passage(a.title, a.text) for a in articles], settings
        )
        found.update({a.id: float(v @ query) for a, v in zip(articles, vectors, strict=True)})
    return found


def cosines(store: Store, text: str, article_ids: list[int], settings: Settings) -> dict[int, float]:
    """Cosine of `text` with each of these articles ({} when vector search is off)."""
    if not settings.vector_search or not article_ids:
        return {}
    query = embeddings.embed_static([text], settings)[0]
    return _similarity(store, index_for(store), query, article_ids, settings)
