"""Which centrality should semantic mode use? Variants against extractive, nested cross-validation.

Semantic mode is the extractive selection with forward centrality on sentence embeddings
(weight 0.6) instead of tf-idf (0.2), and paraphrase-level redundancy (cosine 0.9). This
script embeds each article's sentences once (kept in memory), then scores, per article,
ROUGE-1 F1 of extractive and of these semantic variants:

- `emb w`: centrality on embeddings only, weight w (the shipped mode is w=0.6);
- `avg w`: the mean of the two normalized centralities (tf-idf and embeddings), weight w;
- `mix a w`: one centrality on the blended similarity a*tfidf + (1-a)*embedding cosine;
- each with paraphrase threshold 0.85 or 0.9.

It prints each variant's margin over extractive (mean, bootstrap 95%, 5 folds x 3 shuffles),
then nested cross-validation: on each fold the variant is chosen on the other four folds
only, and the held-out margin of that choice is reported.

Usage (repository root, eval extras installed; ~2 min for cnndm_dev, ~4 for 500 BBC):
    python bench/semantic_centrality.py ../shared/data/cnndm_dev.jsonl [--limit 500]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from rouge_score import rouge_scorer
from xval_extractive import describe, folds

from summarizer import embeddings
from summarizer.evaluation.single import load_items
from summarizer.summaries import scoring
from summarizer.summaries.base import Budget, Passage

WEIGHTS = scoring.Weights()


def prepare(item) -> dict | None:
    """An article's candidates and the score parts that do not depend on the variant."""
    passages = [Passage(0, item.title, item.sentences)]
    cands = scoring.candidates(passages)
    if not cands:
        return None
    tfidf = scoring.tfidf_vectors(cands)
    emb = embeddings.embed([c.text for c in cands])
    title = set(scoring.content_terms(item.title))
    st, se = tfidf @ tfidf.T, emb @ emb.T
    base = np.array(
        [
            WEIGHTS.position * scoring.position_score(c.lead_rank)
            + WEIGHTS.title * scoring.overlap(c.terms, title)
            - c.cost
            for c in cands
        ]
    )
    return {
        "passages": passages,
        "cands": cands,
        "st": st,
        "se": se,
        "base": base,
        "ft": scoring.forward_centrality(cands, st),
        "fe": scoring.forward_centrality(cands, se),
    }


def summary(art: dict, variant: tuple) -> list[str]:
    """The 3-sentence summary of one prepared article under `variant` (kind, a, w, paraphrase)."""
    kind, a, w, paraphrase = variant
    cands = art["cands"]
    if kind == "tfidf":
        centrality = art["ft"]
    elif kind == "emb":
        centrality = art["fe"]
    elif kind == "avg":
        centrality = (art["ft"] + art["fe"]) / 2
    else:
        centrality = scoring.forward_centrality(cands, a * art["st"] + (1 - a) * art["se"])
    scores = list(art["base"] + w * centrality)

    def repeats(i: int, j: int) -> bool:
        return (
            scoring.overlap(cands[i].terms, cands[j].terms) >= WEIGHTS.duplicate_at
            or art["se"][i, j] >= paraphrase
        )

    return [p.text for p in scoring.select(cands, scores, repeats, Budget(3), art["passages"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    items, _ = load_items(args.data, args.limit)
    arts = [prepare(item) for item in items]
    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)

    def rouge1(variant: tuple) -> np.ndarray:
        return np.array(
            [
                100 * scorer.score(item.reference, "\n".join(summary(art, variant)))["rouge1"].fmeasure
                if art
                else 0.0
                for item, art in zip(items, arts, strict=True)
            ]
        )

    extractive = rouge1(("tfidf", 0.0, WEIGHTS.centrality, 9.0))  # 9: no paraphrase test
    variants = [("emb", 0.0, w, p) for w in (0.4, 0.6) for p in (0.85, 0.9)]
    variants += [("avg", 0.0, w, p) for w in (0.4, 0.6, 0.8) for p in (0.85, 0.9)]
    variants += [("mix", a, w, p) for a in (0.25, 0.5, 0.75) for w in (0.4, 0.6) for p in (0.85, 0.9)]
    scores = {v: rouge1(v) for v in variants}
    print(f"{args.data}: {len(items)} articles, extractive R1 {extractive.mean():.2f}")
    for v in variants:
        print("\n".join(describe(f"{v} - extractive", scores[v] - extractive, 5, 3)[::4]))
    held = []
    for seed in range(3):
        for fold in folds(len(items), 5, seed):
            train = np.setdiff1d(np.arange(len(items)), fold)
            best = max(variants, key=lambda v: scores[v][train].mean())
            held.append((float((scores[best] - extractive)[fold].mean()), best))
    margins = [m for m, _ in held]
    print(
        "nested CV, held-out margin of the variant chosen on the training folds: "
        + " ".join(f"{m:+.2f}" for m in margins)
        + f"; mean {np.mean(margins):+.2f}, negative {sum(m < 0 for m in margins)} of 15"
    )
    print("chosen:", sorted({str(v) for _, v in held}))


if __name__ == "__main__":
    main()
