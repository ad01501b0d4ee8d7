"""Compare data-free English sentence splitters on real news text (pysbd, sentencex, syntok, blingfire).

Run: `PYTHONPATH=. python bench/sentence_splitters.py [--data ../shared/data] [--limit 600]`

Each splitter runs per paragraph (text split on newlines first, as `split_sentences` does),
raw and with the light "said.The" pre-fix of `summarizer.sentences`. Figures:

* **bbc agree**: share of BBC articles whose extractive reference summary (article sentences
  glued together without spaces) can be rebuilt exactly from the splitter's sentences, i.e.
  the splitter's boundaries agree with the reference sentence boundaries;
* **glued ok**: share of those summaries (the "said.The" text itself) split into exactly the
  reference sentences;
* **lower-start**, **title-abbr**, **decimal**, **stray**: false splits over CNN/DailyMail
  and BBC texts: sentences starting lower-case (a split inside a quote or after "U.S."),
  splits after a title (Mr. Dr. Mrs. St. Gen. ...), inside a decimal number, and fragments of
  2 characters or fewer (stray quote marks);
* **ms/article**: mean time to split one article (one core shared with others: indicative).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import blingfire
import pysbd
import sentencex
from syntok import segmenter

from summarizer.sentences import fix_glued_stops

Splitter = Callable[[str], list[str]]

_PYSBD = pysbd.Segmenter(language="en", clean=False)
_TITLE_END = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|Gen|Sen|Rep|Gov|Lt|Col|Capt|Sgt|Rev|Jr|Sr|vs|Mt|Ft)\.$")
_DECIMAL_END = re.compile(r"\d\.$")


def _syntok(text: str) -> list[str]:
    return [
        "".join(token.spacing + token.value for token in sentence).strip()
        for paragraph in segmenter.process(text)
        for sentence in paragraph
    ]


SPLITTERS: dict[str, Splitter] = {
    "pysbd": lambda text: [s.strip() for s in _PYSBD.segment(text)],
    "sentencex": lambda text: [s.strip() for s in sentencex.segment("en", text)],
    "syntok": _syntok,
    "blingfire": lambda text: blingfire.text_to_sentences(text).split("\n"),
}


def split(splitter: Splitter, text: str, prefix: bool) -> list[str]:
    """Split paragraph by paragraph; optionally apply the glued-stop pre-fix first."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            line = fix_glued_stops(line) if prefix else line
            sentences.extend(s for s in (x.strip() for x in splitter(line)) if s)
    return sentences


def _fewest_pieces(summary: str, candidates: Iterable[str]) -> list[str] | None:
    """Rebuild `summary` by concatenating candidate sentences (fewest pieces), or None."""
    pool = {c for c in candidates if c}
    by_start: dict[str, list[str]] = {}
    for c in pool:
        by_start.setdefault(c[:8], []).append(c)
    best: dict[int, list[str]] = {0: []}
    for pos in range(len(summary) + 1):
        if pos not in best:
            continue
        start = pos
        while start < len(summary) and summary[start].isspace():
            start += 1
        if start == len(summary):
            path = best[pos]
            best[len(summary)] = path if len(summary) not in best else min(best[len(summary)], path, key=len)
            continue
        for c in by_start.get(summary[start : start + 8], []):
            if summary.startswith(c, start):
                end, path = start + len(c), best[pos] + [c]
                if end not in best or len(path) < len(best[end]):
                    best[end] = path
    return best.get(len(summary))


def _errors(sentences: list[str]) -> dict[str, int]:
    counts = {"lower-start": 0, "title-abbr": 0, "decimal": 0, "stray": 0}
    for before, after in zip(sentences, sentences[1:], strict=False):
        counts["lower-start"] += after[:1].islower()
        counts["title-abbr"] += bool(_TITLE_END.search(before))
        counts["decimal"] += bool(_DECIMAL_END.search(before)) and after[:1].isdigit()
    counts["stray"] = sum(len(s) <= 2 for s in sentences)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--limit", type=int, default=600, help="BBC articles to use")
    args = parser.parse_args()
    data = Path(args.data)
    bbc = [json.loads(line) for line in (data / "bbc_news.jsonl").open()][: args.limit]
    cnn = [json.loads(line) for line in (data / "cnndm_dev.jsonl").open()]
    texts = [row["text"] for row in cnn + bbc]

    # Reference sentences of each BBC summary: the fewest pieces over every splitter's output.
    union = [
        {
            s
            for name in SPLITTERS
            for prefix in (False, True)
            for s in split(SPLITTERS[name], row["text"], prefix)
        }
        for row in bbc
    ]
    gold = [_fewest_pieces(row["summary"].strip(), pool) for row, pool in zip(bbc, union, strict=True)]
    usable = [(row, g) for row, g in zip(bbc, gold, strict=True) if g]

    header = (
        f"{'splitter':<22}{'bbc agree':>10}{'glued ok':>10}{'lower-start':>12}"
        f"{'title-abbr':>11}{'decimal':>8}{'stray':>7}{'ms/article':>11}"
    )
    print(
        f"{len(texts)} articles ({len(cnn)} CNN/DM, {len(bbc)} BBC); "
        f"{len(usable)} BBC summaries with reference boundaries"
    )
    print(header)
    for name, splitter in SPLITTERS.items():
        for prefix in (False, True):
            started = time.perf_counter()
            outputs = [split(splitter, text, prefix) for text in texts]
            elapsed = (time.perf_counter() - started) * 1000 / len(texts)
            errors = {"lower-start": 0, "title-abbr": 0, "decimal": 0, "stray": 0}
            for sentences in outputs:
                for key, value in _errors(sentences).items():
                    errors[key] += value
            agree = sum(
                _fewest_pieces(row["summary"].strip(), split(splitter, row["text"], prefix)) is not None
                for row, _ in usable
            )
            glued = sum(split(splitter, row["summary"].strip(), prefix) == g for row, g in usable)
            label = name + (" +prefix" if prefix else "")
            print(
                f"{label:<22}{agree / len(usable):>10.1%}{glued / len(usable):>10.1%}"
                f"{errors['lower-start']:>12}{errors['title-abbr']:>11}{errors['decimal']:>8}"
                f"{errors['stray']:>7}{elapsed:>11.2f}"
            )


if __name__ == "__main__":
    main()
