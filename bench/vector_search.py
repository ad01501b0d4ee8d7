"""Vector search at 100,000 articles: numpy over an in-memory matrix vs sqlite-vec.

Synthetic unit vectors (256 float32 dimensions, the stored vectors' shape; random normal,
normalised), top 10 by cosine for random unit queries, p50/p95 over --runs queries, both
in the same process:

- numpy: `VectorIndex.nearest` (summarizer/store/vectors.py) filling from a real store's
  `article_vectors` table: one matrix-vector product, the scope mask, argpartition;
- sqlite-vec: a `vec0` virtual table (`embedding float[256] distance_metric=cosine`) queried
  with `MATCH ? AND k = 10` (its brute-force KNN), and with a scope metadata column as filter.

    python bench/vector_search.py [--articles 100000] [--runs 50]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import apsw
import numpy as np
import sqlite_vec

from summarizer import embeddings
from summarizer.models import Document
from summarizer.store import open_store
from summarizer.store.vectors import index_for


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n, dims = args.articles, embeddings.STATIC_DIMS
    vectors = rng.standard_normal((n, dims)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = rng.standard_normal((args.runs, dims)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "vectors.db")
        with store.transaction():
            for i in range(n):
                store.upsert(Document(url=f"https://v.example/{i}", title=f"t{i}", text=f"article {i}"))
            store.db.conn.executemany(
                "INSERT INTO article_vectors (article_id, model, seq, vector) VALUES (?, ?, ?, ?)",
                ((i + 1, embeddings.STATIC_MODEL_NAME, i + 1, vectors[i].tobytes()) for i in range(n)),
            )
        start = time.perf_counter()
        index = index_for(store)
        load = time.perf_counter() - start
        numpy_ms = []
        for q in queries:
            start = time.perf_counter()
            index.nearest(q, 10, scopes=("global",))
            numpy_ms.append((time.perf_counter() - start) * 1000)

        # apsw: this Python's sqlite3 module cannot load extensions (built without them).
        conn = apsw.Connection(str(Path(tmp) / "vec.db"))
        conn.enable_load_extension(True)
        conn.load_extension(sqlite_vec.loadable_path())
        conn.execute(
            f"CREATE VIRTUAL TABLE vec USING vec0(embedding float[{dims}] distance_metric=cosine, scope text)"
        )
        with conn:
            conn.executemany(
                "INSERT INTO vec (rowid, embedding, scope) VALUES (?, ?, ?)",
                ((i + 1, vectors[i].tobytes(), "global") for i in range(n)),
            )
        plain_ms, filtered_ms = [], []
        for q in queries:
            start = time.perf_counter()
            plain = conn.execute(
                "SELECT rowid, distance FROM vec WHERE embedding MATCH ? AND k = 10", [q.tobytes()]
            ).fetchall()
            plain_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            conn.execute(
                "SELECT rowid FROM vec WHERE embedding MATCH ? AND k = 10 AND scope = 'global'", [q.tobytes()]
            ).fetchall()
            filtered_ms.append((time.perf_counter() - start) * 1000)
        same = [i for i, _ in index.nearest(queries[-1], 10, scopes=("global",))] == [r for r, _ in plain]

    print(
        f"{n:,} vectors x {dims} float32, top 10, {args.runs} queries (ms); numpy index load {load:.2f} s; "
        f"same top 10: {same}"
    )
    print("| search | p50 | p95 |\n|---|---:|---:|")
    print(
        "| numpy, in-memory matrix (+ scope mask) "
        f"| {percentile(numpy_ms, 50):.2f} | {percentile(numpy_ms, 95):.2f} |"
    )
    print(f"| sqlite-vec vec0 | {percentile(plain_ms, 50):.2f} | {percentile(plain_ms, 95):.2f} |")
    print(
        "| sqlite-vec vec0 + scope metadata filter "
        f"| {percentile(filtered_ms, 50):.2f} | {percentile(filtered_ms, 95):.2f} |"
    )


if __name__ == "__main__":
    main()
