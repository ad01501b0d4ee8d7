"""Two processes ingesting the same records into one store at once: each article stored once.

    .venv/bin/python bench/concurrent_ingest.py --store postgresql://user@host:5432/db [--records 10000]

Builds --records records (bench/ingest_search.py's BBC corpus), then starts two `briefbot
ingest` processes on the same file against --store (a PostgreSQL URL: a fresh schema of its
own, dropped at the end; or a SQLite path) at the same moment, and reports each process's
time and outcome line, the articles stored, and the distinct URLs and texts among them
(both equal to the distinct records when every article is stored once).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from ingest_search import build_corpus  # noqa: E402

from summarizer.store import is_postgres_url, open_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "bbc_news.jsonl")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--store", required=True, help="postgresql://... or a SQLite file")
    args = parser.parse_args()
    where, schema = args.store, ""
    if is_postgres_url(args.store):
        import psycopg

        from summarizer.store.postgres import with_search_path

        schema = f"bench_concurrent_{os.getpid()}"
        with psycopg.connect(args.store, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        where = with_search_path(args.store, schema)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "records.jsonl"
            records = build_corpus(args.data, corpus, args.records)
            open_store(where).close()  # the schema exists before both start
            env = {**os.environ, "PYTHONPATH": str(REPO), "VECTOR_SEARCH": "false"}
            command = [sys.executable, "-m", "summarizer.cli", "--db", where, "ingest", "-q", str(corpus)]
            start = time.perf_counter()
            workers = [
                subprocess.Popen(
                    command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
                )
                for _ in range(2)
            ]
            for number, worker in enumerate(workers, 1):
                output, _ = worker.communicate()
                took = time.perf_counter() - start
                print(
                    f"process {number}: exit {worker.returncode} after {took:.1f} s: {output.strip()[-200:]}"
                )
            store = open_store(where)
            stored, urls, texts = store.db.execute(
                "SELECT count(*), count(DISTINCT url), count(DISTINCT content_hash) FROM articles"
            ).fetchone()
            store.close()
            print(
                f"{records:,} records -> {stored:,} articles stored: {urls:,} distinct URLs, {texts:,} texts"
            )
    finally:
        if schema:
            with psycopg.connect(args.store, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


if __name__ == "__main__":
    main()
