"""Which vectors should the store keep? Encoders for ingest, by speed and retrieval quality.

For each option: articles/s to encode the 1,250 DUC 2006 documents (one process, torch on
2 threads, batch encoding as ingestion would) and dense retrieval quality on DUC 2006
pooled (all 1,250 documents, each of the 50 topics as the query): the share of the top 25
by cosine that come from the topic's own 25 documents, with the title as the query and
with title + narrative.

Options: all-MiniLM-L6-v2 on the passage (title + first 200 words), MiniLM on every
sentence (the article is the mean of its sentences), the static model distilled from that
MiniLM (model2vec) on the passage, on the whole text, and on every sentence.

    python bench/embed_options.py ../shared/data/duc/duc2006_topics.jsonl \\
        [--skip-sentences] [--skip-minilm-passage]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from summarizer import embeddings
from summarizer.config import Settings
from summarizer.sentences import split_sentences


def load(path: str):
    topics, docs, owner = [], [], []
    for line in open(path, encoding="utf-8"):
        topic = json.loads(line)
        topics.append(topic)
        for doc in topic["docs"]:
            docs.append((doc.get("headline") or "", doc["text"]))
            owner.append(len(topics) - 1)
    return topics, docs, np.array(owner)


def own_share(doc_vectors: np.ndarray, query_vectors: np.ndarray, owner: np.ndarray, k: int = 25) -> float:
    scores = query_vectors @ doc_vectors.T
    shares = []
    for t, row in enumerate(scores):
        top = np.argsort(-row)[:k]
        shares.append(float(np.mean(owner[top] == t)))
    return float(np.mean(shares))


def unit(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)


def per_article_mean(sentence_vectors: np.ndarray, counts: list[int]) -> np.ndarray:
    rows, start = [], 0
    for n in counts:
        rows.append(
            sentence_vectors[start : start + n].mean(axis=0) if n else np.zeros(sentence_vectors.shape[1])
        )
        start += n
    return unit(np.array(rows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument(
        "--skip-sentences", action="store_true", help="MiniLM on sentences: speed on a sample only"
    )
    parser.add_argument("--skip-minilm-passage", action="store_true", help="leave out MiniLM on passages")
    parser.add_argument("--sample", type=int, default=500, help="sentences timed with --skip-sentences")
    args = parser.parse_args()
    torch.set_num_threads(2)
    settings = Settings()
    topics, docs, owner = load(args.data)
    passages = [embeddings.article_passage(t, x) for t, x in docs]
    fulltexts = [f"{t}\n{x}" for t, x in docs]
    sentences = [split_sentences(x) for _, x in docs]
    counts = [len(s) for s in sentences]
    flat = [s for ss in sentences for s in ss]
    titles = [t["title"] for t in topics]
    questions = [f"{t['title']}. {t['narrative']}" for t in topics]
    print(f"{len(docs)} documents, {len(flat)} sentences")

    embeddings.embed(["warm up"])
    embeddings.embed_static(["warm up"], settings)

    def minilm(texts):
        return embeddings.embed(texts).astype(np.float32)

    def static(texts):
        return embeddings.embed_static(texts, settings)

    options = [
        *([] if args.skip_minilm_passage else [("minilm passage", minilm, lambda: minilm(passages), minilm)]),
        ("static passage", static, lambda: static(passages), static),
        ("static full text", static, lambda: static(fulltexts), static),
        ("static sentences (mean)", static, lambda: per_article_mean(static(flat), counts), static),
    ]
    if not args.skip_sentences:
        options.insert(
            1, ("minilm sentences (mean)", minilm, lambda: per_article_mean(minilm(flat), counts), minilm)
        )
    else:  # speed only, on a sample: the whole set takes many minutes on a shared machine
        sample = flat[: args.sample]
        start = time.perf_counter()
        minilm(sample)
        per_second = len(sample) / (time.perf_counter() - start)
        print(
            f"minilm sentences: {per_second:,.0f} sentences/s on {len(sample)} sentences = "
            f"{per_second / (len(flat) / len(docs)):,.1f} articles/s "
            f"at {len(flat) / len(docs):.1f} sentences an article"
        )
    print("| encoder | articles/s | own share @25, title | own share @25, title + narrative |")
    print("|---|---:|---:|---:|")
    for name, query_encoder, encode_docs, _ in options:
        start = time.perf_counter()
        vectors = encode_docs()
        rate = len(docs) / (time.perf_counter() - start)
        by_title = own_share(vectors, query_encoder(titles), owner)
        by_question = own_share(vectors, query_encoder(questions), owner)
        print(f"| {name} | {rate:,.0f} | {by_title:.1%} | {by_question:.1%} |", flush=True)


if __name__ == "__main__":
    main()
