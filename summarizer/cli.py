"""`briefbot`: the engine from a terminal (a thin click layer over summarizer/)."""

from __future__ import annotations

import functools
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from summarizer import terminal
from summarizer.config import Settings, load_settings, parse_duration
from summarizer.errors import BriefbotError
from summarizer.models import GLOBAL_SCOPE, IngestResult, Outcome
from summarizer.store import Store, is_postgres_url, utc_iso
from summarizer.store import open_store as open_store_at
from summarizer.store.base import redact, sqlite_path
from summarizer.summaries import MODES

PLUGIN_GROUP = "briefbot.commands"
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


INTERRUPTED = 130  # the exit status of a program stopped by Ctrl-C (128 + SIGINT)
SCOPE_HELP = "'global' or a Discord guild id (a guild sees its own articles and the global ones)."
JSON_HELP = "Print JSON instead of text."
MODE_HELP = "Summary mode (default: DEFAULT_MODE)."


def _check_store_file(path: Path) -> None:
    """Refuse a file that is not a briefbot store, reading it only (a read-only SQLite open)."""
    try:
        with closing(sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise BriefbotError(f"{path} is not a briefbot store: {error}") from None
    if tables and "meta" not in tables:
        raise BriefbotError(f"{path} is a SQLite database of another program, not a briefbot store")


def open_store(database_path: str, create: bool, migrate: bool = True) -> Store:
    """The store at DATABASE_URL / DATABASE_PATH, with one clear line instead of a traceback
    when it is a folder, is missing (only commands that add articles or feeds create one),
    is not a briefbot store, or its PostgreSQL server cannot be reached."""
    if is_postgres_url(database_path):
        return _open_postgres(database_path, create, migrate)
    database_path = sqlite_path(database_path)
    path = Path(database_path).expanduser()
    if database_path != ":memory:":
        if path.is_dir():
            raise BriefbotError(
                f"{database_path} is a folder: --db (or DATABASE_PATH) names the store's file, "
                f"e.g. {path / 'briefbot.db'}"
            )
        if path.exists():
            _check_store_file(path)
        elif not create:
            raise BriefbotError(
                f"no store at {path.resolve()}: create it with `briefbot ingest PATH|URL` "
                "(or `briefbot sources add URL`), or point --db / DATABASE_PATH at an existing one"
            )
    try:
        return open_store_at(path, migrate=migrate)
    except (sqlite3.Error, RuntimeError) as error:  # RuntimeError: a newer schema
        raise BriefbotError(f"cannot open the store {database_path}: {error}") from None
    except OSError as error:
        raise BriefbotError(f"cannot create the store {database_path}: {error.strerror or error}") from None


def _open_postgres(url: str, create: bool, migrate: bool) -> Store:
    """The PostgreSQL store at `url`; without `create`, a database with no briefbot schema is
    refused (as a missing SQLite file is) instead of getting one."""
    import psycopg
    import psycopg_pool

    try:
        if create:
            return open_store_at(url, migrate=migrate)
        store = open_store_at(url, migrate=False)
        try:
            if store.schema_version == 0:
                raise BriefbotError(
                    f"no store at {redact(url)}: create it with `briefbot migrate` or `briefbot ingest "
                    "PATH|URL` (or `briefbot sources add URL`), or point DATABASE_URL at an existing one"
                )
            if migrate:
                store.migrate()
        except BaseException:
            store.close()
            raise
        return store
    except (psycopg.Error, psycopg_pool.PoolTimeout, RuntimeError) as error:  # RuntimeError: a newer schema
        reason = " ".join(str(error).split()) or type(error).__name__
        raise BriefbotError(f"cannot open the store {redact(url)}: {reason}") from None


class Context:
    """What every command gets: settings, and the store opened on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.read_only = False  # set by @pass_reader: such commands never create a store
        self.on_interrupt: Callable[[], str] | None = None  # what to say on Ctrl-C instead of "interrupted"
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The store at DATABASE_PATH, opened on first use (created when missing, except for
        commands that only read)."""
        if self._store is None:
            where = self.settings.store_url
            path = Path(sqlite_path(where)).expanduser()
            new = not is_postgres_url(where) and not path.exists() and sqlite_path(where) != ":memory:"
            self._store = open_store(where, create=not self.read_only)
            if new:
                err.print(f"created a new store at {path.resolve()}", markup=False, soft_wrap=True)
        return self._store


pass_ctx = click.make_pass_decorator(Context)


def pass_reader(command):
    """Like pass_ctx, for commands that only read the store: they never create one."""

    @pass_ctx
    @functools.wraps(command)
    def reader(ctx: Context, *args, **kwargs):
        ctx.read_only = True
        return command(ctx, *args, **kwargs)

    return reader


class Duration(click.ParamType):
    """A duration such as 90s, 15m, 6h or 7d, as seconds; at least `minimum` seconds."""

    name = "duration"

    def __init__(self, minimum: float = 0.0):
        self.minimum = minimum

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, float):
            return value
        try:
            seconds = parse_duration(value).total_seconds()
        except ValueError as error:
            self.fail(str(error), param, ctx)
        if seconds < self.minimum:
            self.fail(f"{value!r} is too short: at least {self.minimum:g}s", param, ctx)
        return seconds


class QueryCommand(click.Command):
    """A command whose words are a query: a word starting with '-' (an excluded word, as in
    `briefbot search Korea -Japan`) is part of the query, not an option, unless it is one of
    the command's own options. Unknown `--long` options are still refused (typos), and
    everything after `--` is query text."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value = {
            name: not (param.is_flag or param.count)
            for param in self.get_params(ctx)
            if isinstance(param, click.Option)
            for name in (*param.opts, *param.secondary_opts)
        }
        options: list[str] = []
        words: list[str] = []
        index = 0
        while index < len(args):
            arg = args[index]
            name = arg.split("=", 1)[0]
            if arg == "--":
                words.extend(args[index + 1 :])
                break
            if name in takes_value:
                options.append(arg)
                if takes_value[name] and "=" not in arg and index + 1 < len(args):
                    index += 1
                    options.append(args[index])
            elif arg.startswith("--") and len(arg) > 2:
                options.append(arg)  # an unknown long option: click names it (and its near miss)
            else:
                words.append(arg)
            index += 1
        return super().parse_args(ctx, [*options, "--", *words])


def _db_before_command(args: list[str]) -> list[str]:
    """`briefbot search x --db F` as `briefbot --db F search x`: the group reads --db, so a
    --db given after the command (and before any `--`) is moved before it."""
    before: list[str] = []
    after: list[str] = []
    moved: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if after and arg == "--":
            after.extend(args[index:])
            break
        if arg == "--db" and index + 1 < len(args):
            (moved if after else before).extend(args[index : index + 2])
            index += 2
            continue
        if arg.startswith("--db="):
            (moved if after else before).append(arg)
        elif after or not arg.startswith("-"):
            after.append(arg)
        else:
            before.append(arg)
        index += 1
    return [*before, *moved, *after]


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

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _db_before_command(args))

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BriefbotError as error:
            err.print(f"[red]error:[/red] {escape(str(error))}", soft_wrap=True)
            sys.exit(1)
        except KeyboardInterrupt:
            context = ctx.find_object(Context)
            said = context.on_interrupt() if context and context.on_interrupt else "interrupted"
            err.print(said, markup=False)
            sys.exit(INTERRUPTED)


@click.group(cls=BriefbotGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "database_path",
    envvar="DATABASE_PATH",
    help="The store: a SQLite file, sqlite:///path or postgresql://user:pass@host/db "
    "(default: DATABASE_URL, else DATABASE_PATH, else briefbot.db in the current folder).",
)
@click.version_option(package_name="briefbot")
@click.pass_context
def main(ctx: click.Context, database_path: str | None) -> None:
    """briefbot: cited news briefs from your own article store."""
    overrides: dict[str, str] = {}
    if database_path and is_postgres_url(database_path):
        overrides = {"database_url": database_path}
    elif database_path:
        overrides = {"database_path": sqlite_path(database_path)}
        if ctx.get_parameter_source("database_path") == click.core.ParameterSource.COMMANDLINE:
            overrides["database_url"] = ""  # --db names the store: it wins over DATABASE_URL
    ctx.obj = Context(load_settings(**overrides))  # a SettingsError names the bad setting


@main.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True, help=SCOPE_HELP)
@click.option("--quiet", "-q", is_flag=True, help="Only the totals line.")
@pass_ctx
def ingest(ctx: Context, targets: tuple[str, ...], scope: str, quiet: bool) -> None:
    """Ingest files, folders, web pages and feeds (PATH or URL, several at once)."""
    from summarizer.sources.ingest import ingest as run_ingest

    show_progress = err.is_terminal and not quiet
    before = ctx.store.count(scope)  # on Ctrl-C, what was committed stays: the store says how much
    ctx.on_interrupt = lambda: f"interrupted: {ctx.store.count(scope) - before} stored"
    with Progress(
        SpinnerColumn(),
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=err,
        disable=not show_progress,
        transient=True,
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
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True, help=SCOPE_HELP)
@pass_ctx
def sources_add(ctx: Context, url: str, scope: str) -> None:
    """Check that URL is a feed and add it."""
    from summarizer.sources.poll import add_feed

    source, created = add_feed(ctx.store, url, ctx.settings, scope=scope)
    verb = "added" if created else "already there:"
    out.print(f"{verb} {source['url']} ({source['title'] or 'untitled'})")


@sources.command("list")
@click.option("--scope", default=None, help="Only this scope (default: all).")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_reader
def sources_list(ctx: Context, scope: str | None, as_json: bool) -> None:
    """List feeds with their last poll result."""
    rows = ctx.store.list_sources(scope)
    if as_json:
        terminal.print_json(rows, out)
        return
    if not rows:
        out.print("no feeds yet: briefbot sources add URL")
    for row in rows:
        state = (
            f"error: {row['last_error']}" if row["last_error"] else f"ok {row['last_ok'] or 'never polled'}"
        )
        line = f"{row['url']}  [{row['scope']}]  {row['title'] or ''}  ({state})"
        out.print(line, soft_wrap=True, markup=False)


@sources.command("remove")
@click.argument("url")
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True, help=SCOPE_HELP)
@pass_reader
def sources_remove(ctx: Context, url: str, scope: str) -> None:
    """Stop polling URL (its articles stay in the store)."""
    if not ctx.store.remove_source(url, scope):
        raise click.ClickException(f"no feed {url} in scope {scope}: see briefbot sources list")
    out.print(f"removed {url}")


def _nothing_due(store: Store) -> str:
    """Why a poll fetched nothing: no feeds, when the next one is due, feeds another poller holds."""
    feeds = store.list_sources()
    if not feeds:
        return "no feeds yet: briefbot sources add URL"
    upcoming = min((row["next_poll_at"] for row in feeds if row["next_poll_at"]), default=None)
    count = f"{len(feeds)} feed{'s' if len(feeds) != 1 else ''}"
    now = utc_iso(datetime.now(UTC))
    leased = sum(1 for row in feeds if row["leased_until"] and row["leased_until"] >= now)
    elsewhere = f", {leased} being polled by another poller" if leased else ""
    return f"no feed due: {count}, next one at {upcoming or 'once due'}{elsewhere}"


@main.command()
@click.option(
    "--every",
    type=Duration(minimum=1),
    default=None,
    help="Keep polling at this interval (e.g. 15m, at least 1s); Ctrl-C stops.",
)
@click.option(
    "--rounds",
    type=click.IntRange(min=1),
    default=None,
    help="With --every: stop after this many polls (default: until Ctrl-C or SIGTERM).",
)
@pass_reader
def poll(ctx: Context, every: float | None, rounds: int | None) -> None:
    """Fetch the feeds that are due (conditional GET, back-off after failures).

    Without --every, exits with status 1 when every feed polled failed. Several pollers
    (and bots) may share one database: each due feed is polled by one of them.
    """
    if rounds is not None and every is None:
        raise click.UsageError("--rounds goes with --every")
    # SIGTERM (docker stop, systemd) stops like Ctrl-C: the feeds being polled are released.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        _poll_rounds(ctx, every, rounds)
    except KeyboardInterrupt:
        out.print("stopped", markup=False)  # a poll cut short released its feeds (poll_due)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _poll_rounds(ctx: Context, every: float | None, rounds: int | None) -> None:
    """`briefbot poll`'s loop: poll, print the reports, sleep `every` seconds, `rounds` times."""
    from summarizer.sources.poll import disable_source, poll_due

    done = 0
    while True:
        reports = poll_due(ctx.store, ctx.settings)
        for report in reports:
            out.print(report.describe(), soft_wrap=True, markup=False)
            if report.failures >= ctx.settings.feed_disable_after and disable_source(
                ctx.store, report.source_id, report.error, datetime.now(UTC)
            ):
                out.print(
                    f"{report.title}: disabled after {report.failures} failed polls in a row "
                    "(FEED_DISABLE_AFTER); `/sources add` it again in Discord to resume",
                    soft_wrap=True,
                    markup=False,
                )
        if not reports:
            out.print(_nothing_due(ctx.store), markup=False)
        done += 1
        if every is None:
            if reports and not any(report.ok for report in reports):
                sys.exit(1)
            return
        if rounds is not None and done >= rounds:
            return
        time.sleep(every)


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
    out.print(
        f"{made} article vectors made in {time.perf_counter() - started:.1f} s; "
        f"{pending_count(ctx.store)} still missing"
    )


def _filters(source: str | None = None, since: str | None = None, scope: str = GLOBAL_SCOPE) -> str:
    """The filters a search or brief applied, for a 'no match' message ('' when none)."""
    applied = [
        f"source {source!r}" if source else "",
        f"since {since}" if since else "",
        f"scope {scope}" if scope != GLOBAL_SCOPE else "",
    ]
    named = ", ".join(part for part in applied if part)
    return f" (filters: {named})" if named else ""


@main.command(cls=QueryCommand)
@click.argument("words", nargs=-1, required=True, metavar="QUERY")
@click.option("--since", help="24h, 7d or a date like 2026-11-01.")
@click.option("--source", help="Only this site or feed.")
@click.option(
    "--limit", default=10, show_default=True, type=click.IntRange(1, 1000), help="Most articles listed."
)
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True, help=SCOPE_HELP)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_reader
def search(
    ctx: Context,
    words: tuple[str, ...],
    since: str | None,
    source: str | None,
    limit: int,
    scope: str,
    as_json: bool,
) -> None:
    """Search stored articles: words, "phrases", -excluded, a OR b.

    A word starting with '-' is excluded (briefbot search Korea -Japan); write `--` before
    the query to keep every word as typed.
    """
    from summarizer.store.search import search as run_search

    query = " ".join(words)
    since_at = _since(since)  # a bad --since is told before the store is opened
    hits = run_search(
        ctx.store, query, scope=scope, since=since_at, source=source, limit=limit, settings=ctx.settings
    )
    if as_json:
        terminal.print_json([terminal.hit_to_dict(hit) for hit in hits], out)
    elif not hits:
        stored = ctx.store.count(scope)
        out.print(
            f"no article matches {query!r} among {stored} stored{_filters(source, since, scope)}",
            markup=False,
            soft_wrap=True,
        )
    else:
        terminal.print_hits(hits, out)


@main.command(cls=QueryCommand)
@click.argument("topic_words", nargs=-1, required=True, metavar="TOPIC")
@click.option("--mode", type=click.Choice(MODES, case_sensitive=False), help=MODE_HELP)
@click.option("--articles", type=click.IntRange(1, 50), help="How many stories to draw from.")
@click.option("--words", type=click.IntRange(10, 1000), help="Word budget (default: BRIEF_WORDS).")
@click.option("--sentences", type=click.IntRange(1, 100), help="At most this many sentences.")
@click.option("--since", help="24h, 7d or a date like 2026-11-01.")
@click.option(
    "--new-since", help="Only what is new since then (24h, 7d or a date): earlier articles count as told."
)
@click.option("--scope", default=GLOBAL_SCOPE, show_default=True, help=SCOPE_HELP)
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@pass_reader
def brief(
    ctx: Context,
    topic_words: tuple[str, ...],
    mode: str | None,
    articles: int | None,
    words: int | None,
    sentences: int | None,
    since: str | None,
    new_since: str | None,
    scope: str,
    as_json: bool,
) -> None:
    """A cited summary of the articles that match TOPIC (a few words or a whole question).

    With --new-since, an update: only articles after that moment are summarized and cited,
    leaving out what the earlier ones already said.
    """
    from summarizer.briefs.brief import brief as make_brief

    topic = " ".join(topic_words)
    since_at = _since(since)  # a bad --since (or --new-since) is told before the store is opened
    new_since_at = _since(new_since)
    result = make_brief(
        ctx.store,
        topic,
        settings=ctx.settings,
        mode=mode,
        articles=articles,
        words=words,
        sentences=sentences,
        since=since_at,
        scope=scope,
        new_since=new_since_at,
    )
    if as_json:
        terminal.print_json(result.to_dict(), out)
    elif result.empty and new_since_at is not None:
        n = result.matched
        told = (
            f": {n} new article{'s' if n != 1 else ''} only repeat{'s' if n == 1 else ''} what was known"
            if n
            else ""
        )
        out.print(
            f"nothing new about {topic!r} since {new_since_at:%Y-%m-%d %H:%M} UTC{told}"
            f"{_filters(since=since, scope=scope)}",
            markup=False,
            soft_wrap=True,
        )
    elif result.empty:
        out.print(
            f"nothing about {topic!r} among {result.store_size} articles stored"
            f"{_filters(since=since, scope=scope)}: try other words"
            + (", or a longer --since" if since else ""),
            markup=False,
            soft_wrap=True,
        )
    else:
        terminal.print_brief(result, out)


@main.command()
@click.argument("source")
@click.option("--mode", type=click.Choice(MODES, case_sensitive=False), help=MODE_HELP)
@click.option("--sentences", type=click.IntRange(1, 20), help="How many sentences.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
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
@click.option(
    "--modes", help="Our modes, comma-separated [articles: extractive,semantic; topics: extractive]."
)
@click.option(
    "--baselines",
    help="Baselines, comma-separated [articles: lead3,lexrank,textrank; topics: lead,lexrank,tfidf-mmr].",
)
@click.option(
    "--sentences",
    type=click.IntRange(1, 20),
    default=3,
    show_default=True,
    help="Articles: sentences per summary.",
)
@click.option(
    "--setting",
    type=click.Choice(["cluster", "pooled", "both"]),
    default="both",
    show_default=True,
    help="Topics: a store per topic, one store for all, or both.",
)
@click.option(
    "--topic",
    "query",
    type=click.Choice(["title", "narrative", "both"]),
    default="both",
    show_default=True,
    help="Topics: what the brief is asked (both: title then narrative).",
)
@click.option(
    "--words",
    type=click.IntRange(10, 1000),
    help="Topics: summary length, ROUGE's -l [NIST's: 250; update sets 100].",
)
@click.option(
    "--resamples",
    type=click.IntRange(1, 10000),
    default=1000,
    show_default=True,
    help="Topics: ROUGE bootstrap samples for the 95% interval.",
)
@click.option("--limit", type=click.IntRange(1), help="Only the first N articles (or topics).")
@click.option("--output", type=click.Path(dir_okay=False), help="Write every summary here (JSON lines).")
@pass_ctx
def eval_command(
    ctx: Context,
    data: str,
    modes: str | None,
    baselines: str | None,
    sentences: int,
    setting: str,
    query: str,
    words: int | None,
    resamples: int,
    limit: int | None,
    output: str | None,
) -> None:
    """ROUGE and speed of our modes and the baselines on DATA.

    DATA is JSON lines of single articles (id, text, summary: ROUGE F1 by rouge-score) or of
    query-focused topics as DUC's (id, title, narrative, docs, models; or sets A, B, C of
    docs and models): ROUGE-1.5.5 recall at NIST's settings, jackknifed (needs Perl with
    XML::DOM). With sets, the later sets are briefed as updates (--new-since) beside the
    plain brief and --since, on stores holding the earlier sets too.
    """
    from summarizer.evaluation.topics import detect_format

    def names(value: str) -> list[str]:
        return [n.strip() for n in value.split(",") if n.strip()]

    def say(line: str) -> None:
        err.print(line, markup=False)

    kind = detect_format(data)
    if kind in ("topics", "update"):
        from summarizer.evaluation.duc import SETTINGS
        from summarizer.evaluation.duc_report import format_topic_report, run_topic_eval

        topic_report = run_topic_eval(
            data,
            settings=ctx.settings,
            modes=names(modes or "extractive"),
            baseline_names=names(baselines if baselines is not None else "lead,lexrank,tfidf-mmr"),
            settings_to_run=SETTINGS if setting == "both" else (setting,),
            query=query,
            words=words,
            limit=limit,
            resamples=resamples,
            output=output,
            progress=say,
        )
        out.print(format_topic_report(topic_report), markup=False, soft_wrap=True)
        return
    from summarizer.evaluation.single import format_report, run_eval

    chosen = baselines if baselines is not None else "lead3,lexrank,textrank"
    systems = names(f"{chosen},{modes or 'extractive,semantic'}")
    report = run_eval(
        data,
        settings=ctx.settings,
        systems=systems,
        sentences=sentences,
        output=output,
        limit=limit,
        progress=say,
    )
    out.print(format_report(report), markup=False)


@main.group()
def digest() -> None:
    """Daily digests: what channels are subscribed, and what the next digest would say."""


@digest.command("list")
@click.option("--guild", default=None, help="Only this Discord guild id (default: all).")
@pass_reader
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
@pass_reader
def digest_preview(ctx: Context, channel_id: str) -> None:
    """The digest CHANNEL_ID would get now (nothing is recorded)."""
    from summarizer.briefs.digest import compose_digest, get_subscription

    sub = get_subscription(ctx.store, channel_id)
    if sub is None:
        raise click.UsageError(f"channel {channel_id} has no digest subscription")
    result = compose_digest(ctx.store, sub, datetime.now(UTC), ctx.settings)
    if result.empty:
        out.print(f"no new stories since {result.since:%Y-%m-%d %H:%M} UTC")
    for heading, stories in (
        ("New stories", result.new_stories),
        ("Developing stories", result.developing_stories),
    ):
        if stories:
            out.print(heading, style="underline", markup=False)
        for story in stories:
            citation = story.citation
            out.print(f"{citation.number}. {citation.title}", style="bold", markup=False)
            out.print(story.summary, markup=False)
            links = [citation.url or citation.site] + [url or site for site, url in citation.also]
            out.print("   " + "  ".join(links), style="dim", markup=False)
            if story.earlier:
                told = ", ".join(f"{p.local_date} {p.jump_url or ''}".strip() for p in story.earlier)
                out.print(f"   earlier: {told}", style="dim", markup=False)


@main.command()
@pass_ctx
def migrate(ctx: Context) -> None:
    """Bring the store (--db, DATABASE_URL or DATABASE_PATH) to this briefbot's schema."""
    url = ctx.settings.store_url
    # An empty PostgreSQL database gets its schema here (a missing SQLite file is still refused).
    store = open_store(url, create=is_postgres_url(url), migrate=False)
    try:
        before, after = store.migrate()
    finally:
        store.close()
    where = escape(store.path)
    if before == after:
        out.print(f"{where}: already at schema version {after}")
    else:
        out.print(f"{where}: schema version {before} -> {after}")


@main.command("copy")
@click.argument("src")
@click.argument("dst")
@click.option("--replace", is_flag=True, help="Delete what DST holds first (else it must be empty).")
def copy_command(src: str, dst: str, replace: bool) -> None:
    """Copy a whole store SRC into DST (each a SQLite file, sqlite:///path or postgresql://...):
    every table, ids kept. Both are brought to the current schema first."""
    from summarizer.store.copy import copy_store, table_counts

    source = open_store(src, create=False)
    try:
        target = open_store(dst, create=True)
        try:
            copied = copy_store(source, target, replace=replace)
            landed = table_counts(target)
            mismatched = {table for table, n in table_counts(source).items() if landed[table] != n}
        finally:
            target.close()
    finally:
        source.close()
    out.print(f"copied {escape(source.path)} -> {escape(target.path)}")
    for table, count in copied.items():
        out.print(f"  {table:<16} {count:>9}")
    if mismatched:
        raise BriefbotError(f"the copy differs from its source in: {', '.join(sorted(mismatched))}")


@main.command()
@click.option("--json", "as_json", is_flag=True)
@pass_ctx
def status(ctx: Context, as_json: bool) -> None:
    """The store, the last poll and digest, and the bot's heartbeat. Exits 1 when the
    heartbeat is missing or older than three HEARTBEAT_INTERVALs (the bot is down or stuck)."""
    from summarizer.health import status as read_status

    now = datetime.now(UTC)
    report = read_status(ctx.settings, now)
    if as_json:
        terminal.print_json(report.to_dict(), out)
    else:
        terminal.print_status(report, now, out)
    if not report.bot_alive:
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
