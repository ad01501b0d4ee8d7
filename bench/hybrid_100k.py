"""Ingest with vectors, hybrid retrieval and search latency, and memory, at 100,000 articles.

    python bench/hybrid_100k.py [--articles 100000] [--embed-sample 5000] [--runs 20]
        [--postgres postgresql://user@host:5432/db [--compare-ingest 20000]]

The corpus is bench/ingest_search.py's: the BBC News articles repeated to --articles
records, each copy with its own URL and one sentence naming it.

1. Text-searchable ingest: `ingest()` with VECTOR_SEARCH off (cleaning, dedup, SQLite,
   FTS5), articles/s.
2. Vectors: `embed_pending()` (the catch-up ingest runs) on the newest --embed-sample
   articles, articles/s; the rest get the same vectors faster, because the copies share
   their passage (title + first 200 words) and so their vector: each distinct passage is
   encoded once (the stored vectors are exactly those embed_pending makes).
3. Ingest with vectors end to end (VECTOR_SEARCH on, what `briefbot ingest` does) on the
   first --embed-sample records into a fresh store, articles/s.
4. Latency over the whole store, --runs per query: `retrieve()` (what a brief calls) for
   topics, `search()` (briefbot search) for rare and common words, and whole briefs
   (`brief()`, default settings: 5 stories, 100 words) in each mode without a model to
   configure; p50/p95 in ms.
5. RSS (VmRSS): the process idle (engine imported, store open), with the static model
   loaded, with the 100k vector index in memory, and with MiniLM (semantic mode) loaded.
6. With --postgres: both backends side by side, in this one run. Ingest: --compare-ingest
   records into a new store of each (text searchable, VECTOR_SEARCH off), articles/s; the
   100k store copied to PostgreSQL (`briefbot copy`'s engine), rows/s; then search,
   retrieve and brief (extractive, lead) p50/p95 on each. PostgreSQL gets two schemas of
   its own (dropped at the end).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from ingest_search import build_corpus, time_calls  # noqa: E402

from summarizer import embeddings  # noqa: E402
from summarizer.briefs.brief import brief  # noqa: E402
from summarizer.config import Settings  # noqa: E402
from summarizer.sources.ingest import ingest  # noqa: E402
from summarizer.store import Store, open_store  # noqa: E402
from summarizer.store.copy import copy_store  # noqa: E402
from summarizer.store.retrieve import retrieve  # noqa: E402
from summarizer.store.search import search  # noqa: E402
from summarizer.store.vectors import embed_pending, index_for  # noqa: E402

TOPICS = [
    "film awards",
    "prime minister election",
    "mobile phone music",
    "Mars sample return delay",
    "How are rising oil prices affecting airlines and their passengers? Describe the fuel surcharges.",
]
WORDS = ["Yukos", "Gazprom", "government", "people", "mobile phone"]


BRIEF_MODES = ("extractive", "semantic", "lead")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def fill_vectors(store: Store, settings: Settings) -> None:
    """Vectors for every article still without one, each distinct passage encoded once."""
    rows = store.db.execute(
        "SELECT a.id, a.title, a.text FROM articles a LEFT JOIN article_vectors v ON v.article_id = a.id "
        "WHERE v.article_id IS NULL"
    ).fetchall()
    passages = [embeddings.article_passage(title, text) for _, title, text in rows]
    distinct = sorted(set(passages))
    vectors = dict(zip(distinct, embeddings.embed_static(distinct, settings), strict=True))
    seq = store.db.execute("SELECT coalesce(max(seq), 0) FROM article_vectors").fetchone()[0]
    with store.transaction():
        store.db.executemany(
            "INSERT INTO article_vectors (article_id, model, seq, vector) VALUES (?, ?, ?, ?)",
            [
                (row[0], embeddings.STATIC_MODEL_NAME, seq + 1 + i, vectors[p].astype(np.float32).tobytes())
                for i, (row, p) in enumerate(zip(rows, passages, strict=True))
            ],
        )


def ingest_figures(store: Store, settings: Settings, args: argparse.Namespace, tmp: Path) -> None:
    """Steps 1-3: text-searchable ingest, vectors, and both end to end (printed)."""
    corpus = tmp / "corpus.jsonl"
    records = build_corpus(args.data, corpus, args.articles)
    start = time.perf_counter()
    ingest(store, [str(corpus)], Settings(database_path=settings.database_path, vector_search=False))
    text_rate = records / (time.perf_counter() - start)
    stored = store.count()

    start = time.perf_counter()
    made = embed_pending(store, settings, limit=args.embed_sample)
    vector_rate = made / (time.perf_counter() - start)
    fill_vectors(store, settings)

    sample = tmp / "sample.jsonl"
    build_corpus(args.data, sample, args.embed_sample)
    fresh = open_store(tmp / "fresh.db")
    start = time.perf_counter()
    ingest(fresh, [str(sample)], settings)
    both_rate = args.embed_sample / (time.perf_counter() - start)
    fresh.close()

    print(f"| ingest ({stored:,} stored of {records:,} records) | articles/s |\n|---|---:|")
    print(f"| text searchable (VECTOR_SEARCH off) | {text_rate:,.0f} |")
    print(f"| vectors alone: embed_pending on {made:,} articles | {vector_rate:,.0f} |")
    print(f"| with vectors, end to end, {args.embed_sample:,} records into a new store | {both_rate:,.0f} |")


def _p50_p95(times: list[float]) -> str:
    return f"{np.percentile(times, 50):.1f} | {np.percentile(times, 95):.1f}"


def _brief_in(store: Store, topic: str, settings: Settings, mode: str) -> Any:
    return brief(store, topic, settings=settings, mode=mode)


def side_by_side(store: Store, settings: Settings, args: argparse.Namespace, tmp: Path) -> None:
    """Step 6: the same figures on SQLite (`store`) and PostgreSQL (printed side by side)."""
    import psycopg

    from summarizer.store.postgres import with_search_path

    schemas = [f"bench_ingest_{os.getpid()}", f"bench_store_{os.getpid()}"]
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(f"CREATE SCHEMA {schema}")
    try:
        corpus = tmp / "compare.jsonl"
        records = build_corpus(args.data, corpus, args.compare_ingest)
        rates = []
        for where in (str(tmp / "compare.db"), with_search_path(args.postgres, schemas[0])):
            target = open_store(where)
            start = time.perf_counter()
            text_only = Settings(database_path=str(tmp / "compare.db"), vector_search=False)
            ingest(target, [str(corpus)], text_only)
            rates.append(records / (time.perf_counter() - start))
            target.close()
        postgres = open_store(with_search_path(args.postgres, schemas[1]))
        start = time.perf_counter()
        copied = copy_store(store, postgres)
        copy_rate = copied["articles"] / (time.perf_counter() - start)
        postgres.db.execute("VACUUM ANALYZE")
        index_for(postgres)
        stored = store.count()
        print()
        print("| both backends, one run | SQLite | PostgreSQL |")
        print("|---|---:|---:|")
        print(f"| ingest, {records:,} records into a new store | {rates[0]:,.0f} | {rates[1]:,.0f} |")
        print(f"| copy of the {stored:,}-article store to PostgreSQL, articles/s | | {copy_rate:,.0f} |")
        print()
        print(f"| {stored:,} articles | query | hits | SQLite p50 | p95 | PostgreSQL p50 | p95 |")
        print("|---|---|---:|---:|---:|---:|---:|")
        calls: list[tuple[str, str, Callable[[Store, str], Any]]]
        calls = [("search", words, lambda s, q: search(s, q, settings=settings)) for words in WORDS]
        calls += [("retrieve", t, lambda s, q: retrieve(s, q, settings=settings, limit=15)) for t in TOPICS]
        for mode in ("extractive", "lead"):
            briefed = functools.partial(_brief_in, settings=settings, mode=mode)
            calls += [(f"brief {mode}", t, briefed) for t in TOPICS]
        for kind, query, call in calls:
            call(store, query)  # both warmed up before timing
            hits = call(postgres, query)
            found = len(hits.sentences) if hasattr(hits, "sentences") else len(hits)
            figures = [
                _p50_p95(time_calls(lambda s=s, c=call, q=query: c(s, q), args.runs))
                for s in (store, postgres)
            ]
            print(f"| {kind} | {query[:50]} | {found} | {figures[0]} | {figures[1]} |")
        postgres.close()
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            for schema in schemas:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def latency_and_memory(store: Store, settings: Settings, args: argparse.Namespace, memory: dict) -> None:
    """Steps 4-5 (printed)."""
    stored = store.count()
    start = time.perf_counter()
    index_for(store)
    load = time.perf_counter() - start
    memory[f"vector index of {stored:,} articles in memory"] = rss_mib()
    print(f"\nvector index load: {load:.2f} s\n")
    print(f"| {stored:,} articles | query | hits | p50 ms | p95 ms |\n|---|---|---:|---:|---:|")
    for topic in TOPICS:
        hits = retrieve(store, topic, settings=settings, limit=15)
        times = time_calls(lambda t=topic: retrieve(store, t, settings=settings, limit=15), args.runs)
        print(
            f"| retrieve | {topic[:60]} | {len(hits)} "
            f"| {np.percentile(times, 50):.1f} | {np.percentile(times, 95):.1f} |"
        )
    for words in WORDS:
        hits = search(store, words, settings=settings)
        times = time_calls(lambda w=words: search(store, w, settings=settings), args.runs)
        print(
            f"| search | {words} | {len(hits)} "
            f"| {np.percentile(times, 50):.1f} | {np.percentile(times, 95):.1f} |"
        )
    print(f"\n| {stored:,} articles | mode | topic | sentences | p50 ms | p95 ms |")
    print("|---|---|---|---:|---:|---:|")
    for mode in BRIEF_MODES:
        for topic in TOPICS:
            result = brief(store, topic, settings=settings, mode=mode)
            times = time_calls(lambda t=topic, m=mode: brief(store, t, settings=settings, mode=m), args.runs)
            print(
                f"| brief | {mode} | {topic[:50]} | {len(result.sentences)} "
                f"| {np.percentile(times, 50):.1f} | {np.percentile(times, 95):.1f} |"
            )
    embeddings.embedding_model()
    memory["MiniLM loaded too (semantic summaries of single texts)"] = rss_mib()
    print("\n| process | RSS MiB |\n|---|---:|")
    for what, mib in memory.items():
        print(f"| {what} | {mib:,.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "bbc_news.jsonl")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--embed-sample", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", type=Path, help="keep the 100k store here (and reuse it: skips steps 1-3)")
    parser.add_argument("--postgres", help="also run on PostgreSQL at this URL, side by side (step 6)")
    parser.add_argument("--compare-ingest", type=int, default=20_000, help="step 6's ingest records")
    parser.add_argument("--skip-sqlite-only", action="store_true", help="skip steps 4-5 (with --db)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        reuse = bool(args.db and args.db.exists())
        settings = Settings(database_path=str(args.db or Path(tmp) / "bench.db"))
        store = open_store(settings.database_path)
        memory = {"idle (engine imported, store open)": rss_mib()}
        embeddings.static_model(settings)
        memory["static model loaded"] = rss_mib()

        if not reuse:
            ingest_figures(store, settings, args, Path(tmp))

        if not args.skip_sqlite_only:
            latency_and_memory(store, settings, args, memory)
        if args.postgres:
            side_by_side(store, settings, args, Path(tmp))
        store.close()


if __name__ == "__main__":
    main()
