"""Update summaries on the DUC 2007 update task (dev topics) with a fast ROUGE-2.

    python bench/duc_update_tune.py ../shared/data/duc/duc2007_update_dev.jsonl [--set known_weight=0.2]

For each topic, the summary of set B is for a reader who has read A, of C for one who has
read A and B (100 words; ROUGE-2 recall jackknifed over the 4 references, in Python as in
bench/duc_tune.py). Systems, side by side: the plain brief over every set so far ("all"),
the plain brief over the new set only ("new only", what --since does) and the update
(new set, earlier sets known). Only 3 topics: a sanity check, not a tuning set; reported
figures come from `briefbot eval` with ROUGE-1.5.5.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from duc_tune import bigrams, rouge2_jackknife  # noqa: E402

from summarizer.sentences import split_sentences  # noqa: E402
from summarizer.summaries import Budget, Passage, focused  # noqa: E402

WORDS = 100


def passages(docs: list[dict], start: int = 0) -> list[Passage]:
    ordered = sorted(docs, key=lambda d: d.get("date") or "")
    return [
        Passage(start + i, d.get("headline") or "", tuple(split_sentences(d["text"])))
        for i, d in enumerate(ordered)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data")
    parser.add_argument("--set", action="append", default=[], help="param=value")
    args = parser.parse_args()
    params = replace(
        focused.DEFAULT,
        **{k: type(getattr(focused.DEFAULT, k))(v) for k, v in (s.split("=") for s in args.set)},
    )
    scores: dict[str, list[float]] = {"all": [], "new only": [], "update": []}
    budget = Budget(sentences=100, words=WORDS)
    for line in open(args.data, encoding="utf-8"):
        topic = json.loads(line)
        query = f"{topic['title']}. {topic.get('narrative') or ''}"
        earlier: list[dict] = []
        for name in ("A", "B", "C"):
            docs = topic["sets"][name]["docs"]
            models = [bigrams(m["text"]) for m in topic["sets"][name]["models"]]
            if earlier:
                old, new = passages(earlier), passages(docs, len(earlier))
                runs = {
                    "all": focused.select(old + new, budget, query, params=params),
                    "new only": focused.select(new, budget, query, params=params),
                    "update": focused.select(new, budget, query, params=params, known=old),
                }
                for system, picked in runs.items():
                    scores[system].append(rouge2_jackknife(" ".join(p.text for p in picked), models, WORDS))
            earlier += docs
    for system, values in scores.items():
        print(f"{system:10} ROUGE-2 {statistics.fmean(values):.4f}  ({len(values)} summaries)")


if __name__ == "__main__":
    main()
