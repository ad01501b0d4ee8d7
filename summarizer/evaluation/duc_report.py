"""The query-focused evaluation run end to end (`briefbot eval` on topics): our briefs in
each setting and the baselines (`duc`), NIST's submitted summaries for reference, one
ROUGE-1.5.5 run over all of them (`rouge155`), and the table.

When NIST's submitted summaries sit next to the data (`<name>_peers.jsonl` beside
`<name>_topics.jsonl` or `<name>.jsonl`), NIST's baseline (peer 1), the best participant
and the humans are scored in the same run on the same topics; `<name>_official.json`
gives NIST's own figures over all topics for the notes. Without it (the DUC 2007 update
file) every participant is scored and the best one on these topics is shown.

On the update format only the update sets (B, C) are briefed, on stores holding the earlier
sets too (`duc.run_update_briefs`): the update brief (`new_since`), the plain brief and the
plain brief on the new articles only (`since`), side by side; their own-set share is the
share of cited articles from the new set.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.config import Settings
from summarizer.evaluation import baselines
from summarizer.evaluation.duc import (
    SETTINGS,
    WINDOWS,
    SystemRun,
    Variant,
    check_choices,
    load_tasks,
    pooled_articles,
    run_baseline,
    run_briefs,
    run_update_briefs,
)
from summarizer.evaluation.rouge155 import NIST_RESAMPLES, Interval, SystemRouge, score
from summarizer.evaluation.topics import WORDS, detect_format
from summarizer.summaries import get_summarizer


@dataclass
class Row:
    """One line of the report table."""

    system: str
    rouge: SystemRouge | None
    median_ms: float | None
    own_share: float | None = None
    off_topic_briefs: int | None = None
    summaries: int = 0
    note: str = ""


@dataclass
class TopicReport:
    """Everything one topic evaluation measured."""

    data: str
    tasks: int
    words: int
    query: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _sibling(path: Path, suffix: str) -> Path | None:
    """`<name>_peers.jsonl` (or `_official.json`) beside `<name>_topics.jsonl` or `<name>.jsonl`."""
    for stem in dict.fromkeys((path.stem.removesuffix("_topics"), path.stem)):
        sibling = path.with_name(stem + suffix)
        if sibling.is_file():
            return sibling
    return None


def reference_peers(
    path: Path, task_ids: set[str], authors: set[str]
) -> tuple[dict[str, dict[str, str]], dict]:
    """NIST's submitted summaries for `task_ids` (peer -> topic -> text) and its official figures."""
    peers_file, official_file = _sibling(path, "_peers.jsonl"), _sibling(path, "_official.json")
    if peers_file is None:
        return {}, {}
    official = json.loads(official_file.read_text(encoding="utf-8")) if official_file else {}
    participants = {p: v[0] for p, v in official.get("R2", {}).items() if p.isdigit() and p != "1"}
    best = max(participants, key=lambda p: participants[p]) if participants else None
    wanted = {"1", *([best] if best else []), *authors}
    peers: dict[str, dict[str, str]] = {}
    with peers_file.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            every_participant = not participants and str(row.get("peer")).isdigit()
            if row.get("topic") in task_ids and (row.get("peer") in wanted or every_participant):
                peers.setdefault(row["peer"], {})[row["topic"]] = row["text"]
    return peers, official | {"best": best}


# How each way of briefing an update task is named in the report.
UPDATE_LABELS = {"update": "update (--new-since)", "plain": "plain", "since": "new only (--since)"}


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def run_topic_eval(
    path: str | Path,
    *,
    settings: Settings,
    modes: Sequence[str] = ("extractive",),
    baseline_names: Sequence[str] = baselines.TOPIC_BASELINES,
    settings_to_run: Sequence[str] = SETTINGS,
    query: str = "both",
    words: int | None = None,
    limit: int | None = None,
    resamples: int = NIST_RESAMPLES,
    output: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> TopicReport:
    """Brief every topic of `path` (DUC format) in each mode and setting, run the baselines,
    score everything in one ROUGE-1.5.5 run (NIST's settings, jackknifed) and report.
    `words` defaults to NIST's length for the format (250; update sets 100); `limit` takes
    the first topics (an update topic's sets count as one).

    `output` (JSON lines, like NIST's peers file) receives {"peer", "topic", "text"} for
    every summary, so anyone can score it again, and "cited" (article ids) for our briefs.
    """
    source = Path(path)
    say = progress or (lambda line: None)
    check_choices(modes, settings_to_run, query, baseline_names)
    kind = detect_format(source)
    words = words or WORDS[kind]
    tasks, every = load_tasks(source, query, words, limit)
    if kind == "update":
        tasks = [task for task in tasks if task.known]  # the updates: B and C
    prefix = source.stem.removesuffix("_topics") or "eval"
    say(f"{source.name}: {len(tasks)} topics, {sum(len(t.articles) for t in tasks)} articles")
    runs: list[SystemRun] = []
    if kind == "update":
        variants = [
            Variant(f"briefbot {mode} {UPDATE_LABELS[window]}", mode, settings, window)
            for mode in modes
            for window in WINDOWS
        ]
    else:
        variants = [Variant(f"briefbot {mode}", mode, settings) for mode in modes]
    for mode in modes:
        get_summarizer(mode, settings).prepare()  # load a model outside the clock
    with tempfile.TemporaryDirectory(prefix="briefbot-eval-") as work:
        for setting in settings_to_run:
            pool = pooled_articles(every) if setting == "pooled" else []
            say(
                f"briefs, {setting}: {', '.join(modes)}" + (f" ({len(pool)} articles pooled)" if pool else "")
            )
            if kind == "update":
                runs.extend(
                    run_update_briefs(
                        tasks, every, variants=variants, setting=setting, prefix=prefix, workdir=Path(work)
                    )
                )
                continue
            runs.extend(
                run_briefs(tasks, pool, variants=variants, setting=setting, prefix=prefix, workdir=Path(work))
            )
    for name in baseline_names:
        say(f"baseline: {name}")
        runs.append(run_baseline(name, tasks))
    authors = {author for task in tasks for author in task.references}
    peers, official = reference_peers(source, {t.id for t in tasks}, authors)
    if output:
        _write_summaries(Path(output), runs)
    say(f"ROUGE-1.5.5 over {len(runs) + len(peers)} systems ({resamples} bootstrap samples)")
    by_id = {f"sys{i}": run for i, run in enumerate(runs, start=1)}  # ROUGE-safe names
    summaries = {sid: run.summaries for sid, run in by_id.items() if run.summaries}
    summaries.update({f"nist{p}" if p.isdigit() else p: texts for p, texts in peers.items()})
    references = {task.id: task.references for task in tasks}
    scores = score(summaries, references, words=words, resamples=resamples) if summaries else {}
    report = TopicReport(str(source), len(tasks), words, query)
    for sid, run in by_id.items():
        share = run.cited_own / run.cited if run.briefs and run.cited else None
        note = f"{len(run.empty)} without a summary, scored 0" if run.empty else ""
        report.rows.append(
            Row(
                run.system,
                scores.get(sid),
                _median(run.ms),
                share,
                run.off_topic_briefs if run.briefs else None,
                len(run.summaries),
                note,
            )
        )
        for empty in run.empty[:3]:
            report.notes.append(f"{run.system}: {empty}")
    _reference_rows(report, scores, peers, official, len(tasks))
    if kind == "update":
        report.notes.append(
            "update sets only (B, C), on stores holding the earlier sets too; own-set share: cited "
            "articles from the set being updated"
        )
    return report


def _reference_rows(
    report: TopicReport, scores: dict[str, SystemRouge], peers: dict, official: dict, tasks: int
) -> None:
    if "1" in peers:
        report.rows.append(
            Row("NIST baseline (peer 1)", scores.get("nist1"), None, summaries=len(peers["1"]))
        )
    best = official.get("best")
    label = "best participant"
    if not official.get("R2"):  # no official figures: the best participant on these topics
        scored = [p for p in peers if p.isdigit() and p != "1" and f"nist{p}" in scores]
        best = max(scored, key=lambda p: scores[f"nist{p}"].rouge2.mean, default=None)
        label = f"best of {len(scored)} participants on these topics"
    if best and best in peers:
        report.rows.append(
            Row(f"{label} (peer {best})", scores.get(f"nist{best}"), None, summaries=len(peers[best]))
        )
    humans = [scores[p] for p in peers if not p.isdigit() and p in scores]
    if humans:

        def mean(metric: str) -> float:
            return statistics.mean(getattr(h, metric).mean for h in humans)

        nan = float("nan")
        combined = SystemRouge(
            "humans",
            rouge1=Interval(mean("rouge1"), nan, nan),
            rouge2=Interval(mean("rouge2"), nan, nan),
            su4=Interval(mean("su4"), nan, nan),
            topics=tasks,
        )
        report.rows.append(
            Row(
                f"humans (mean of {len(humans)})",
                combined,
                None,
                summaries=sum(len(peers[h.system]) for h in humans),
            )
        )
    if official.get("R2"):
        figures = [("1", "NIST baseline")] + ([(best, "best participant")] if best else [])
        parts = [f"{label} {official['R2'][p][0]:.4f} / {official['SU4'][p][0]:.4f}" for p, label in figures]
        humans_r2 = [v[0] for p, v in official["R2"].items() if not p.isdigit()]
        humans_su4 = [v[0] for p, v in official["SU4"].items() if not p.isdigit()]
        if humans_r2:
            parts.append(f"humans' mean {statistics.mean(humans_r2):.4f} / {statistics.mean(humans_su4):.4f}")
        report.notes.append("NIST's official ROUGE-2 / SU4 over all topics: " + "; ".join(parts))


def _write_summaries(path: Path, runs: Sequence[SystemRun]) -> None:
    with path.open("w", encoding="utf-8") as sink:
        for run in runs:
            for topic, text in run.summaries.items():
                line: dict[str, object] = {"peer": run.system, "topic": topic, "text": text}
                if run.briefs:
                    line["cited"] = run.cited_ids.get(topic, [])
                sink.write(json.dumps(line) + "\n")


def _cell(value, digits: int = 4) -> str:
    if value is None:
        return "—"
    if value.low != value.low:  # NaN: no interval
        return f"{value.mean:.{digits}f}"
    return f"{value.mean:.{digits}f} ({value.low:.{digits}f}–{value.high:.{digits}f})"


def format_topic_report(report: TopicReport) -> str:
    """The report as a Markdown table with its notes."""
    lines = [
        (
            f"{report.data}: {report.tasks} topics, {report.words} words, topic given as: {report.query}; "
            "ROUGE-1.5.5 recall, jackknifed, NIST's settings, 95% bootstrap intervals"
        ),
        "",
        "| system | ROUGE-1 | ROUGE-2 | SU4 | median ms/brief | own-set share | briefs citing another set |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in report.rows:
        rouge = row.rouge
        ms = "—" if row.median_ms is None else f"{row.median_ms:.1f}"
        share = "—" if row.own_share is None else f"{100 * row.own_share:.1f}%"
        off = "—" if row.off_topic_briefs is None else f"{row.off_topic_briefs}/{row.summaries}"
        cells = [_cell(rouge.rouge1), _cell(rouge.rouge2), _cell(rouge.su4)] if rouge else ["—"] * 3
        name = row.system + (f" ({row.note})" if row.note else "")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {ms} | {share} | {off} |")
    lines.append("")
    lines.append("Baselines' times exclude sentence splitting (done once for all); briefs' include search.")
    lines.extend(f"Note: {note}." for note in report.notes)
    return "\n".join(lines)
