"""How robust the extractive (and semantic) margin over Lead-3 is: k-fold and bootstrap.

The bar "extractive ROUGE-1 >= Lead-3's" is re-checked on articles we have not seen, so one
mean over the dev file says little. This script scores every article once per system
(ROUGE-1/2/Lsum F1, as `summarizer.evaluation.single`), then reports the per-article margin over
Lead-3 on k folds (several shuffles), its bootstrap 95% interval over articles, and the
two halves of the file (odd/even lines). Judge a change to the modes on every fold, not on
the mean. Any weight you choose while looking at these figures must be chosen on training
folds only, or the folds stop being held out.

Usage (repository root, eval extras installed):
    python bench/xval_extractive.py ../shared/data/cnndm_dev.jsonl [--semantic] [--folds 5]
"""

from __future__ import annotations

import argparse
import random
import statistics

import numpy as np

from summarizer.config import Settings
from summarizer.evaluation.single import load_items, system_function


def per_article_rouge1(system: str, items, settings: Settings, sentences: int) -> np.ndarray:
    """ROUGE-1 F1 (percent) of `system` on each item, in order."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    function = system_function(system, settings)
    return np.array(
        [
            100 * scorer.score(item.reference, "\n".join(function(item, sentences)))["rouge1"].fmeasure
            for item in items
        ]
    )


def folds(count: int, k: int, seed: int) -> list[list[int]]:
    """`k` disjoint folds of article indices, shuffled by `seed`."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    return [order[f::k] for f in range(k)]


def bootstrap(diff: np.ndarray, rounds: int = 5000, seed: int = 0) -> tuple[float, float]:
    """95% bootstrap interval of the mean of `diff` (articles resampled)."""
    rng = np.random.default_rng(seed)
    means = [diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(rounds)]
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)


def describe(name: str, diff: np.ndarray, k: int, shuffles: int) -> list[str]:
    """Lines reporting the margin `diff` (per article) on folds, halves and the bootstrap."""
    low, high = bootstrap(diff)
    lines = [
        f"{name}: mean {diff.mean():+.2f} R1, bootstrap 95% [{low:+.2f}, {high:+.2f}], "
        f"better on {(diff > 0.01).sum()} articles, worse on {(diff < -0.01).sum()}, "
        f"halves (odd/even lines) {diff[0::2].mean():+.2f} / {diff[1::2].mean():+.2f}"
    ]
    every = []
    for seed in range(shuffles):
        margins = [float(diff[fold].mean()) for fold in folds(len(diff), k, seed)]
        every.extend(margins)
        lines.append(f"  shuffle {seed}: " + " ".join(f"{m:+.2f}" for m in margins))
    lines.append(
        f"  {len(every)} folds: median {statistics.median(every):+.2f}, "
        f"min {min(every):+.2f}, negative {sum(m < 0 for m in every)}"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--shuffles", type=int, default=3)
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--semantic", action="store_true", help="also semantic vs extractive (slow)")
    args = parser.parse_args()
    if args.semantic:
        import torch

        torch.set_num_threads(1)
    settings = Settings()
    items, _ = load_items(args.data, args.limit)
    systems = ["lead3", "extractive"] + (["semantic"] if args.semantic else [])
    scores = {name: per_article_rouge1(name, items, settings, args.sentences) for name in systems}
    print(
        f"{args.data}: {len(items)} articles, ROUGE-1 F1 "
        + ", ".join(f"{name} {values.mean():.2f}" for name, values in scores.items())
    )
    report = describe("extractive - lead3", scores["extractive"] - scores["lead3"], args.folds, args.shuffles)
    if args.semantic:
        report += describe(
            "semantic - extractive", scores["semantic"] - scores["extractive"], args.folds, args.shuffles
        )
    print("\n".join(report))


if __name__ == "__main__":
    main()
