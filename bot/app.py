"""The Discord client: settings, engine calls off the event loop, extensions, command sync.

Stable API for the other bot modules (bot/digests.py included):

- `create_bot(settings, *, clock=None) -> BriefBot`: a client pointed at
  settings.discord_api_base / discord_gateway_url when set (a proxy in front of Discord,
  or a test double). `run(settings)` starts it until SIGINT/SIGTERM.
- `BriefBot.settings`, `BriefBot.clock()` (aware UTC now; tests inject a clock).
- Shards: the client is discord.py's AutoShardedBot running shards SHARD_IDS of SHARD_COUNT
  (Discord routes each guild's events to its shard); `bot.serves_guild(guild_id)` says
  whether a guild is on this process's shards (digests are posted only for those).
- `await bot.in_store(fn, *args, background=False, quick=False, lane=None, **kwargs)`: runs
  `fn(store, *args, **kwargs)` in a worker thread with that thread's own Store, and returns
  its result. Separate thread pools, so slow work never delays quick work: commands
  (two workers: briefs, ingestion), background=True (one: polling, digests), quick=True
  (one: small reads such as autocomplete lists), lane="summaries" (one: model-based briefs).
- `bot.track(interaction)`: an interaction being answered in the current task; at shutdown
  each gets its answer within `SHUTDOWN_GRACE` seconds or a short apology, and interactions
  arriving during shutdown are refused at once (`bot.shutting_down`).
- `scope_of(interaction)`: the store scope of an interaction (guild id, or "global" in DMs).
- `EXTENSIONS`: modules loaded at start; each has `async def setup(bot)` (discord.py's
  extension protocol) and adds its cogs/commands to `bot.tree`.
- Every message the bot sends goes out with AllowedMentions.none() (set on the client;
  senders pass it again).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from summarizer.config import Settings
from summarizer.models import GLOBAL_SCOPE
from summarizer.store import Store, open_store

from .logs import redact_handlers

log = logging.getLogger(__name__)

T = TypeVar("T")

EXTENSIONS: tuple[str, ...] = (
    "bot.commands_brief",
    "bot.commands_sources",
    "bot.tasks",
    "bot.digests",
    "bot.heartbeat",
)
DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"
NO_MENTIONS = discord.AllowedMentions.none()
FAILURE_TEXT = "Something went wrong on my side; please try again in a moment."
LANES = {"command": 2, "background": 1, "quick": 1, "summaries": 1}  # thread pools and their workers
SHUTDOWN_TEXT = "briefbot is restarting and could not finish this; please try again in a minute."


def api_base(url: str) -> str:
    """The REST base for discord.py from DISCORD_API_BASE: a bare host gets '/api/v10',
    '.../api' gets '/v10', a URL already ending in '/api/vN' is kept."""
    url = url.rstrip("/")
    if re.search(r"/api/v\d+$", url):
        return url
    if url.endswith("/api"):
        return url + "/v10"
    return url + "/api/v10"


def point_discord_at(settings: Settings) -> None:
    """Send REST calls and the gateway connection where the settings say (discord.py reads
    these class attributes on every request/connection; tests pin that they still exist)."""
    discord.http.Route.BASE = (
        api_base(settings.discord_api_base) if settings.discord_api_base else DEFAULT_API_BASE
    )
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        settings.discord_gateway_url or DEFAULT_GATEWAY
    )


def scope_of(interaction: discord.Interaction) -> str:
    """The store scope of an interaction: its guild id, or 'global' in DMs."""
    return str(interaction.guild_id) if interaction.guild_id else GLOBAL_SCOPE


def shard_of(guild_id: int | str, shard_count: int) -> int:
    """The shard a guild is on, as Discord assigns it: (guild_id >> 22) % shard_count."""
    return (int(guild_id) >> 22) % shard_count


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (the bot's default clock)."""
    return datetime.now(UTC)


def _opened(store: Store) -> None:
    """Nothing: calling it in a lane opens that worker's Store."""


class _StorePool:
    """Worker threads that each keep their own Store (a SQLite connection is one-thread)."""

    def __init__(self, path: str, workers: int, name: str):
        self._path = path
        self._local = threading.local()
        self._opened: list[Store] = []
        self._lock = threading.Lock()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)

    def _store(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = open_store(self._path)
            self._local.store = store
            with self._lock:
                self._opened.append(store)
        return store

    def call(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        return fn(self._store(), *args, **kwargs)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            for store in self._opened:
                store.close()
            self._opened.clear()


class BriefTree(app_commands.CommandTree):
    """The command tree: every command is tracked while it is answered, and refused at once
    with an apology while the bot shuts down."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        bot = self.client
        assert isinstance(bot, BriefBot)
        if bot.shutting_down:
            await bot.refuse_during_shutdown(interaction)
            return False
        if interaction.type is discord.InteractionType.application_command:
            bot.track(interaction)
        return True


class BriefBot(commands.AutoShardedBot):
    """briefbot's client: app commands only (no prefix commands, no privileged intents), the
    shards SHARD_IDS of SHARD_COUNT (one gateway connection each)."""

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] | None = None):
        # The bot never joins voice: no warnings about voice libraries at every start.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=discord.Intents(guilds=True),
            allowed_mentions=NO_MENTIONS,
            chunk_guilds_at_startup=False,
            guild_ready_timeout=0.5,
            tree_cls=BriefTree,
            # SHARD_COUNT=0: None for both, discord.py's defaults: it asks Discord for the count
            # (GET /gateway/bot) and runs every shard (its type hints omit the None it accepts).
            shard_count=settings.shard_count or None,
            shard_ids=settings.shard_id_list or None,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.clock: Callable[[], datetime] = clock or utc_now
        self._pools = {
            lane: _StorePool(settings.store_url, workers, f"briefbot-{lane}")
            for lane, workers in LANES.items()
        }
        self.tree.error(self._on_app_command_error)
        self.shutting_down = False
        self._answering: dict[asyncio.Task, discord.Interaction] = {}
        self._refused = 0

    async def in_store(
        self,
        fn: Callable[..., T],
        /,
        *args: Any,
        background: bool = False,
        quick: bool = False,
        lane: str | None = None,
        **kwargs: Any,
    ) -> T:
        """Run `fn(store, *args, **kwargs)` in a worker thread (with that thread's own Store) and
        return its result; the event loop stays free meanwhile. `background` is for scheduled
        work, `quick` for small reads, `lane` names one of LANES: each has its own pool."""
        pool = self._pools[lane or ("background" if background else "quick" if quick else "command")]
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool.executor, functools.partial(pool.call, fn, args, kwargs))

    async def setup_hook(self) -> None:
        # Open the quick lane's Store now: commands that answer without deferring use it, and
        # a first open (a schema check) could wait on a writer.
        await self.in_store(_opened, quick=True)
        for name in EXTENSIONS:
            await self.load_extension(name)
        from .sync import sync_commands

        await sync_commands(self)

    async def close(self) -> None:
        if not self.shutting_down:
            self.shutting_down = True
            await self._finish_answers()
        await super().close()
        for pool in self._pools.values():
            await asyncio.to_thread(pool.shutdown)

    def track(self, interaction: discord.Interaction) -> None:
        """The current task answers `interaction`: at shutdown it gets its answer or an apology."""
        task = asyncio.current_task()
        if task is None:
            return
        self._answering[task] = interaction
        task.add_done_callback(lambda done: self._answering.pop(done, None))

    async def refuse_during_shutdown(self, interaction: discord.Interaction) -> None:
        """An interaction that arrived while shutting down: an apology at once (autocomplete
        gets no choices)."""
        self._refused += 1
        try:
            if interaction.type is discord.InteractionType.autocomplete:
                await interaction.response.autocomplete([])
            else:
                await interaction.response.send_message(
                    SHUTDOWN_TEXT, ephemeral=True, allowed_mentions=NO_MENTIONS
                )
        except discord.HTTPException:
            log.info("could not refuse an interaction during shutdown", exc_info=True)

    async def _finish_answers(self) -> None:
        """On shutdown (a restart, a deploy), let the commands and button clicks being answered
        finish, up to SHUTDOWN_GRACE seconds; the ones still running then are stopped and get
        a short apology, so nobody is left with "thinking..." forever."""
        current = asyncio.current_task()
        answering = {
            task: ix for task, ix in self._answering.items() if task is not current and not task.done()
        }
        finished: set[asyncio.Task] = set()
        late: set[asyncio.Task] = set()
        if answering:
            log.info(
                "letting %d answer(s) finish (up to %.0f s) before closing",
                len(answering),
                self.settings.shutdown_grace,
            )
            finished, late = await asyncio.wait(answering, timeout=self.settings.shutdown_grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*(self._apologise(answering[task]) for task in late))
        log.info(
            "shutdown: %d answer(s) finished, %d apologised for after the grace period, "
            "%d interaction(s) refused during shutdown",
            len(finished),
            len(late),
            self._refused,
        )

    async def _apologise(self, interaction: discord.Interaction) -> None:
        """Replace a pending "thinking..." with SHUTDOWN_TEXT (a click gets an ephemeral note)."""
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(
                    SHUTDOWN_TEXT, ephemeral=True, allowed_mentions=NO_MENTIONS
                )
            elif interaction.type is discord.InteractionType.component:
                await interaction.followup.send(SHUTDOWN_TEXT, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.edit_original_response(
                    content=SHUTDOWN_TEXT, embed=None, view=None, allowed_mentions=NO_MENTIONS
                )
        except discord.HTTPException:
            log.warning("could not apologise for an unfinished answer", exc_info=True)

    def serves_guild(self, guild_id: int | str) -> bool:
        """Whether `guild_id` is on one of this process's shards (all of them when this process
        runs every shard)."""
        if not self.settings.shard_ids:
            return True
        return shard_of(guild_id, self.settings.shard_count) in self.settings.shard_id_list

    async def on_ready(self) -> None:
        log.info(
            "connected as %s to %d guild(s) on shard(s) %s of %d",
            self.user,
            len(self.guilds),
            ",".join(map(str, self.shard_ids or range(self.shard_count or 1))),
            self.shard_count,
        )

    async def _on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Unexpected failures: log them and tell the user briefly, never a silent timeout."""
        if isinstance(error, app_commands.CommandOnCooldown):
            wait = max(1, round(error.retry_after))
            await self.tell(interaction, f"You're asking quickly: try again in {wait} s.")
            return
        if isinstance(error, app_commands.CheckFailure):
            await self.tell(interaction, str(error) or "You can't use this command here.")
            return
        name = interaction.command.qualified_name if interaction.command else "?"
        await self.report_failure(interaction, error, f"command /{name}")

    async def report_failure(self, interaction: discord.Interaction, error: BaseException, what: str) -> None:
        """An unexpected exception while handling `interaction` (a command, a button): logged
        with its traceback (the token never appears in it), and a short apology to the user."""
        log.error("%s failed", what, exc_info=error)
        await self.tell(interaction, FAILURE_TEXT)

    async def tell(self, interaction: discord.Interaction, text: str) -> None:
        """An ephemeral message to the user, as a response or, once responded, a follow-up."""
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            else:
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.warning("could not report the error to the user", exc_info=True)


def create_bot(settings: Settings, *, clock: Callable[[], datetime] | None = None) -> BriefBot:
    """A client for these settings (REST and gateway URLs applied), not yet started."""
    point_discord_at(settings)
    return BriefBot(settings, clock=clock)


def run(settings: Settings) -> None:
    """Run the bot until SIGINT/SIGTERM. Exits with a clear message when the token is missing
    or rejected (the token itself is never logged)."""
    if not settings.discord_token.strip():
        raise SystemExit(
            "DISCORD_TOKEN is not set: put DISCORD_TOKEN=<your bot token> in .env "
            "(or the environment) and start again."
        )
    discord.utils.setup_logging(level=getattr(logging, settings.log_level.upper(), logging.INFO))
    redact_handlers()
    try:
        asyncio.run(_serve(settings))
    except discord.LoginFailure:
        raise SystemExit("Discord rejected DISCORD_TOKEN: check the bot token in .env.") from None
    except discord.PrivilegedIntentsRequired:
        raise SystemExit("Discord refused the gateway intents requested.") from None
    except OSError as error:  # aiohttp's connection errors are OSErrors: DNS, refused, no route...
        raise SystemExit(
            f"cannot reach Discord at {discord.http.Route.BASE}: {error} "
            "(check the network, or DISCORD_API_BASE)"
        ) from None


async def _serve(settings: Settings) -> None:
    bot = create_bot(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: loop.create_task(bot.close()))
    async with bot:
        await bot.start(settings.discord_token)
