"""`/brief topic [mode] [articles] [since] [new_since] [private]`: a cited summary, with buttons
to make it longer, shorter, switch mode or show what's new (editing the same message), and
topic autocomplete.

`new_since` makes it an update brief: only what the articles after that moment add (a
duration like 24h, a date, or `last digest`, this channel's last daily digest). The "What's
new" button under a plain brief turns it into the update since this channel's last digest
(24 hours without one). An update's moment is fixed when asked and stored with the request,
so its Longer/Shorter buttons keep telling the same update.

The command defers at once (the summary runs in a worker thread), then edits its reply; when
that final edit fails (rate limits past discord.py's retries), the answer goes out as a
follow-up, which fills the "thinking..." message.

Buttons survive restarts: they are discord.py persistent components (`BriefButton`, a
`DynamicItem` registered with `bot.add_dynamic_items`) whose custom id carries the brief's
state: the id of the request stored in the `brief_requests` table (topic, articles, since,
scope, requester), the mode and the length shown. Any bot process can answer a click, with
the click's own interaction token, for BRIEF_BUTTONS_HOURS; an older click answers "this
brief has expired" and removes the buttons.

Load: each mode's queue is bounded by BRIEF_QUEUE_DEADLINE (bot/load.py). A brief that could
not be answered in time in its mode is answered in the fast extractive mode with a note, or,
when that is saturated too, gets an apology at once; a brief still unanswered after
HARD_LIMIT_FACTOR deadlines (never past Discord's 15-minute token lifetime) gets an apology.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import cast

import discord
from discord import app_commands
from discord.ext import commands

from summarizer.briefs.digest import get_subscription
from summarizer.errors import BriefbotError, DigestError, QueryError
from summarizer.models import Brief
from summarizer.store import Store, parse_utc, utc_iso
from summarizer.store.search import describe_window, parse_since
from summarizer.summaries import MODES, get_summarizer, ready_modes

from .app import NO_MENTIONS, BriefBot, scope_of
from .load import ModeLoad
from .render import brief_embed, escape, timestamp, truncate

log = logging.getLogger(__name__)

# A brief's lengths in words: Longer and Shorter move one step (the default, BRIEF_WORDS,
# is placed among them).
WORD_STEPS = (40, 70, 100, 160, 250, 400)
MAX_BRIEF_CHARS = 3500  # the summary stays well inside an embed description (4,096)
MAX_ARTICLES = 10
MAX_TOPIC = 200  # characters; the option says so to Discord, the command checks it again
AUTOCOMPLETE_CHOICES = 25
CHOICE_CHARS = 100
TOPIC_REFRESH = 60.0  # seconds between refreshes of the autocomplete suggestions
_CAPITALISED = re.compile(r"(?:[A-Z][\w'’.-]*\s?)+")
COLD_WAIT = 1.5  # seconds autocomplete waits for a first load (Discord allows 3)
FAST_MODE = "extractive"
MODEL_LANE = {"semantic": "summaries", "abstractive": "summaries"}  # other modes: "command"
HARD_LIMIT_FACTOR = 3  # a brief unanswered after this many queue deadlines gets an apology
TOKEN_MARGIN = 14 * 60.0  # seconds: every answer goes out before the 15-minute token expires
# custom_id: brief:<action>:<request id, base 36>:<mode shown>:<words shown> (<= 100 chars)
BUTTON_TEMPLATE = (
    r"brief:(?P<action>longer|shorter|whats-new|to-[a-z]+):(?P<rid>[0-9a-z]{1,12})"
    r":(?P<mode>[a-z]{1,20}):(?P<words>\d{1,4})"
)

BUSY_TEXT = "I'm answering too many briefs right now; please try again in a minute."
SLOW_TEXT = "This brief took too long to prepare; please try again in a minute."
DOWNGRADE_NOTE = "{mode} summaries are busy right now, so this is the fast extractive summary."
EXPIRED_TEXT = "This brief has expired; run `/brief` again."
NOT_YOURS_TEXT = "Only the person who asked for this brief can change it; run `/brief` for your own."
WHATS_NEW = "whats-new"
WHATS_NEW_FALLBACK = timedelta(hours=24)  # "What's new" in a channel without a digest
LAST_DIGEST = {"last digest", "last-digest", "lastdigest", "digest"}
NO_DIGEST_TEXT = (
    "This channel has no daily digest yet, so there is no last digest to start from: "
    "use a duration like 24h or 3d, or a date like 2026-11-01."
)


@dataclass(frozen=True)
class BriefRequest:
    """What to summarize and how long; the buttons derive new requests from it."""

    topic: str
    mode: str
    words: int
    articles: int | None
    since: str | None
    scope: str
    user_id: int
    new_since: str | None = None  # an update brief: new since this moment (utc_iso)

    def longer(self) -> BriefRequest:
        """The same request one length step longer (up to the last of WORD_STEPS)."""
        return replace(self, words=next((w for w in WORD_STEPS if w > self.words), self.words))

    def shorter(self) -> BriefRequest:
        """The same request one length step shorter (down to the first of WORD_STEPS)."""
        return replace(self, words=next((w for w in reversed(WORD_STEPS) if w < self.words), self.words))

    def after(self, action: str) -> BriefRequest:
        """The request a button leads to: 'longer', 'shorter' or 'to-<mode>'."""
        if action == "longer":
            return self.longer()
        if action == "shorter":
            return self.shorter()
        return replace(self, mode=action.removeprefix("to-"))


def save_request(store: Store, request: BriefRequest, now: datetime, keep: timedelta) -> int:
    """Store what a posted brief asked for (its buttons carry the returned id); requests older
    than `keep` are deleted on the way (their buttons answer 'expired')."""
    with store.transaction():
        store.db.execute("DELETE FROM brief_requests WHERE created_at < ?", [utc_iso(now - keep)])
        row = store.db.execute(
            "INSERT INTO brief_requests (topic, articles, since, scope, user_id, created_at, new_since) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                request.topic,
                request.articles,
                request.since,
                request.scope,
                str(request.user_id),
                utc_iso(now),
                request.new_since,
            ],
        ).fetchone()
    return int(row[0])


def load_request(
    store: Store, request_id: int, mode: str, words: int, not_before: datetime
) -> BriefRequest | None:
    """The stored request `request_id` shown in `mode` with `words`, or None when it is
    unknown or older than `not_before`."""
    row = store.db.execute(
        "SELECT topic, articles, since, scope, user_id, created_at, new_since FROM brief_requests "
        "WHERE id = ?",
        [request_id],
    ).fetchone()
    created = parse_utc(row[5]) if row else None
    if row is None or created is None or created < not_before:
        return None
    topic, articles, since, scope, user_id, _, new_since = row
    return BriefRequest(topic, mode, words, articles, since, scope, int(user_id), new_since)


def last_digest_at(store: Store, channel_id: str) -> datetime | None:
    """When this channel's last daily digest was cut (None: no digest yet)."""
    subscription = get_subscription(store, channel_id)
    return subscription.last_digest_at if subscription else None


def resolve_new_since(store: Store, text: str, channel_id: str, now: datetime) -> datetime:
    """The moment `new_since` names: a duration back from now (24h, 3d), a date, or 'last
    digest' (this channel's). Raises BriefbotError saying what works."""
    if " ".join(text.lower().split()) in LAST_DIGEST:
        moment = last_digest_at(store, channel_id)
        if moment is None:
            raise DigestError(NO_DIGEST_TEXT)
        return moment
    try:
        return parse_since(text, now)
    except BriefbotError:
        raise QueryError(
            f"can't read new_since={text!r}: use a duration like 24h or 3d, a date like "
            "2026-11-01, or 'last digest' (this channel's last daily digest)"
        ) from None


def whats_new_since(store: Store, channel_id: str, now: datetime) -> datetime:
    """What the "What's new" button starts from: the channel's last digest, else 24 hours ago."""
    return last_digest_at(store, channel_id) or now - WHATS_NEW_FALLBACK


def run_brief(store: Store, topic: str, **options) -> Brief:
    """summarizer.briefs.brief.brief, imported here, in the worker thread: the summary modes load
    heavy libraries, which must not slow the bot's start nor block its event loop."""
    from summarizer.briefs.brief import brief

    return brief(store, topic, **options)


def timed_brief(store: Store, topic: str, **options) -> tuple[Brief, float]:
    """run_brief and the seconds it took in its worker (queueing excluded)."""
    started = time.perf_counter()
    result = run_brief(store, topic, **options)
    return result, time.perf_counter() - started


def _max_chars(bot: BriefBot, words: int) -> int:
    """The character budget grows with the word budget, from the configured default."""
    settings = bot.settings
    scaled = settings.brief_max_chars * words / max(settings.brief_words, 1)
    return int(min(MAX_BRIEF_CHARS, max(settings.brief_max_chars, scaled)))


def no_match_text(brief: Brief, since_words: str) -> str:
    """What was searched, how much the store holds, and what to try next."""
    topic = escape(truncate(brief.topic, 200))
    if brief.store_size == 0:
        return (
            f"No articles are stored yet, so there is nothing to brief on **{topic}**.\n"
            "Add a feed with `/sources add` or a page with `/sources ingest`."
        )
    return (
        f"Nothing about **{topic}** among {brief.store_size} article{'s' if brief.store_size != 1 else ''} "
        f"({since_words}).\n"
        "Try other words, a wider `since` (or none), or add sources with "
        "`/sources add` or `/sources ingest`."
    )


def no_news_text(brief: Brief, new_since: datetime) -> str:
    """An update brief with nothing new: since when, and what to try."""
    topic = escape(truncate(brief.topic, 200))
    return (
        f"Nothing new about **{topic}** since {timestamp(new_since, 'f')}.\n"
        "Try an earlier `new_since`, or a plain `/brief` for everything stored on it."
    )


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


class BriefButton(discord.ui.DynamicItem[discord.ui.Button], template=BUTTON_TEMPLATE):
    """Longer / Shorter / another mode, for the brief whose state is in the custom id; any
    bot process answers it (after a restart too)."""

    def __init__(
        self, action: str, request_id: int, mode: str, words: int, *, label: str, disabled: bool = False
    ):
        custom_id = f"brief:{action}:{_base36(request_id)}:{mode}:{words}"
        super().__init__(
            discord.ui.Button(
                label=label, custom_id=custom_id, disabled=disabled, style=discord.ButtonStyle.secondary
            )
        )
        self.action, self.request_id, self.mode, self.words = action, request_id, mode, words

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /
    ):
        return cls(
            match["action"],
            int(match["rid"], 36),
            match["mode"],
            int(match["words"]),
            label=getattr(item, "label", None) or "",
            disabled=bool(getattr(item, "disabled", False)),
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = cast(BriefBot, interaction.client).get_cog("BriefCog")
        if isinstance(cog, BriefCog):
            await cog.clicked(interaction, self)


class OldBriefButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"brief:(?:longer|shorter|mode:[a-z]+)"
):
    """Buttons of briefs posted before buttons carried their state (their request is unknown):
    a click says the brief expired and removes them, instead of "This interaction failed"."""

    def __init__(self, item: discord.ui.Button):
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item, match: re.Match[str], /
    ):
        return cls(discord.ui.Button(label=getattr(item, "label", None) or "", custom_id=match.group(0)))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog = cast(BriefBot, interaction.client).get_cog("BriefCog")
        if isinstance(cog, BriefCog):
            await cog.expired(interaction)


def brief_view(bot: BriefBot, request_id: int, request: BriefRequest) -> discord.ui.View:
    """The buttons under a brief (no timeout: they are persistent; see the module docstring)."""
    view = discord.ui.View(timeout=None)
    shown = (request_id, request.mode, request.words)
    view.add_item(BriefButton("longer", *shown, label="Longer", disabled=request.longer() == request))
    view.add_item(BriefButton("shorter", *shown, label="Shorter", disabled=request.shorter() == request))
    if request.new_since is None:
        view.add_item(BriefButton(WHATS_NEW, *shown, label="What's new"))
    for mode in ready_modes(bot.settings):  # no button that can only fail
        if mode != request.mode:
            view.add_item(BriefButton(f"to-{mode}", *shown, label=mode.capitalize()))
    return view


def _cooldown(interaction: discord.Interaction) -> app_commands.Cooldown | None:
    """BRIEF_COOLDOWN_RATE uses per BRIEF_COOLDOWN_SECONDS per user (none when the rate is 0)."""
    settings = cast(BriefBot, interaction.client).settings
    if settings.brief_cooldown_rate <= 0:
        return None
    return app_commands.Cooldown(settings.brief_cooldown_rate, settings.brief_cooldown_seconds)


class TopicSuggestions:
    """Recent titles and frequent title phrases per scope, kept in memory for autocomplete."""

    def __init__(self, bot: BriefBot):
        self.bot = bot
        self._cache: dict[str, tuple[float, list[str]]] = {}
        self._loading: dict[str, asyncio.Task] = {}

    @staticmethod
    def build(store: Store, scope: str) -> list[str]:
        """Names that recur in recent titles (capitalised words and runs such as 'Time Warner'),
        most frequent first, then the titles themselves, newest first."""
        titles = store.recent_titles(scope)
        phrases: Counter[str] = Counter()
        for title in titles:
            for match in _CAPITALISED.finditer(title):
                words = match.group().split()
                if match.start() == 0 and len(words) == 1:
                    continue  # a title's first word is capitalised anyway
                names = {w for w in words if len(w) >= 3}
                if len(words) > 1:
                    names.add(" ".join(words))
                phrases.update(names)
        keywords = [p for p, n in phrases.most_common(100) if n > 1]
        seen: set[str] = set()
        out = []
        for text in keywords + [t.strip() for t in titles]:
            if text and text.lower() not in seen:
                seen.add(text.lower())
                out.append(text)
        return out

    def _load(self, scope: str) -> asyncio.Task:
        task = self._loading.get(scope)
        if task is None or task.done():

            async def load() -> None:
                suggestions = await self.bot.in_store(self.build, scope, quick=True)
                self._cache[scope] = (time.monotonic(), suggestions)

            task = asyncio.get_running_loop().create_task(load())
            self._loading[scope] = task
        return task

    async def suggest(self, scope: str, current: str) -> list[str]:
        """At most 25 suggestions matching what the user typed, answered from memory."""
        cached = self._cache.get(scope)
        if cached is None:
            try:
                await asyncio.wait_for(asyncio.shield(self._load(scope)), COLD_WAIT)
            except TimeoutError:
                return []
            cached = self._cache[scope]
        elif time.monotonic() - cached[0] > TOPIC_REFRESH:
            self._load(scope)  # refresh in the background; answer from what we have
        words = current.lower().split()
        matches = [s for s in cached[1] if all(w in s.lower() for w in words)]
        return matches[:AUTOCOMPLETE_CHOICES]


class BriefCog(commands.Cog):
    """The /brief command and its buttons."""

    def __init__(self, bot: BriefBot):
        self.bot = bot
        self.topics = TopicSuggestions(bot)
        self._preparing: asyncio.Task | None = None
        lanes = {mode: MODEL_LANE.get(mode, "command") for mode in MODES}
        self.load = ModeLoad(lanes, {"command": 2, "summaries": 1}, bot.settings.brief_queue_deadline)
        self.hard_limit = min(HARD_LIMIT_FACTOR * bot.settings.brief_queue_deadline, TOKEN_MARGIN)

    async def cog_load(self) -> None:
        # Models load in a thread at start (the default mode's first), not in a user's /brief:
        # a first load takes seconds, which the queue deadline cannot foresee.
        self._preparing = asyncio.get_running_loop().create_task(self._prepare_modes())
        self.bot.add_dynamic_items(BriefButton, OldBriefButton)

    async def cog_unload(self) -> None:
        if self._preparing is not None:
            self._preparing.cancel()
        self.bot.remove_dynamic_items(BriefButton, OldBriefButton)

    async def _prepare_modes(self) -> None:
        settings = self.bot.settings
        modes = dict.fromkeys([settings.default_mode, *ready_modes(settings)])
        for mode in modes:
            try:
                await asyncio.to_thread(get_summarizer(mode, settings).prepare)
            except Exception as error:  # the mode's own error reaches users when they ask for it
                log.warning("could not prepare the %r mode: %s", mode, error)

    @app_commands.command(
        name="brief", description="A short summary of the stored news on a topic, with sources"
    )
    @app_commands.describe(
        topic="What to brief on: words, a name, or a quoted phrase",
        mode="How to summarize (default: the server's default mode)",
        articles="How many articles to draw from (1-10)",
        since="Only articles from this window: 24h, 7d, or a date like 2026-11-01",
        new_since="Only what is new since: 24h, 3d, a date like 2026-11-01, or 'last digest'",
        private="Only you see the answer",
    )
    @app_commands.choices(mode=[app_commands.Choice(name=m, value=m) for m in MODES])
    @app_commands.checks.dynamic_cooldown(_cooldown)
    async def brief(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, MAX_TOPIC],
        mode: str | None = None,
        articles: app_commands.Range[int, 1, MAX_ARTICLES] | None = None,
        since: app_commands.Range[str, 1, 40] | None = None,
        new_since: app_commands.Range[str, 1, 40] | None = None,
        private: bool = False,
    ) -> None:
        started = time.monotonic()
        topic = " ".join(topic.split())
        if len(topic) > MAX_TOPIC:  # Discord enforces the option's limit; a proxy might not
            await interaction.response.send_message(
                f"That topic is {len(topic)} characters long: "
                f"keep it under {MAX_TOPIC}, a few words are best.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        update_from = None
        if new_since:  # checked before answering, so a mistake is told to the user alone
            try:
                moment = await self.bot.in_store(
                    resolve_new_since, new_since, str(interaction.channel_id), self.bot.clock(), quick=True
                )
            except BriefbotError as error:
                await interaction.response.send_message(
                    escape(str(error)), ephemeral=True, allowed_mentions=NO_MENTIONS
                )
                return
            update_from = utc_iso(moment)
        await interaction.response.defer(thinking=True, ephemeral=private)
        request = BriefRequest(
            topic=topic,
            mode=mode or self.bot.settings.default_mode,
            words=self.bot.settings.brief_words,
            articles=articles,
            since=since,
            scope=scope_of(interaction),
            user_id=interaction.user.id,
            new_since=update_from,
        )
        answered, embed, text = await self.compose(request, started, fallback=True)
        view = None
        if embed is not None:
            keep = timedelta(hours=self.bot.settings.brief_buttons_hours)
            request_id = await self.bot.in_store(save_request, answered, self.bot.clock(), keep, quick=True)
            view = brief_view(self.bot, request_id, answered)
        await self.finish(interaction, content=text, embed=embed, view=view, ephemeral=private)

    @brief.autocomplete("topic")
    async def topic_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        suggestions = await self.topics.suggest(scope_of(interaction), current)
        choices = []
        for text in suggestions:
            value = truncate(text, CHOICE_CHARS)
            choices.append(app_commands.Choice(name=value, value=value))
        return choices

    def _admit(self, mode: str, fallback: bool) -> tuple[str | None, str | None]:
        """The mode to answer in now (None: too busy) and a note when it is not the one asked."""
        if self.load.admit(mode):
            return mode, None
        if fallback and mode != FAST_MODE and self.load.admit(FAST_MODE):
            log.info("%s briefs are past the queue deadline: answering in %s", mode, FAST_MODE)
            return FAST_MODE, DOWNGRADE_NOTE.format(mode=mode.capitalize())
        log.info("%s briefs are past the queue deadline: apologising", mode)
        return None, None

    async def compose(
        self, request: BriefRequest, started: float, *, fallback: bool
    ) -> tuple[BriefRequest, discord.Embed | None, str | None]:
        """Run the brief in a worker thread, within the queue deadline (see the module
        docstring). Returns the request answered (its mode may be the fast one), and the embed
        with an optional note, or no embed and a message to show."""
        now = self.bot.clock()
        try:
            since = parse_since(request.since, now) if request.since else None
        except (ValueError, BriefbotError) as error:
            return request, None, escape(str(error))  # the engine's message names `since` and what it takes
        new_since = parse_utc(request.new_since)
        mode, note = self._admit(request.mode, fallback)
        if mode is None:
            return request, None, BUSY_TEXT
        request = replace(request, mode=mode)
        elapsed = None
        try:
            result, elapsed = await asyncio.wait_for(
                self.bot.in_store(
                    timed_brief,
                    request.topic,
                    lane=MODEL_LANE.get(mode, "command"),
                    settings=self.bot.settings,
                    mode=mode,
                    articles=request.articles,
                    words=request.words,
                    max_chars=_max_chars(self.bot, request.words),
                    since=since,
                    scope=request.scope,
                    now=now,
                    new_since=new_since,
                ),
                self.hard_limit,
            )
        except TimeoutError:
            log.warning("a %s brief was not ready after %.0f s: apologising", mode, self.hard_limit)
            return request, None, SLOW_TEXT
        except BriefbotError as error:
            return request, None, escape(str(error))
        finally:
            self.load.done(mode, elapsed)
        if result.empty and new_since is not None:
            return request, None, no_news_text(result, new_since)
        if result.empty:
            return request, None, no_match_text(result, describe_window(since, now))
        return request, brief_embed(result, time.monotonic() - started, new_since), note

    async def finish(
        self,
        interaction: discord.Interaction,
        *,
        content: str | None,
        embed: discord.Embed | None,
        view: discord.ui.View | None,
        ephemeral: bool,
    ) -> None:
        """Edit the deferred reply into the answer; when that edit fails (e.g. rate limited past
        discord.py's retries), send the answer as a follow-up, which replaces "thinking..."."""
        try:
            await interaction.edit_original_response(
                content=content, embed=embed, view=view, allowed_mentions=NO_MENTIONS
            )
        except discord.HTTPException as error:
            log.warning(
                "could not edit the reply into the answer (%s %s): sending a follow-up",
                error.status,
                error.code,
            )
            await interaction.followup.send(
                content=content or discord.utils.MISSING,
                embed=embed or discord.utils.MISSING,
                view=view or discord.utils.MISSING,
                ephemeral=ephemeral,
                allowed_mentions=NO_MENTIONS,
            )

    async def clicked(self, interaction: discord.Interaction, button: BriefButton) -> None:
        """A brief's button: check it is still valid and the requester's, then summarize again
        and edit the same message. discord.py only logs a failing dynamic item: apologise here."""
        bot = self.bot
        if bot.shutting_down:
            await bot.refuse_during_shutdown(interaction)
            return
        bot.track(interaction)
        try:
            not_before = bot.clock() - timedelta(hours=bot.settings.brief_buttons_hours)
            request = await bot.in_store(
                load_request, button.request_id, button.mode, button.words, not_before, quick=True
            )
            if request is None or button.mode not in MODES:
                await self.expired(interaction)
                return
            if interaction.user.id != request.user_id:
                await interaction.response.send_message(
                    NOT_YOURS_TEXT, ephemeral=True, allowed_mentions=NO_MENTIONS
                )
                return
            if button.action == WHATS_NEW:
                await self.whats_new(interaction, request)
                return
            await self.rerun(interaction, button.request_id, request.after(button.action))
        except Exception as error:
            await bot.report_failure(interaction, error, f"button {button.custom_id}")

    async def whats_new(self, interaction: discord.Interaction, request: BriefRequest) -> None:
        """The "What's new" button: the same brief as an update since this channel's last
        digest (else 24 hours), stored as a request of its own so its buttons keep it."""
        bot, now = self.bot, self.bot.clock()
        moment = await bot.in_store(whats_new_since, str(interaction.channel_id), now, quick=True)
        update = replace(request, new_since=utc_iso(moment))
        keep = timedelta(hours=bot.settings.brief_buttons_hours)
        request_id = await bot.in_store(save_request, update, now, keep, quick=True)
        await self.rerun(interaction, request_id, update)

    async def expired(self, interaction: discord.Interaction) -> None:
        """A click on a brief whose request is gone: remove its buttons and say so."""
        await interaction.response.edit_message(view=None, allowed_mentions=NO_MENTIONS)
        await interaction.followup.send(EXPIRED_TEXT, ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def rerun(self, interaction: discord.Interaction, request_id: int, request: BriefRequest) -> None:
        """Summarize again as a button asked and edit the same message."""
        started = time.monotonic()
        await interaction.response.defer()
        answered, embed, text = await self.compose(request, started, fallback=False)
        if embed is None:
            await interaction.followup.send(str(text), ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        view = brief_view(self.bot, request_id, answered)
        ephemeral = bool(interaction.message and interaction.message.flags.ephemeral)
        await self.finish(interaction, content=None, embed=embed, view=view, ephemeral=ephemeral)


async def setup(bot: BriefBot) -> None:
    """discord.py extension entry point."""
    await bot.add_cog(BriefCog(bot))
