"""How much real article text clean_text keeps (it should drop boilerplate, not prose).

Run: `PYTHONPATH=. python bench/clean_keep_ratio.py [--data ../shared/data]`

Prints, per corpus, the fraction of words kept over all articles, the articles that lose the
most, and the most frequent whole lines removed (to check they are junk, not prose).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from summarizer.sources.clean import clean_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--show", type=int, default=15, help="lines/articles to list")
    args = parser.parse_args()
    removed: Counter[str] = Counter()
    worst: list[tuple[float, str]] = []
    total_in = total_out = 0
    for name in ("cnndm_dev", "bbc_news"):
        words_in = words_out = 0
        for line in (Path(args.data) / f"{name}.jsonl").open():
            row = json.loads(line)
            cleaned = clean_text(row["text"])
            before, after = len(row["text"].split()), len(cleaned.split())
            words_in, words_out = words_in + before, words_out + after
            worst.append((after / max(before, 1), row["id"]))
            kept_lines = set(cleaned.split("\n"))
            removed.update(
                raw.strip()
                for raw in row["text"].splitlines()
                if raw.strip() and " ".join(raw.split()) not in kept_lines and len(raw.split()) < 40
            )
        print(f"{name}: {words_out / words_in:.2%} of {words_in} words kept")
        total_in, total_out = total_in + words_in, total_out + words_out
    print(f"all: {total_out / total_in:.2%} of {total_in} words kept")
    print("articles losing most:", ", ".join(f"{i} {r:.0%}" for r, i in sorted(worst)[: args.show]))
    print("most frequent removed short lines:")
    for text, count in removed.most_common(args.show):
        print(f"  {count:>3}  {text[:100]}")


if __name__ == "__main__":
    main()
