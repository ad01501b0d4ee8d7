"""Tune and cross-validate the query-focused selection on DUC 2006 with a fast ROUGE-2.

    python bench/duc_tune.py ../shared/data/duc/duc2006_topics.jsonl [--grid] [--folds 5]

The score is ROUGE-2 recall jackknifed over the 4 references, as NIST computes it, but in
Python (Porter stems, 250-word cut) so that a grid runs in seconds; it tracks
ROUGE-1.5.5 closely, and reported figures come from `briefbot eval` with the real script.
Each topic's 25 articles are the passages (cluster setting); the topic is its title and
narrative. `--grid` scores every combination of the grid below on every topic and reports
the nested cross-validation estimate: parameters chosen on the training folds only, scored
on the held-out fold.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from nltk.stem.porter import PorterStemmer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from summarizer.sentences import split_sentences  # noqa: E402
from summarizer.summaries import (  # noqa: E402
    Budget,
    Passage,
    focused,  # noqa: E402
)

_PORTER = PorterStemmer()
_STEMMED: dict[str, str] = {}


def _tokens(text: str, limit: int | None = None) -> list[str]:
    words = text.split()
    if limit is not None:
        words = words[:limit]
    tokens = re.findall(r"[a-z0-9]+", " ".join(words).lower())
    out = []
    for token in tokens:
        stemmed = _STEMMED.get(token)
        if stemmed is None:
            stemmed = _STEMMED[token] = _PORTER.stem(token) if len(token) > 3 else token
        out.append(stemmed)
    return out


def bigrams(text: str, limit: int | None = None) -> Counter:
    tokens = _tokens(text, limit)
    return Counter(zip(tokens, tokens[1:], strict=False))


def rouge2_jackknife(summary: str, models: list[Counter], words: int = 250) -> float:
    peer = bigrams(summary, words)
    scores = []
    for left_out in range(len(models)):
        hits = total = 0
        for index, model in enumerate(models):
            if index == left_out:
                continue
            hits += sum(min(count, peer[gram]) for gram, count in model.items())
            total += sum(model.values())
        scores.append(hits / total if total else 0.0)
    return statistics.fmean(scores)


def load(path: str) -> list[dict]:
    topics = []
    for line in open(path, encoding="utf-8"):
        data = json.loads(line)
        passages = [
            Passage(i, doc.get("headline") or "", tuple(split_sentences(doc["text"])))
            for i, doc in enumerate(sorted(data["docs"], key=lambda d: d.get("date") or ""))
        ]
        topics.append(
            {
                "id": data["id"],
                "topic": f"{data['title']}. {data.get('narrative') or ''}".strip(),
                "passages": passages,
                "models": [bigrams(m["text"]) for m in data["models"]],
            }
        )
    return topics


def summarize(topic: dict, params: focused.Params, words: int = 250) -> str:
    picked = focused.select(
        topic["passages"], Budget(sentences=100, words=words), topic["topic"], params=params
    )
    return " ".join(p.text for p in picked)


def score_all(topics: list[dict], params: focused.Params) -> list[float]:
    return [rouge2_jackknife(summarize(t, params), t["models"]) for t in topics]


GRID: dict[str, list] = {
    "relevance_power": [0.5, 1.0],
    "sentence_relevance": [0.0, 1.0, 3.0],
    "expansion_terms": [0, 10],
    "length_power": [0.8, 1.0],
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data")
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--set", action="append", default=[], help="param=value for a single run")
    args = parser.parse_args()
    topics = load(args.data)[: args.limit]
    base = replace(
        focused.DEFAULT,
        **{k: type(getattr(focused.DEFAULT, k))(v) for k, v in (s.split("=") for s in args.set)},
    )
    started = time.perf_counter()
    scores = score_all(topics, base)
    print(
        f"defaults {base}: ROUGE-2 {statistics.fmean(scores):.4f} "
        f"({(time.perf_counter() - started) / len(topics) * 1000:.0f} ms/topic)"
    )
    if not args.grid:
        return
    names = list(GRID)
    combos = [dict(zip(names, values, strict=True)) for values in itertools.product(*GRID.values())]
    table = []
    for combo in combos:
        table.append(score_all(topics, replace(base, **combo)))
        print(f"{combo}: {statistics.fmean(table[-1]):.4f}", flush=True)
    order = list(range(len(topics)))
    held_out = []
    for shuffle in range(3):
        random.Random(shuffle).shuffle(order)
        for fold in range(args.folds):
            test = order[fold :: args.folds]
            train = [i for i in order if i not in test]
            best = max(range(len(combos)), key=lambda c: statistics.fmean(table[c][i] for i in train))
            held_out.append(statistics.fmean(table[best][i] for i in test))
    best_all = max(range(len(combos)), key=lambda c: statistics.fmean(table[c]))
    print(f"best on all topics: {combos[best_all]} {statistics.fmean(table[best_all]):.4f}")
    print(
        f"nested CV held-out ROUGE-2: {statistics.fmean(held_out):.4f} "
        f"(folds {min(held_out):.4f}..{max(held_out):.4f})"
    )


if __name__ == "__main__":
    main()
