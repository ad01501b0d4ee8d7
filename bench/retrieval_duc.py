"""Retrieval quality on DUC 2006 pooled: bm25 alone, dense alone, fused; the relevance floor.

All 1,250 documents of the 50 topics go into one store through the real ingestion
(url `duc2006/<docid>`, headline as title, the document's date), vectors are made by the
real catch-up, and each topic is asked as a query: its title, and its title + narrative
(the question). For each retriever, the share of its top k that come from the topic's own
25 documents (k = 5, 15, 25), averaged over topics.

The floor: for each topic, the best relevance of any document NOT in its own set is what a
brief would find if the store had nothing on the topic (its own documents left out). A
floor is chosen on 4/5 of the topics (the lowest value that keeps every training topic's
leave-own-out result empty, i.e. their maximum, plus nothing) and tested on the other 5th:
how many held-out topics come back empty with their own documents left out, and what
share of their own documents still pass with them in. Also unrelated topics nothing in
DUC 2006 is about.

    python bench/retrieval_duc.py ../shared/data/duc/duc2006_topics.jsonl --db /tmp/duc2006.db
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from summarizer import embeddings
from summarizer.config import Settings
from summarizer.sources.ingest import ingest
from summarizer.store import Store, open_store
from summarizer.store import retrieve as R
from summarizer.store.vectors import embed_pending, index_for

UNRELATED = [
    "Mars sample return delay",
    "smartphone battery recall",
    "cryptocurrency exchange hack",
    "Premier League transfer window",
    "streaming service subscription prices",
    "electric scooter rental rules",
    "quantum computer error correction",
    "K-pop band world tour",
    "self-driving taxi accident",
    "vaccine mandate protests",
]


def build(data: str, db: str, settings: Settings) -> tuple[Store, list[dict], dict[int, int]]:
    topics = [json.loads(line) for line in open(data, encoding="utf-8")]
    fresh = not Path(db).exists()
    store = open_store(db)
    if fresh:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "duc2006.jsonl"
            with path.open("w", encoding="utf-8") as out:
                for topic in topics:
                    for doc in topic["docs"]:
                        out.write(
                            json.dumps(
                                {
                                    "url": f"duc2006/{doc['id']}",
                                    "title": doc.get("headline") or "",
                                    "text": doc["text"],
                                    "date": doc.get("date"),
                                }
                            )
                            + "\n"
                        )
            start = time.perf_counter()
            ingest(store, [str(path)], settings)
            print(f"ingested in {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    made = embed_pending(store, settings)
    print(f"{made} vectors in {time.perf_counter() - start:.1f} s")
    owner = {}
    by_url = dict(store.db.execute("SELECT url, id FROM articles").fetchall())
    for t, topic in enumerate(topics):
        for doc in topic["docs"]:
            if f"duc2006/{doc['id']}" in by_url:
                owner[by_url[f"duc2006/{doc['id']}"]] = t
    return store, topics, owner


def orders(store: Store, query: str, settings: Settings) -> dict[str, list[tuple[int, float]]]:
    """(id, score) lists of bm25 alone, dense alone and the shipped fusion (no floor)."""
    terms = R.distinctive_terms(store, query)
    bm25 = list(R.lexical(store, terms, R.Filters(), depth=R.DEPTH).items())
    dense = index_for(store).nearest(
        embeddings.embed_static([query], settings)[0], R.DEPTH, scopes=("global",)
    )
    fused = [
        (h.article.id, h.score)
        for h in R.retrieve(store, query, settings=settings, limit=2 * R.DEPTH, floor=0.0)
    ]
    return {"bm25": bm25, "dense": dense, "fused": fused}


def share(order: list[int], own: set[int], k: int) -> float:
    top = order[:k]
    return sum(i in own for i in top) / max(len(top), 1)


def choose_floor(positives: np.ndarray) -> float:
    """The floor: the 5th percentile of the training topics' own top-5 relevances (95% pass)."""
    return float(np.percentile(positives, 5))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--db", default="/tmp/duc2006-retrieval.db")
    args = parser.parse_args()
    torch.set_num_threads(1)
    settings = Settings()
    store, topics, owner = build(args.data, args.db, settings)
    ks = (5, 15, 25)
    per_kind = {}
    for kind in ("title", "question"):
        shares: dict[str, list[list[float]]] = {}
        positives, negatives, fused_lists = [], [], []
        for t, topic in enumerate(topics):
            query = topic["title"] if kind == "title" else f"{topic['title']}. {topic['narrative']}"
            own = {i for i, o in owner.items() if o == t}
            lists = orders(store, query, settings)
            for name, ranked in lists.items():
                shares.setdefault(name, []).append([share([i for i, _ in ranked], own, k) for k in ks])
            fused = lists["fused"]
            fused_lists.append((own, fused))
            positives.append(np.array(sorted((s for i, s in fused if i in own), reverse=True)[:5]))
            negatives.append(max((s for i, s in fused if i not in own), default=0.0))
        per_kind[kind] = (positives, negatives, fused_lists)
        print(f"\n### query = {kind}: share of the top k from the topic's own 25 documents (no floor)\n")
        print("| retriever | @5 | @15 | @25 |\n|---|---:|---:|---:|")
        for name, rows in shares.items():
            print(f"| {name} | " + " | ".join(f"{m:.1%}" for m in np.mean(rows, axis=0)) + " |")

    print("\n### the floor: 5-fold cross-validation over topics (title and question queries together)\n")
    print(
        "| fold | floor | held out: own top-5 passing | held out: empty with own docs left out "
        "| held out: cited (top 5 passing) from own set | unrelated topics with any hit |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    folds = np.array_split(np.random.default_rng(0).permutation(len(topics)), 5)
    unrelated = {
        q: [h.score for h in R.retrieve(store, q, settings=settings, limit=25, floor=0.0)] for q in UNRELATED
    }
    floors = []
    for n, fold in enumerate(folds, 1):
        held = set(int(t) for t in fold)
        train = [t for t in range(len(topics)) if t not in held]
        floor = choose_floor(np.concatenate([per_kind[k][0][t] for k in per_kind for t in train]))
        floors.append(floor)
        tp = np.concatenate([per_kind[k][0][t] for k in per_kind for t in held])
        tn = np.array([per_kind[k][1][t] for k in per_kind for t in held])
        cited = [
            (i in own)
            for k in per_kind
            for t in held
            for own, ranked in [per_kind[k][2][t]]
            for i, s in [x for x in ranked if x[1] >= floor][:5]
        ]
        noisy = sum(any(s >= floor for s in scores) for scores in unrelated.values())
        print(
            f"| {n} | {floor:.3f} | {np.mean(tp >= floor):.1%} | {np.mean(tn < floor):.1%} | "
            f"{np.mean(cited):.1%} | {noisy} of {len(unrelated)} |"
        )
    print(
        f"\nfloor over the folds: mean {np.mean(floors):.3f} (min {min(floors):.3f}, max {max(floors):.3f}); "
        f"shipped FLOOR = {R.FLOOR}"
    )
    print(
        "\n### near-best: with something above the floor, "
        "also keep articles whose cosine is >= r x the best kept one\n"
    )
    print(
        "| r | cited (top 5) from own set | top 15 from own set | own docs kept (of 25) "
        "| hits kept per topic |\n"
        "|---|---:|---:|---:|---:|"
    )
    for near in (0.5, 0.6, 0.7, 0.8, 0.9, 2.0):
        cited, top15, kept_own, kept = [], [], [], []
        for kind in ("title", "question"):
            for t, topic in enumerate(topics):
                query = topic["title"] if kind == "title" else f"{topic['title']}. {topic['narrative']}"
                own = {i for i, o in owner.items() if o == t}
                hits = R.retrieve(store, query, settings=settings, limit=2 * R.DEPTH, near_best=near)
                cited += [h.article.id in own for h in hits[:5]]
                top15 += [h.article.id in own for h in hits[:15]]
                kept_own.append(sum(h.article.id in own for h in hits))
                kept.append(len(hits))
        print(
            f"| {near if near <= 1 else 'off'} | {np.mean(cited):.1%} | {np.mean(top15):.1%} | "
            f"{np.mean(kept_own):.1f} | {np.mean(kept):.1f} |"
        )
    words_only = Settings(vector_search=False)
    scored = []
    for kind in ("title", "question"):
        for t, topic in enumerate(topics):
            query = topic["title"] if kind == "title" else f"{topic['title']}. {topic['narrative']}"
            own = {i for i, o in owner.items() if o == t}
            hits = R.retrieve(store, query, settings=words_only, limit=2 * R.DEPTH, floor=0.0)
            scored.append([(h.article.id in own, h.score) for h in hits])
    unrelated_words = [
        [h.score for h in R.retrieve(store, q, settings=words_only, floor=0.0)] for q in UNRELATED
    ]
    print(
        "\n### words only (VECTOR_SEARCH off): "
        f"the floor on word weight covered (shipped LEXICAL_FLOOR {R.LEXICAL_FLOOR})\n"
    )
    print(
        "| floor | cited (top 5) from own set | queries with nothing (of 100) "
        "| unrelated topics with a hit |\n"
        "|---|---:|---:|---:|"
    )
    for floor in (0.5, 0.6, 0.7, 0.8, 0.9):
        cited = [own for hits in scored for own, _ in [h for h in hits if h[1] >= floor][:5]]
        empty = sum(not any(v >= floor for _, v in hits) for hits in scored)
        noisy = sum(any(v >= floor for v in scores) for scores in unrelated_words)
        print(f"| {floor} | {np.mean(cited):.1%} | {empty} | {noisy} of {len(UNRELATED)} |")
    print("\nunrelated topics with the shipped floor (hits that pass; best relevance):")
    for query, scores in unrelated.items():
        print(f"  {query}: {sum(s >= R.FLOOR for s in scores)} hits; best {max(scores, default=0):.3f}")


if __name__ == "__main__":
    main()
