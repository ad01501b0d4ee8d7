"""Benchmark: bulk ingestion rate and search latency at 100,000 articles.

    .venv/bin/python bench/ingest_search.py [--data ../shared/data/bbc_news.jsonl] [--articles 100000]

Builds a .jsonl of the BBC News articles repeated up to --articles records. Each copy gets
its own id and URL, and one sentence naming the copy (the store keeps one article per
distinct text, so exact copies would be skipped as duplicates). It times `briefbot
ingest`'s engine call on that file (cleaning, dedup, SQLite writes, FTS5 indexing), then
search latency (p50/p95 over repeated runs) for rare, common and multi-word queries, next
to a peer in the same process: plain FTS5 bm25 ranking over every match.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from summarizer.config import Settings  # noqa: E402
from summarizer.sources.ingest import ingest  # noqa: E402
from summarizer.store import Store, open_store  # noqa: E402
from summarizer.store.search import search  # noqa: E402

QUERIES = {
    "rare": ["Lavrov", "Kilroy-Silk", "Yukos", "Gazprom"],
    "common": ["government", "year", "people", "market"],
    "multi-word": ["prime minister election", '"economic growth"', "mobile phone music", "chelsea -arsenal"],
}


def build_corpus(source: Path, target: Path, articles: int) -> int:
    """Write `articles` records cycling through `source`, each copy with its own id and URL."""
    rows = [json.loads(line) for line in source.open(encoding="utf-8") if line.strip()]
    written = 0
    with target.open("w", encoding="utf-8") as out:
        copy = 0
        while written < articles:
            for row in rows:
                if written >= articles:
                    break
                record = {
                    "id": f"{copy}/{row['id']}",
                    "url": f"https://bench.example/{copy}/{row['id']}",
                    "title": row.get("title") or "",
                    "text": f"{row['text']}\n\nThis is copy {copy} of the story.",
                }
                out.write(json.dumps(record) + "\n")
                written += 1
            copy += 1
    return written


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def time_calls(call, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def naive_search(store: Store, query: str) -> list:
    """The peer: FTS5 bm25 (same weights) over every match, no candidate cap, no recency."""
    from summarizer.store.query import parse_query

    expression = parse_query(query).to_fts()
    return store.db.execute(
        "SELECT a.id FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
        "WHERE articles_fts MATCH ? AND a.scope = 'global' "
        "ORDER BY bm25(articles_fts, 10.0, 1.0) LIMIT 10",
        [expression],
    ).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "bbc_news.jsonl")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50, help="timed runs per query")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        records = build_corpus(args.data, corpus, args.articles)
        settings = Settings(database_path=str(Path(tmp) / "bench.db"))
        store = open_store(settings.database_path)
        start = time.perf_counter()
        results = ingest(store, [str(corpus)], settings)
        seconds = time.perf_counter() - start
        stored = store.count()
        print(
            f"ingest: {records} records in {seconds:.1f} s = {records / seconds:,.0f} articles/s "
            f"({stored} stored, {sum(r.outcome.value == 'failed' for r in results)} failed)"
        )

        print(f"\nsearch over {stored} articles, {args.runs} runs per query, limit 10 (ms)")
        print(f"{'kind':<11} {'query':<26} {'hits':>5} {'p50':>7} {'p95':>7} {'peer p50':>9} {'peer p95':>9}")
        summary = {}
        for kind, queries in QUERIES.items():
            ours, peers = [], []
            for query in queries:
                hits = search(store, query, settings=settings)
                times = time_calls(lambda q=query: search(store, q, settings=settings), args.runs)
                peer = time_calls(lambda q=query: naive_search(store, q), max(5, args.runs // 5))
                ours += times
                peers += peer
                print(
                    f"{kind:<11} {query:<26} {len(hits):>5} {percentile(times, 0.5):>7.2f} "
                    f"{percentile(times, 0.95):>7.2f} "
                    f"{percentile(peer, 0.5):>9.2f} {percentile(peer, 0.95):>9.2f}"
                )
            summary[kind] = (percentile(ours, 0.5), percentile(ours, 0.95), percentile(peers, 0.5))
        print("\nby kind: p50 / p95 (peer p50, ratio peer/ours at p50)")
        for kind, (p50, p95, peer50) in summary.items():
            print(f"  {kind:<11} {p50:6.2f} / {p95:6.2f} ms   (peer {peer50:7.2f} ms, {peer50 / p50:5.1f}x)")
        store.close()


if __name__ == "__main__":
    main()
