"""Validate our ROUGE-1.5.5 scorer against NIST: re-score every DUC 2006 peer.

Reads the submitted summaries (`duc2006_peers.jsonl`: NIST's baseline 1, participants
2-35, humans A-J), scores them with `summarizer.evaluation.rouge155.score` (NIST's
settings, jackknifed, 1,000 bootstrap samples) against the topics' references, and prints
a Markdown table of our ROUGE-1/2/SU4 recall next to NIST's official figures
(`duc2006_official.json`) with the largest differences. Exit status 1 if any peer's
ROUGE-2 differs by more than 0.0005.

Usage (repository root, eval extras and libxml-dom-perl installed):
    python bench/rouge_nist_peers.py ../shared/data/duc
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from summarizer.evaluation.rouge155 import references_of, score
from summarizer.evaluation.topics import load_topics

TOLERANCE = 0.0005


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("duc_dir", type=Path)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    topics = load_topics(args.duc_dir / "duc2006_topics.jsonl")
    official = json.loads((args.duc_dir / "duc2006_official.json").read_text())
    summaries: dict[str, dict[str, str]] = {}
    with (args.duc_dir / "duc2006_peers.jsonl").open() as lines:
        for line in lines:
            row = json.loads(line)
            summaries.setdefault(row["peer"], {})[row["topic"]] = row["text"]
    started = time.perf_counter()
    ours = score(summaries, references_of(topics), words=250, resamples=args.resamples)
    seconds = time.perf_counter() - started
    key = {"R1": "rouge1", "R2": "rouge2", "SU4": "su4"}
    worst = {name: 0.0 for name in key}
    worst_exact = 0.0
    print(
        "| peer | ROUGE-1 ours / NIST | ROUGE-2 ours / NIST | SU4 ours / NIST | ROUGE-2 95% CI ours / NIST |"
    )
    print("|---|---:|---:|---:|---:|")
    order = sorted(ours, key=lambda p: (not p.isdigit(), int(p) if p.isdigit() else 0, p))
    for peer in order:
        cells = []
        for name, attr in key.items():
            mine, theirs = getattr(ours[peer], attr).mean, official[name][peer][0]
            worst[name] = max(worst[name], abs(mine - theirs))
            cells.append(f"{mine:.5f} / {theirs:.5f}")
        worst_exact = max(worst_exact, abs(ours[peer].exact_means["rouge2"] - official["R2"][peer][0]))
        ci, nist = ours[peer].rouge2, official["R2"][peer]
        cells.append(f"{ci.low:.5f}–{ci.high:.5f} / {nist[1]:.5f}–{nist[2]:.5f}")
        print(f"| {peer} | " + " | ".join(cells) + " |")
    print()
    print(
        f"{len(ours)} peers in {seconds:.0f} s; largest difference: "
        + ", ".join(f"{name} {value:.5f}" for name, value in worst.items())
        + f" (ROUGE-2 as the exact mean of the evaluations, not ROUGE's bootstrap mean: {worst_exact:.5f})"
    )
    missing = set(official["R2"]) - set(ours)
    if missing:
        print(f"not scored: {sorted(missing)}")
    return 0 if worst["R2"] <= TOLERANCE and not missing else 1


if __name__ == "__main__":
    raise SystemExit(main())
