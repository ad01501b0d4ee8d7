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
lead baseline, LexRank and tf-idf + MMR (`baselines`). `duc_report` runs it all, scores it
and draws the table; `brief_topics` serves tuning loops.

The runner works on `Task`s (a query, its articles, its references, a word limit). The
DUC 2007 update format's sets B and C are update tasks (100 words): the summary of B is for
a reader who has read A, of C for one who has read A and B. `run_update_briefs` briefs them
on a store that holds the earlier sets too, as a store does when the update is due (the
cluster setting: a store per task with its topic's sets so far; pooled: one store that
grows set by set, every topic's sets so far), in three ways (`Variant.window`): the plain
brief, the plain brief with `since` just after the earlier sets (new articles only), and
the update (`new_since` the end of the earlier sets: earlier articles count as told).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from summarizer.briefs.brief import brief
from summarizer.config import Settings
from summarizer.errors import BriefbotError, QueryError
from summarizer.evaluation import baselines
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
from summarizer.sources.ingest import catch_up_vectors, ingest_document
from summarizer.store import Store, open_store
from summarizer.summaries import MODES, get_summarizer

SETTINGS = ("cluster", "pooled")
TOPIC_PARTS = ("title", "narrative", "both")
ARTICLES = 25  # stories a brief may draw from: a DUC topic's whole set


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
    known: tuple[Article, ...] = ()  # an update: the articles of the earlier sets
    new_since: datetime | None = None  # ... and the latest moment among them
    stage: int = 0  # ... how many sets come before


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
        known = tuple(a for a in (prepare_article(doc) for doc in topic.earlier) if a is not None)
        new_since = max((a.published for a in known if a.published), default=None)
        task = Task(topic.id, topic.statement(query), articles, dict(topic.models), words)
        tasks.append(replace(task, known=known, new_since=new_since, stage=topic.stage))
    return tasks


def _ingest(store: Store, articles: Iterable[Article], prefix: str, ids: dict[int, list[str]]) -> None:
    """Store `articles`; `ids` maps each stored article to its doc ids (the store keeps one
    article for docs with the same text)."""
    for article in articles:
        doc = Document(
            url=f"{prefix}/{article.id}",
            title=article.title,
            text=article.text,
            source=prefix,
            published_at=article.published,
        )
        result = ingest_document(store, doc)
        if result.outcome is Outcome.FAILED or result.article_id is None:
            raise DataError(f"article {article.id} could not be stored: {result.reason}")
        ids.setdefault(result.article_id, []).append(article.id)
    catch_up_vectors(store, Settings(database_path=store.path))  # as `briefbot ingest` does after storing


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
    window: str = "plain"  # update tasks: "plain", "since" (new articles only) or "update"


WINDOWS = ("update", "plain", "since")


def _run_briefs(
    store: Store,
    tasks: Sequence[Task],
    variants: Sequence[Variant],
    runs: dict[str, SystemRun],
    ids: dict[int, list[str]],
) -> None:
    for variant in variants:
        run = runs[variant.name]
        for task in tasks:
            started = time.perf_counter()
            after = task.new_since if variant.window != "plain" else None
            try:
                result = brief(
                    store,
                    task.query,
                    settings=variant.settings,
                    mode=variant.mode,
                    articles=ARTICLES,
                    words=task.words,
                    # new only: strictly after the earlier sets, as `new_since` counts
                    since=after + timedelta(seconds=1) if after and variant.window == "since" else None,
                    new_since=after if variant.window == "update" else None,
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
        store = open_store(workdir / "pooled.db")
        try:
            _ingest(store, pool, prefix, ids)
            _run_briefs(store, tasks, variants, runs, ids)
        finally:
            store.close()
        return list(runs.values())
    for task in tasks:
        _brief_in_own_store(workdir / f"cluster-{task.id}.db", task.articles, task, variants, runs, prefix)
    return list(runs.values())


def _brief_in_own_store(
    path: Path,
    articles: Sequence[Article],
    task: Task,
    variants: Sequence[Variant],
    runs: dict[str, SystemRun],
    prefix: str,
) -> None:
    """Brief `task` with every variant on a store of its own holding `articles`, then delete it."""
    ids: dict[int, list[str]] = {}
    store = open_store(path)
    try:
        _ingest(store, articles, prefix, ids)
        _run_briefs(store, [task], variants, runs, ids)
    finally:
        store.close()
        for leftover in path.parent.glob(f"{path.name}*"):
            leftover.unlink()


def run_update_briefs(
    tasks: Sequence[Task],
    every: Sequence[Task],
    *,
    variants: Sequence[Variant],
    setting: str,
    prefix: str,
    workdir: Path,
) -> list[SystemRun]:
    """Every update task briefed by every variant on a store holding the sets so far:
    'cluster', a store per task with its earlier sets and its own; 'pooled', one store that
    grows stage by stage (every topic's first sets, then their second ones, ...; `every`
    holds every topic's tasks), each task briefed once its stage is stored."""
    runs = {v.name: SystemRun(f"{v.name} ({setting})", briefs=True) for v in variants}
    if setting == "pooled":
        ids: dict[int, list[str]] = {}
        store = open_store(workdir / "pooled-update.db")
        try:
            for stage in sorted({task.stage for task in every}):
                _ingest(store, pooled_articles([t for t in every if t.stage == stage]), prefix, ids)
                _run_briefs(store, [t for t in tasks if t.stage == stage], variants, runs, ids)
        finally:
            store.close()
        return list(runs.values())
    for task in tasks:
        articles = pooled_articles([replace(task, articles=task.known + task.articles)])
        _brief_in_own_store(workdir / f"update-{task.id}.db", articles, task, variants, runs, prefix)
    return list(runs.values())


def pooled_articles(tasks: Sequence[Task]) -> list[Article]:
    """Every article of `tasks` once (a doc in two topics' sets is stored once)."""
    pool: dict[str, Article] = {}
    for task in tasks:
        for article in task.articles:
            pool.setdefault(article.id, article)
    return list(pool.values())


def check_choices(
    modes: Iterable[str], settings_to_run: Iterable[str], query: str, baseline_names: Iterable[str] = ()
) -> None:
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


def load_tasks(source: Path, query: str, words: int, limit: int | None) -> tuple[list[Task], list[Task]]:
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
    check_choices((v.mode for v in variants), (setting,), query)
    words = words or WORDS[detect_format(source)]
    tasks, every = load_tasks(source, query, words, limit)
    pool = pooled_articles(every) if setting == "pooled" else []
    for variant in variants:
        get_summarizer(variant.mode, variant.settings).prepare()
    with tempfile.TemporaryDirectory(prefix="briefbot-eval-") as work:
        runs = run_briefs(
            tasks,
            pool,
            variants=variants,
            setting=setting,
            prefix=source.stem.removesuffix("_topics") or "eval",
            workdir=Path(work),
        )
    return {variant.name: run for variant, run in zip(variants, runs, strict=False)}


def baseline_function(name: str) -> Callable[[Task], list[str]]:
    """Baseline `name` as (task) -> summary sentences."""
    if name == "lead":
        return lambda task: baselines.nist_lead(
            [(a.published, a.sentences) for a in task.articles], task.words
        )
    if name == "lexrank":
        lexrank = baselines.lexrank_words()
        return lambda task: lexrank([s for a in task.articles for s in a.sentences], task.words)
    if name == "tfidf-mmr":
        return lambda task: baselines.tfidf_mmr(
            [s for a in task.articles for s in a.sentences], task.query, task.words
        )
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
