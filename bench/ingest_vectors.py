"""Ingest rate with and without article vectors, on the same records in the same run.

    python bench/ingest_vectors.py [--articles 20000] [--rounds 2]

Builds bench/ingest_search.py's BBC corpus (--articles records), then ingests it into a new
store `--rounds` times each way, alternating: VECTOR_SEARCH off (text searchable: cleaning,
dedup, SQLite, FTS5) and on (the same, then the catch-up that gives every article its
vector: what `briefbot ingest` does). The static model is loaded before timing (once per
process, tens of milliseconds; the first run ever builds it in ~20 s).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from ingest_search import build_corpus  # noqa: E402

from summarizer.config import Settings  # noqa: E402
from summarizer.embeddings import static_model  # noqa: E402
from summarizer.sources.ingest import ingest  # noqa: E402
from summarizer.store import open_store  # noqa: E402


def rate(corpus: Path, settings: Settings, folder: Path) -> tuple[float, int]:
    store = open_store(folder / f"run-{time.monotonic_ns()}.db")
    start = time.perf_counter()
    results = ingest(store, [str(corpus)], settings)
    seconds = time.perf_counter() - start
    vectors = store.db.execute("SELECT count(*) FROM article_vectors").fetchone()[0]
    store.close()
    return len(results) / seconds, vectors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "bbc_news.jsonl")
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus = folder / "corpus.jsonl"
        build_corpus(args.data, corpus, args.articles)
        static_model(Settings())
        print(f"| {args.articles:,} records | articles/s | vectors stored |\n|---|---:|---:|")
        for n in range(1, args.rounds + 1):
            for label, settings in (
                ("text searchable (VECTOR_SEARCH off)", Settings(vector_search=False)),
                ("with vectors (VECTOR_SEARCH on)", Settings()),
            ):
                per_second, vectors = rate(corpus, settings, folder)
                print(f"| {label}, round {n} | {per_second:,.0f} | {vectors:,} |", flush=True)


if __name__ == "__main__":
    main()
