"""The evaluation harness: our modes and standard baselines side by side on one data set.

Data: JSON lines with `id`, `text`, `summary` (reference; sentences on lines or run on)
and optionally `title`. For each system it reports ROUGE-1, ROUGE-2 and ROUGE-Lsum F1
(`rouge-score`, stemming on, Lsum over newline-split sentences) and the median
milliseconds per article.

Every system gets the same sentences: each text is split once by
`summarizer.sentences.split_sentences` (that time is reported apart, as `split_ms`) and
the clock runs over the summarizing only. Lead-3 is the first three of those sentences.
LexRank and TextRank are sumy's, handed our sentences (`baselines.sumy_baseline`).

sumy, nltk and rouge-score are the optional "eval" extras: imported here, when needed.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.config import Settings
from summarizer.errors import BriefbotError, QueryError
from summarizer.evaluation.baselines import BaselineError, sumy_baseline
from summarizer.sentences import split_sentences
from summarizer.summaries import MODES, Budget, Passage, get_summarizer

BASELINES = ("lead3", "lexrank", "textrank")
SUMY_NOTE = (
    "sumy cannot split sentences offline (NLTK punkt data is absent): LexRank and TextRank "
    "get our splitter's sentences"
)


class EvalError(BriefbotError):
    """The evaluation cannot run (bad data file, unknown system, missing eval extras)."""


@dataclass
class Item:
    """One article to summarize and its reference summary."""

    id: str
    title: str
    sentences: tuple[str, ...]
    reference: str  # reference sentences, one a line


@dataclass
class SystemScore:
    """One system's figures over the data set (ROUGE F1 in percent)."""

    system: str
    rouge1: float
    rouge2: float
    rougeLsum: float
    median_ms: float
    articles: int


@dataclass
class EvalReport:
    """Everything one evaluation run measured."""

    data: str
    articles: int
    sentences: int
    split_ms: float  # median time to split one article (shared by all systems, not counted)
    scores: list[SystemScore] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load_items(path: str | Path, limit: int | None = None) -> tuple[list[Item], float]:
    """The data set's articles, split into sentences, and the median split time (ms)."""
    source = Path(path)
    if not source.is_file():
        raise EvalError(f"no data file at {source}")
    items: list[Item] = []
    times: list[float] = []
    with source.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if limit is not None and len(items) >= limit:
                break
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, summary = row["text"], row["summary"]
                ident = str(row.get("id", number))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise EvalError(
                    f"{source}:{number} is not a JSON object with 'text' and 'summary' ({exc})"
                ) from exc
            started = time.perf_counter()
            sentences = tuple(split_sentences(text))
            times.append((time.perf_counter() - started) * 1000)
            reference = "\n".join(split_sentences(summary))
            items.append(Item(ident, row.get("title") or "", sentences, reference))
    if not items:
        raise EvalError(f"{source} holds no articles")
    return items, statistics.median(times)


def system_function(name: str, settings: Settings) -> Callable[[Item, int], list[str]]:
    """The summarizing function of system `name`: (item, sentences) -> summary sentences."""
    if name == "lead3":
        return lambda item, count: list(item.sentences[:count])
    if name in ("lexrank", "textrank"):
        try:
            baseline = sumy_baseline(name)
        except BaselineError as exc:
            raise EvalError(str(exc)) from exc
        return lambda item, count: baseline(item.sentences, count)
    if name in MODES:
        summarizer = get_summarizer(name, settings)

        def run(item: Item, count: int) -> list[str]:
            picked = summarizer.summarize([Passage(0, item.title, item.sentences)], Budget(count))
            return [p.text for p in picked]

        return run
    raise QueryError(f"unknown system {name!r}: choose from {', '.join((*MODES, *BASELINES))}")


def rouge(pairs: Sequence[tuple[str, str]]) -> tuple[float, float, float]:
    """Mean ROUGE-1, ROUGE-2 and ROUGE-Lsum F1 (percent) over (reference, summary) pairs."""
    try:
        from rouge_score import rouge_scorer
    except ImportError as exc:
        raise EvalError(f"scoring needs the eval extras: pip install 'briefbot[eval]' ({exc})") from exc
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    totals = [0.0, 0.0, 0.0]
    for reference, summary in pairs:
        scores = scorer.score(reference, summary)
        for i, key in enumerate(("rouge1", "rouge2", "rougeLsum")):
            totals[i] += scores[key].fmeasure
    rouge1, rouge2, rouge_lsum = (round(100 * t / len(pairs), 2) for t in totals)
    return rouge1, rouge2, rouge_lsum


def run_eval(
    path: str | Path,
    *,
    settings: Settings,
    systems: Sequence[str] = ("lead3", "lexrank", "textrank", "extractive", "semantic"),
    sentences: int = 3,
    output: str | Path | None = None,
    limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> EvalReport:
    """Summarize every article of `path` with every system; score and time them.

    `output` (JSON lines) receives one line per article and system: {"id", "system",
    "summary"}, the summary's sentences joined by newlines, so anyone can score it again.
    """
    if sentences < 1:
        raise QueryError("--sentences must be at least 1")
    functions = {name: system_function(name, settings) for name in systems}
    items, split_ms = load_items(path, limit)
    report = EvalReport(str(path), len(items), sentences, round(split_ms, 2))
    if any(name in ("lexrank", "textrank") for name in systems):
        report.notes.append(SUMY_NOTE)
    sink = Path(output).open("w", encoding="utf-8") if output else None
    try:
        for name, function in functions.items():
            if progress:
                progress(f"{name}: {len(items)} articles")
            pairs, times = [], []
            for item in items:
                started = time.perf_counter()
                summary = "\n".join(function(item, sentences))
                times.append((time.perf_counter() - started) * 1000)
                pairs.append((item.reference, summary))
                if sink:
                    sink.write(json.dumps({"id": item.id, "system": name, "summary": summary}) + "\n")
            r1, r2, rl = rouge(pairs)
            report.scores.append(
                SystemScore(name, r1, r2, rl, round(statistics.median(times), 3), len(items))
            )
    finally:
        if sink:
            sink.close()
    return report


def format_report(report: EvalReport) -> str:
    """The report as a Markdown table with its notes."""
    lines = [
        f"{report.data}: {report.articles} articles, {report.sentences} sentences per summary",
        "",
        "| system | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | median ms/article |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in report.scores:
        lines.append(
            f"| {s.system} | {s.rouge1:.2f} | {s.rouge2:.2f} | {s.rougeLsum:.2f} | {s.median_ms:.3f} |"
        )
    lines.append("")
    lines.append(
        f"Sentence splitting (shared by all systems, outside the timings): "
        f"median {report.split_ms:.2f} ms/article."
    )
    lines.extend(f"Note: {note}." for note in report.notes)
    return "\n".join(lines)
