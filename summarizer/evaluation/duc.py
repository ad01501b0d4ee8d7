"""Query-focused multi-document evaluation, as DUC ran it: our briefs and baselines per topic,
scored together by ROUGE-1.5.5 at NIST's settings (`rouge155`).

Our briefs go through the engine as a user's would: every article is cleaned and stored
(`Document` -> `ingest_document`, url `<data set>/<doc id>`, headline, date) in a real
SQLite store, then `briefs.brief.brief` answers the topic. Two settings:

- cluster: per topic, a fresh store holding only that topic's articles;
- pooled: one store holding every topic's articles (all of the file's topics, also with
  --limit); retrieval must find the topic's own. Reported: the share of cited articles
  that are from the topic's own set, and how many briefs cite any other.

Baselines get the same cleaned, split sentences (splitting is outside their clock): NIST's
lead baseline, LexRank and tf-idf + MMR (`baselines`). When NIST's submitted summaries sit
next to the data (`<name>_peers.jsonl` beside `<name>_topics.jsonl`), NIST's baseline
(peer 1), the best participant and the humans are scored in the same run on the same
topics; `<name>_official.json` gives NIST's own figures over all topics for the notes.

The runner works on `Task`s (a query, its articles, its references, a word limit): the
DUC 2007 update format's sets A, B, C are read as tasks of their own (100 words), each
briefed from its own articles; briefs that know what the reader has already read are for a
later issue.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from summarizer.briefs.brief import brief
from summarizer.config import Settings
from summarizer.errors import BriefbotError, QueryError
from summarizer.evaluation import baselines
from summarizer.evaluation.rouge155 import NIST_RESAMPLES, Interval, SystemRouge, score
from summarizer.evaluation.topics import (
    WORDS,
    DataError,
    Topic,
    detect_format,
    load_topics,
)
from summarizer.models import Brief, Document, Outcome
from summarizer.sentences import split_sentences
from summarizer.sources.clean import clean_text
from summarizer.sources.ingest import ingest_document
from summarizer.store import Store
from summarizer.summaries import MODES, get_summarizer

SETTINGS = ("cluster", "pooled")
TOPIC_PARTS = ("title", "narrative", "both")
ARTICLES = 25  # stories a brief may draw from: a DUC topic's whole set
CHARS_PER_WORD = 7  # English news: about 6 characters a word with its space; a little over


def brief_length(words: int) -> dict:
    """brief()'s length arguments for a summary of `words` words.

    brief() has no word budget yet (issue 7 adds `words=`); until then it gets a character
    budget a little over `words` words and the summary is cut at `words` words here.
    """
    return {"sentences": 1000, "max_chars": words * CHARS_PER_WORD}


@dataclass(frozen=True)
class Article:
    """One evaluation article, cleaned as ingestion cleans it and split once."""

    id: str
    title: str
    text: str
    published: datetime | None
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Task:
    """One summary to write: a query over articles, judged against references."""

    id: str
    query: str
    articles: tuple[Article, ...]
    references: dict[str, str]
    words: int


@dataclass
class SystemRun:
    """What one system produced over the tasks."""

    system: str
    summaries: dict[str, str] = field(default_factory=dict)
    cited_ids: dict[str, list[str]] = field(default_factory=dict)  # task -> cited article ids
    ms: list[float] = field(default_factory=list)
    cited: int = 0  # articles cited (our briefs)
    cited_own: int = 0  # of which from the task's own set
    off_topic_briefs: int = 0  # briefs citing at least one article from another set
    empty: list[str] = field(default_factory=list)  # tasks without a summary (and why)
    briefs: bool = False  # a brief of ours (cites articles), not a baseline


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


def prepare_article(doc) -> Article | None:
    """A topic's doc cleaned like an ingested article and split; None when no text is left."""
    text = clean_text(doc.text or "")
    if not text.strip():
        return None
    title = doc.headline.strip() or text.split("\n", 1)[0][:120]
    return Article(doc.id, title, text, doc.published, tuple(split_sentences(text)))


def topic_tasks(topics: Sequence[Topic], query: str, words: int) -> list[Task]:
    """One task per topic: its statement (`query`: title, narrative or both), articles, models."""
    tasks = []
    for topic in topics:
        articles = tuple(a for a in (prepare_article(doc) for doc in topic.docs) if a is not None)
        if not articles:
            raise DataError(f"topic {topic.id}: no article has any text")
        tasks.append(Task(topic.id, topic.statement(query), articles, dict(topic.models), words))
    return tasks


def _ingest(store: Store, articles: Iterable[Article], prefix: str, ids: dict[int, list[str]]) -> None:
    """Store `articles`; `ids` maps each stored article to its doc ids (the store keeps one
    article for docs with the same text)."""
    for article in articles:
        doc = Document(
            url=f"{prefix}/{article.id}", title=article.title, text=article.text,
            source=prefix, published_at=article.published,
        )
        result = ingest_document(store, doc)
        if result.outcome is Outcome.FAILED or result.article_id is None:
            raise DataError(f"article {article.id} could not be stored: {result.reason}")
        ids.setdefault(result.article_id, []).append(article.id)


def summary_text(sentences: Iterable[str], words: int) -> str:
    """Sentences one a line, cut at `words` words (what ROUGE's -l keeps)."""
    lines, used = [], 0
    for sentence in sentences:
        tokens = sentence.split()
        if not tokens:
            continue
        if used + len(tokens) >= words:
            lines.append(" ".join(tokens[: words - used]))
            break
        lines.append(" ".join(tokens))
        used += len(tokens)
    return "\n".join(lines)


def _no_summary(run: SystemRun, task: Task, reason: str) -> None:
    """A task without a summary scores 0 (an empty summary), as a missing one did at DUC."""
    run.summaries[task.id] = ""
    run.empty.append(f"{task.id}: {reason}")


def _record_brief(run: SystemRun, task: Task, result: Brief, ids: dict[int, list[str]], ms: float) -> None:
    run.ms.append(ms)
    if result.empty:
        _no_summary(run, task, "nothing matched")
        return
    run.summaries[task.id] = summary_text((s.text for s in result.sentences), task.words)
    own = {a.id for a in task.articles}
    cited = {i for c in result.citations for i in c.article_ids}
    run.cited_ids[task.id] = sorted(ids.get(i, [f"#{i}"])[0] for i in cited)
    mine = sum(1 for i in cited if own.intersection(ids.get(i, ())))
    run.cited += len(cited)
    run.cited_own += mine
    run.off_topic_briefs += mine < len(cited)


@dataclass(frozen=True)
class Variant:
    """One way to brief: a name for the report, a mode and the settings it runs with."""

    name: str
    mode: str
    settings: Settings


def _run_briefs(
    store: Store, tasks: Sequence[Task], variants: Sequence[Variant], runs: dict[str, SystemRun],
    ids: dict[int, list[str]],
) -> None:
    for variant in variants:
        run = runs[variant.name]
        for task in tasks:
            started = time.perf_counter()
            try:
                result = brief(
                    store, task.query, settings=variant.settings, mode=variant.mode, articles=ARTICLES,
                    **brief_length(task.words),
                )
            except BriefbotError as exc:
                _no_summary(run, task, str(exc))
                continue
            _record_brief(run, task, result, ids, (time.perf_counter() - started) * 1000)


def run_briefs(
    tasks: Sequence[Task],
    pool: Sequence[Article],
    *,
    variants: Sequence[Variant],
    setting: str,
    prefix: str,
    workdir: Path,
) -> list[SystemRun]:
    """Every task briefed by every variant, in one setting: 'cluster' (a store per task) or
    'pooled' (one store with `pool`: every task's articles and more). Articles are stored
    once per store whatever the number of variants."""
    runs = {v.name: SystemRun(f"{v.name} ({setting})", briefs=True) for v in variants}
    if setting == "pooled":
        ids: dict[int, list[str]] = {}
        store = Store(workdir / "pooled.db")
        try:
            _ingest(store, pool, prefix, ids)
            _run_briefs(store, tasks, variants, runs, ids)
        finally:
            store.close()
        return list(runs.values())
    for task in tasks:
        ids = {}
        path = workdir / f"cluster-{task.id}.db"
        store = Store(path)
        try:
            _ingest(store, task.articles, prefix, ids)
            _run_briefs(store, [task], variants, runs, ids)
        finally:
            store.close()
            for leftover in workdir.glob(f"{path.name}*"):
                leftover.unlink()
    return list(runs.values())


def pooled_articles(tasks: Sequence[Task]) -> list[Article]:
    """Every article of `tasks` once (a doc in two topics' sets is stored once)."""
    pool: dict[str, Article] = {}
    for task in tasks:
        for article in task.articles:
            pool.setdefault(article.id, article)
    return list(pool.values())


def _check(modes: Iterable[str], settings_to_run: Iterable[str], query: str, baseline_names: Iterable[str] = ()) -> None:
    for mode in modes:
        if mode not in MODES:
            raise QueryError(f"unknown mode {mode!r}: choose from {', '.join(MODES)}")
    for setting in settings_to_run:
        if setting not in SETTINGS:
            raise QueryError(f"unknown setting {setting!r}: choose from {', '.join(SETTINGS)}")
    if query not in TOPIC_PARTS:
        raise QueryError(f"the topic must be given as one of {', '.join(TOPIC_PARTS)}, not {query!r}")
    for name in baseline_names:
        if name not in baselines.TOPIC_BASELINES:
            raise QueryError(f"unknown baseline {name!r}: choose from {', '.join(baselines.TOPIC_BASELINES)}")


def _tasks(source: Path, query: str, words: int, limit: int | None) -> tuple[list[Task], list[Task]]:
    """The tasks to brief (the first `limit` topics) and the tasks of every topic (the pool)."""
    every = topic_tasks(load_topics(source), query, words)
    return (topic_tasks(load_topics(source, limit), query, words) if limit else every), every


def brief_topics(
    path: str | Path,
    variants: Sequence[Variant],
    *,
    setting: str = "cluster",
    query: str = "both",
    words: int | None = None,
    limit: int | None = None,
) -> dict[str, SystemRun]:
    """Brief the topics of `path` with each variant (for tuning: the stores are built once
    for all variants). Returns {variant name: SystemRun} with `summaries` {topic: text}
    for `rouge155.jackknifed_means`, times and cited articles."""
    source = Path(path)
    _check((v.mode for v in variants), (setting,), query)
    words = words or WORDS[detect_format(source)]
    tasks, every = _tasks(source, query, words, limit)
    pool = pooled_articles(every) if setting == "pooled" else []
    for variant in variants:
        get_summarizer(variant.mode, variant.settings).prepare()
    with tempfile.TemporaryDirectory(prefix="briefbot-eval-") as work:
        runs = run_briefs(
            tasks, pool, variants=variants, setting=setting,
            prefix=source.stem.removesuffix("_topics") or "eval", workdir=Path(work),
        )
    return {variant.name: run for variant, run in zip(variants, runs)}


def baseline_function(name: str) -> Callable[[Task], list[str]]:
    """Baseline `name` as (task) -> summary sentences."""
    if name == "lead":
        return lambda task: baselines.nist_lead([(a.published, a.sentences) for a in task.articles], task.words)
    if name == "lexrank":
        lexrank = baselines.lexrank_words()
        return lambda task: lexrank([s for a in task.articles for s in a.sentences], task.words)
    if name == "tfidf-mmr":
        return lambda task: baselines.tfidf_mmr([s for a in task.articles for s in a.sentences], task.query, task.words)
    raise QueryError(f"unknown baseline {name!r}: choose from {', '.join(baselines.TOPIC_BASELINES)}")


def run_baseline(name: str, tasks: Sequence[Task]) -> SystemRun:
    """Baseline `name` on every task, timed (sentences are split beforehand)."""
    function = baseline_function(name)
    run = SystemRun(f"{name} baseline")
    for task in tasks:
        started = time.perf_counter()
        sentences = function(task)
        run.ms.append((time.perf_counter() - started) * 1000)
        run.summaries[task.id] = summary_text(sentences, task.words)
    return run


def _sibling(path: Path, suffix: str) -> Path | None:
    """`<name>_peers.jsonl` (or `_official.json`) beside `<name>_topics.jsonl` or `<name>.jsonl`."""
    for stem in dict.fromkeys((path.stem.removesuffix("_topics"), path.stem)):
        sibling = path.with_name(stem + suffix)
        if sibling.is_file():
            return sibling
    return None


def reference_peers(path: Path, task_ids: set[str], authors: set[str]) -> tuple[dict[str, dict[str, str]], dict]:
    """NIST's submitted summaries for `task_ids` (peer -> topic -> text) and its official figures."""
    peers_file, official_file = _sibling(path, "_peers.jsonl"), _sibling(path, "_official.json")
    if peers_file is None:
        return {}, {}
    official = json.loads(official_file.read_text(encoding="utf-8")) if official_file else {}
    participants = {p: v[0] for p, v in official.get("R2", {}).items() if p.isdigit() and p != "1"}
    best = max(participants, key=participants.get) if participants else None
    wanted = {"1", *([best] if best else []), *authors}
    peers: dict[str, dict[str, str]] = {}
    with peers_file.open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if row.get("topic") in task_ids and row.get("peer") in wanted:
                peers.setdefault(row["peer"], {})[row["topic"]] = row["text"]
    return peers, official | {"best": best}


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
    _check(modes, settings_to_run, query, baseline_names)
    words = words or WORDS[detect_format(source)]
    tasks, every = _tasks(source, query, words, limit)
    prefix = source.stem.removesuffix("_topics") or "eval"
    say(f"{source.name}: {len(tasks)} topics, {sum(len(t.articles) for t in tasks)} articles")
    runs: list[SystemRun] = []
    variants = [Variant(f"briefbot {mode}", mode, settings) for mode in modes]
    for mode in modes:
        get_summarizer(mode, settings).prepare()  # load a model outside the clock
    with tempfile.TemporaryDirectory(prefix="briefbot-eval-") as work:
        for setting in settings_to_run:
            pool = pooled_articles(every) if setting == "pooled" else []
            say(f"briefs, {setting}: {', '.join(modes)}" + (f" ({len(pool)} articles pooled)" if pool else ""))
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
            Row(run.system, scores.get(sid), _median(run.ms), share,
                run.off_topic_briefs if run.briefs else None, len(run.summaries), note)
        )
        for empty in run.empty[:3]:
            report.notes.append(f"{run.system}: {empty}")
    _reference_rows(report, scores, peers, official, len(tasks))
    return report


def _reference_rows(report: TopicReport, scores: dict[str, SystemRouge], peers: dict, official: dict, tasks: int) -> None:
    if "1" in peers:
        report.rows.append(Row("NIST baseline (peer 1)", scores.get("nist1"), None, summaries=len(peers["1"])))
    best = official.get("best")
    if best and best in peers:
        report.rows.append(
            Row(f"best participant (peer {best})", scores.get(f"nist{best}"), None, summaries=len(peers[best]))
        )
    humans = [scores[p] for p in peers if not p.isdigit() and p in scores]
    if humans:
        def mean(metric: str) -> float:
            return statistics.mean(getattr(h, metric).mean for h in humans)

        combined = SystemRouge(
            "humans", *(Interval(mean(m), float("nan"), float("nan")) for m in ("rouge1", "rouge2", "su4")), tasks
        )
        report.rows.append(
            Row(f"humans (mean of {len(humans)})", combined, None, summaries=sum(len(peers[h.system]) for h in humans))
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
                line = {"peer": run.system, "topic": topic, "text": text}
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
