"""What an update brief (`new_since`) costs beside a plain one, on a large store.

    python bench/update_latency.py --db STORE [--new-since ISO] [--runs 20]

STORE is a store of bench/hybrid_100k.py (`--db`, kept between runs; use a copy: this opens
it for writing). `--new-since` defaults to the middle of the store's publication (or, all
undated, ingestion) times, so half the matches are new and half are known. For each topic
of bench/hybrid_100k.py and each mode, the plain brief and the update are timed in turns in
the same process (default settings: 5 stories, 100 words); p50/p95 in ms and the ratio of
p95s.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

from hybrid_100k import TOPICS  # noqa: E402
from ingest_search import time_calls  # noqa: E402

from summarizer.briefs.brief import brief  # noqa: E402
from summarizer.config import Settings  # noqa: E402
from summarizer.store import (  # noqa: E402
    Store,
    open_store,  # noqa: E402
    parse_utc,
)
from summarizer.store.vectors import index_for  # noqa: E402


def middle_moment(store: Store) -> datetime:
    """The median of the articles' publication times (ingestion times when undated)."""
    row = store.db.execute(
        "SELECT COALESCE(published_at, ingested_at) AS t FROM articles ORDER BY t "
        "LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM articles)"
    ).fetchone()
    moment = parse_utc(row[0])
    if moment is None:
        raise SystemExit("the store is empty")
    return moment


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--new-since", type=parse_utc)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--modes", default="extractive,semantic")
    args = parser.parse_args()
    torch.set_num_threads(1)
    store = open_store(args.db)
    settings = Settings(database_path=str(args.db))
    new_since = args.new_since or middle_moment(store)
    index_for(store)  # the vector index loads once, outside the clock
    print(f"{store.count():,} articles, new since {new_since:%Y-%m-%d %H:%M:%S} UTC, {args.runs} runs each\n")
    print("| mode | topic | plain: sentences, p50, p95 ms | update: sentences, p50, p95 ms | p95 ratio |")
    print("|---|---|---|---|---:|")
    for mode in args.modes.split(","):
        for topic in TOPICS:
            plain = brief(store, topic, settings=settings, mode=mode)
            update = brief(store, topic, settings=settings, mode=mode, new_since=new_since)
            times_plain, times_update = [], []
            for _ in range(args.runs):  # in turns: both see the same load on the machine
                times_plain += time_calls(
                    lambda t=topic, m=mode: brief(store, t, settings=settings, mode=m), 1
                )
                times_update += time_calls(
                    lambda t=topic, m=mode: brief(store, t, settings=settings, mode=m, new_since=new_since), 1
                )
            p95_plain, p95_update = np.percentile(times_plain, 95), np.percentile(times_update, 95)
            print(
                f"| {mode} | {topic[:50]} | {len(plain.sentences)}, {np.percentile(times_plain, 50):.1f}, "
                f"{p95_plain:.1f} | {len(update.sentences)}, {np.percentile(times_update, 50):.1f}, "
                f"{p95_update:.1f} | {p95_update / p95_plain:.2f} |"
            )
    store.close()


if __name__ == "__main__":
    main()
