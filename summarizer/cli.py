"""`briefbot`: the engine from a terminal (a thin click layer over summarizer/)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from importlib.metadata import entry_points

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from summarizer import terminal
from summarizer.config import Settings, load_settings, parse_duration
from summarizer.errors import BriefbotError
from summarizer.models import GLOBAL_SCOPE, IngestResult, Outcome
from summarizer.store import Store

PLUGIN_GROUP = "briefbot.commands"
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


class Context:
    """What every command gets: settings, and the store opened on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The store at DATABASE_PATH, opened on first use."""
        if self._store is None:
            self._store = Store(self.settings.database_path)
        return self._store


pass_ctx = click.make_pass_decorator(Context)


def _since(value: str | None):
    from summarizer.store.search import parse_since

    return parse_since(value) if value else None


class BriefbotGroup(click.Group):
    """Shows a BriefbotError as a one-line message and exit status 1, never a traceback.

    Also offers the commands other installed packages register under the entry point group
    `briefbot.commands` (the Discord adapter's `bot`): the engine never imports them itself.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        plugins = {entry.name for entry in entry_points(group=PLUGIN_GROUP)}
        return sorted({*super().list_commands(ctx), *plugins})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            for entry in entry_points(group=PLUGIN_GROUP, name=name):
                return entry.load()
        return command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BriefbotError as error:
            err.print(f"[red]error:[/red] {error}")
            sys.exit(1)


@click.group(cls=BriefbotGroup)
@click.option("--db", "database_path", envvar="DATABASE_PATH", help="SQLite file (default: DATABASE_PATH or briefbot.db).")
@click.version_option(package_name="briefbot")
@click.pass_context
def main(ctx: click.Context, database_path: str | None) -> None:
    """briefbot: cited news briefs from your own article store."""
    overrides = {"database_path": database_path} if database_path else {}
    try:
        ctx.obj = Context(load_settings(**overrides))
    except ValueError as error:
        raise click.UsageError(f"bad setting in the environment or .env: {error}") from error


@main.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True, help="'global' or a Discord guild id.")
@click.option("--quiet", "-q", is_flag=True, help="Only the totals line.")
@pass_ctx
def ingest(ctx: Context, targets: tuple[str, ...], scope: str, quiet: bool) -> None:
    """Ingest files, folders, web pages and feeds (PATH or URL, several at once)."""
    from summarizer.sources.ingest import ingest as run_ingest

    show_progress = err.is_terminal and not quiet
    with Progress(
        SpinnerColumn(), TextColumn("ingesting"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.description}"), console=err, disable=not show_progress, transient=True,
    ) as progress:
        task = progress.add_task("", total=None)

        def report(result: IngestResult) -> None:
            progress.update(task, advance=1, description=result.item[-60:])
            if not quiet and (not show_progress or result.outcome is Outcome.FAILED):
                terminal.print_ingest_result(result, err if show_progress else out)

        results = run_ingest(ctx.store, list(targets), ctx.settings, scope=scope, on_result=report)
    out.print(terminal.ingest_summary(results))
    if results and all(r.outcome is Outcome.FAILED for r in results):
        sys.exit(1)


@main.group()
def sources() -> None:
    """Feeds that `briefbot poll` (and the bot) fetch on a schedule."""


@sources.command("add")
@click.argument("url")
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True)
@pass_ctx
def sources_add(ctx: Context, url: str, scope: str) -> None:
    """Check that URL is a feed and add it."""
    from summarizer.sources.poll import add_feed

    source, created = add_feed(ctx.store, url, ctx.settings, scope=scope)
    verb = "added" if created else "already there:"
    out.print(f"{verb} {source['url']} ({source['title'] or 'untitled'})")


@sources.command("list")
@click.option("--scope", default=None, help="Only this scope (default: all).")
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def sources_list(ctx: Context, scope: str | None, as_json: bool) -> None:
    """List feeds with their last poll result."""
    rows = ctx.store.list_sources(scope)
    if as_json:
        terminal.print_json(rows, out)
        return
    if not rows:
        out.print("no feeds yet: briefbot sources add URL")
    for row in rows:
        state = f"error: {row['last_error']}" if row["last_error"] else f"ok {row['last_ok'] or 'never polled'}"
        out.print(f"{row['url']}  [{row['scope']}]  {row['title'] or ''}  ({state})", soft_wrap=True)


@sources.command("remove")
@click.argument("url")
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True)
@pass_ctx
def sources_remove(ctx: Context, url: str, scope: str) -> None:
    """Stop polling URL (its articles stay in the store)."""
    if not ctx.store.remove_source(url, scope):
        raise click.ClickException(f"no feed {url} in scope {scope}: see briefbot sources list")
    out.print(f"removed {url}")


@main.command()
@click.option("--every", default=None, help="Keep polling at this interval (e.g. 15m); Ctrl-C stops.")
@pass_ctx
def poll(ctx: Context, every: str | None) -> None:
    """Fetch the feeds that are due (conditional GET, back-off after failures)."""
    from summarizer.sources.poll import poll_due

    interval = parse_duration(every).total_seconds() if every else None
    while True:
        for report in poll_due(ctx.store, ctx.settings):
            out.print(report.describe(), soft_wrap=True)
        if interval is None:
            return
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            return


@main.command()
@pass_ctx
def embed(ctx: Context) -> None:
    """Make the article vectors still missing (ingest and the poller do this on their own)."""
    from summarizer.store.vectors import embed_pending, pending_count

    if not ctx.settings.vector_search:
        out.print("VECTOR_SEARCH is off: articles are searched by their words only")
        return
    started = time.perf_counter()
    made = embed_pending(ctx.store, ctx.settings)
    out.print(f"{made} article vectors made in {time.perf_counter() - started:.1f} s; "
              f"{pending_count(ctx.store)} still missing")


@main.command()
@click.argument("query")
@click.option("--since", help="24h, 7d or a date like 2026-11-01.")
@click.option("--source", help="Only this site or feed.")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 1000))
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def search(ctx: Context, query: str, since: str | None, source: str | None, limit: int, scope: str, as_json: bool) -> None:
    """Search stored articles: words, "phrases", -excluded, a OR b."""
    from summarizer.store.search import search as run_search

    hits = run_search(
        ctx.store, query, scope=scope, since=_since(since), source=source, limit=limit, settings=ctx.settings
    )
    if as_json:
        terminal.print_json([terminal.hit_to_dict(hit) for hit in hits], out)
    elif not hits:
        out.print(f"no article matches {query!r} among {ctx.store.count(scope)} stored")
    else:
        terminal.print_hits(hits, out)


@main.command()
@click.argument("topic")
@click.option("--mode", help="extractive, semantic or abstractive (default: DEFAULT_MODE).")
@click.option("--articles", type=click.IntRange(1, 20), help="How many stories to draw from.")
@click.option("--sentences", type=click.IntRange(1, 20), help="How many sentences.")
@click.option("--since", help="24h, 7d or a date like 2026-11-01.")
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def brief(ctx: Context, topic: str, mode: str | None, articles: int | None, sentences: int | None, since: str | None, scope: str, as_json: bool) -> None:
    """A cited summary of the articles that match TOPIC."""
    from summarizer.briefs.brief import brief as make_brief

    result = make_brief(
        ctx.store, topic, settings=ctx.settings, mode=mode, articles=articles,
        sentences=sentences, since=_since(since), scope=scope,
    )
    if as_json:
        terminal.print_json(result.to_dict(), out)
    elif result.empty:
        out.print(
            f"nothing about {topic!r} among {result.store_size} articles stored: "
            "try other words, or a longer --since"
        )
    else:
        terminal.print_brief(result, out)


@main.command()
@click.argument("source")
@click.option("--mode", help="extractive, semantic or abstractive (default: DEFAULT_MODE).")
@click.option("--sentences", type=click.IntRange(1, 20))
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def summarize(ctx: Context, source: str, mode: str | None, sentences: int | None, as_json: bool) -> None:
    """Summarize one article: a FILE, a URL, or - for standard input."""
    from summarizer.briefs.brief import summarize_text
    from summarizer.sources.ingest import load_document

    if source == "-":
        text, title, url = sys.stdin.read(), "", None
    else:
        doc = load_document(source, ctx.settings)
        text, title, url = doc.text, doc.title, doc.url
    result = summarize_text(text, settings=ctx.settings, mode=mode, sentences=sentences, title=title, url=url)
    if as_json:
        terminal.print_json(result.to_dict(), out)
    else:
        terminal.print_brief(result, out)


@main.command("eval")
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.option("--modes", default="extractive,semantic", show_default=True, help="Our modes, comma-separated.")
@click.option("--baselines", default="lead3,lexrank,textrank", show_default=True, help="Baselines, comma-separated.")
@click.option("--sentences", type=click.IntRange(1, 20), default=3, show_default=True)
@click.option("--limit", type=click.IntRange(1), help="Only the first N articles.")
@click.option("--output", type=click.Path(dir_okay=False), help="Write every summary here (JSON lines).")
@pass_ctx
def eval_command(ctx: Context, data: str, modes: str, baselines: str, sentences: int, limit: int | None, output: str | None) -> None:
    """ROUGE and speed of our modes and the baselines on DATA (JSON lines: id, text, summary)."""
    from summarizer.evaluate import format_report, run_eval

    systems = [n.strip() for n in f"{baselines},{modes}".split(",") if n.strip()]
    report = run_eval(
        data, settings=ctx.settings, systems=systems, sentences=sentences, output=output,
        limit=limit, progress=lambda line: err.print(line, markup=False),
    )
    out.print(format_report(report), markup=False)


@main.group()
def digest() -> None:
    """Daily digests: what channels are subscribed, and what the next digest would say."""


@digest.command("list")
@click.option("--guild", default=None, help="Only this Discord guild id (default: all).")
@pass_ctx
def digest_list(ctx: Context, guild: str | None) -> None:
    """Subscribed channels, their schedule and their next digest (UTC)."""
    from summarizer.briefs.digest import list_subscriptions, next_run

    now = datetime.now(UTC)
    found = list_subscriptions(ctx.store, guild)
    if not found:
        out.print("no digest subscriptions")
    for sub in found:
        topic = f"about {sub.topic!r}" if sub.topic else "all stories"
        out.print(
            f"guild {sub.guild_id} channel {sub.channel_id}: {topic}, up to {sub.max_stories}, "
            f"daily {sub.time_of_day} {sub.timezone}; next {next_run(sub, now):%Y-%m-%d %H:%M} UTC",
            markup=False,
        )


@digest.command("preview")
@click.argument("channel_id")
@pass_ctx
def digest_preview(ctx: Context, channel_id: str) -> None:
    """The digest CHANNEL_ID would get now (nothing is recorded)."""
    from summarizer.briefs.digest import compose_digest, get_subscription

    sub = get_subscription(ctx.store, channel_id)
    if sub is None:
        raise click.UsageError(f"channel {channel_id} has no digest subscription")
    result = compose_digest(ctx.store, sub, datetime.now(UTC), ctx.settings)
    if result.empty:
        out.print(f"no new stories since {result.since:%Y-%m-%d %H:%M} UTC")
    for story in result.stories:
        citation = story.citation
        out.print(f"{citation.number}. {citation.title}", style="bold", markup=False)
        out.print(story.summary, markup=False)
        links = [citation.url or citation.site] + [url or site for site, url in citation.also]
        out.print("   " + "  ".join(links), style="dim", markup=False)


if __name__ == "__main__":  # pragma: no cover
    main()
