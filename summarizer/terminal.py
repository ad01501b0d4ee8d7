"""Render engine results for a terminal (rich) or as JSON. Knows nothing of search."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from summarizer.health import Status
from summarizer.models import Brief, IngestResult, Outcome, SearchHit


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "undated"


def _hanging(console: Console, label: str | Text, text: Text) -> None:
    """Print `label` then `text`, the text's wrapped lines starting under its first character.

    By hand because rich pads every line of an indented block to the full width (grids and
    Padding both), which leaves trailing spaces in piped output.
    """
    label = Text(label) if isinstance(label, str) else label
    margin = Text(" " * label.cell_len)
    for index, line in enumerate(text.wrap(console, max(console.width - label.cell_len, 20))):
        line.rstrip()
        console.print(Text.assemble(label if index == 0 else margin, line), soft_wrap=True)


def print_json(data: object, console: Console) -> None:
    """Print data as JSON (datetimes as ISO 8601), nothing else on stdout."""
    console.file.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def hit_to_dict(hit: SearchHit) -> dict:
    """A search hit as a JSON-ready dict."""
    article = hit.article
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "source": article.source,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "score": round(hit.score, 4),
        "snippet": hit.snippet,
    }


def print_hits(hits: list[SearchHit], console: Console) -> None:
    """Numbered search results: title, source and date, link, snippet."""
    for number, hit in enumerate(hits, 1):
        article = hit.article
        _hanging(console, f"{number}. ", Text(article.title, style="bold"))
        _hanging(
            console,
            "   ",
            Text(
                f"{article.source or 'unknown source'} · {_date(article.published_at)} "
                f"· score {hit.score:.2f}"
            ),
        )
        console.print(f"   [link={article.url}]{escape(article.url)}[/link]", soft_wrap=True)
        if hit.snippet:
            _hanging(console, "   ", Text(hit.snippet, style="dim"))


def print_brief(brief: Brief, console: Console) -> None:
    """The summary with [n] citations, then the numbered sources and a footer line."""
    for sentence in brief.sentences:
        marks = "".join(f"[{n}]" for n in sentence.citations)
        console.print(f"{escape(sentence.text)} [cyan]{escape(marks)}[/cyan]")
    console.print()
    console.print("[bold]Sources[/bold]")
    for citation in brief.citations:
        site = citation.site or "local file"
        label = Text(f"[{citation.number}] ", style="cyan")
        _hanging(console, label, Text(f"{citation.title} — {site}, {_date(citation.published_at)}"))
        if citation.url:
            console.print(f"    {escape(citation.url)}", soft_wrap=True)
        for also_site, also_url in citation.also:
            console.print(f"    also: {escape(also_site)} {escape(also_url or '')}", soft_wrap=True)
    total = brief.timings_ms.get("total")
    timing = f" · {total:.0f} ms" if total is not None else ""
    count = len(brief.citations)
    console.print(f"[dim]{brief.mode} · {count} source{'s' if count != 1 else ''}{timing}[/dim]")


def ingest_summary(results: Iterable[IngestResult]) -> str:
    """One line: how many items were added, updated, duplicates, failed."""
    counts = Counter(result.outcome for result in results)
    return ", ".join(f"{counts.get(outcome, 0)} {outcome.value}" for outcome in Outcome)


def print_ingest_result(result: IngestResult, console: Console) -> None:
    """One line per ingested item, failures with their reason."""
    style = {"added": "green", "updated": "yellow", "duplicate": "dim", "failed": "red"}
    label = result.outcome.value
    detail = result.reason if result.outcome is Outcome.FAILED else result.title
    console.print(
        f"[{style[label]}]{label:>9}[/{style[label]}] {escape(result.item)}"
        + (f" — {escape(detail)}" if detail else ""),
        soft_wrap=True,
    )


def _age(age: timedelta) -> str:
    seconds = age.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _when(moment: datetime | None, now: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC, {_age(now - moment)} ago" if moment else "never"


def print_status(report: Status, now: datetime, console: Console) -> None:
    """`briefbot status`: one line each for the store, feeds, digests and the bot."""
    store = report.store
    failing = f", {store.failing_feeds} failing" if store.failing_feeds else ""
    lines = [
        f"store    {store.path}: {store.articles} articles, schema version {store.schema_version}",
        f"feeds    {store.feeds}{failing}; last poll {_when(store.last_poll, now)}",
        f"digests  last posted {_when(store.last_digest, now)}",
    ]
    beat, age = report.heartbeat, report.heartbeat_age
    if beat is None or age is None:
        lines.append(f"bot      DOWN: no heartbeat in {report.heartbeat_file} (is `briefbot bot` running?)")
    elif report.bot_alive:
        guilds = f"{beat.guilds} guild{'s' if beat.guilds != 1 else ''}"
        lines.append(f"bot      up: heartbeat {_age(age)} ago (pid {beat.pid}, {guilds})")
    else:
        lines.append(
            f"bot      DOWN: last heartbeat {_when(beat.at, now)} (stale after {_age(report.stale_after)}; "
            f"{report.heartbeat_file})"
        )
    for line in lines:
        console.print(line, markup=False, soft_wrap=True)
