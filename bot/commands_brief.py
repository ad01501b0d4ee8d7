"""`/brief topic [mode] [articles] [since] [private]`: a cited summary, with buttons to make it
longer, shorter or switch mode (editing the same message), and topic autocomplete.

The command defers at once (the summary runs in a worker thread), then edits its reply.
Buttons live as long as the interaction token that lets the bot edit the reply (15 min,
with a margin); then they are removed.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, replace

import discord
from discord import app_commands
from discord.ext import commands

from summarizer.errors import BriefbotError
from summarizer.models import Brief
from summarizer.store.search import describe_window, parse_since
from summarizer.store import Store
from summarizer.summaries import MODES, get_summarizer, ready_modes

from .app import NO_MENTIONS, BriefBot, scope_of
from .render import brief_embed, escape, truncate

log = logging.getLogger(__name__)

MAX_SENTENCES = 10
SENTENCE_STEP = 2
MAX_BRIEF_CHARS = 3500  # the summary stays well inside an embed description (4,096)
MAX_ARTICLES = 10
BUTTON_LIFETIME = 14.5 * 60  # seconds; the /brief token (15 min) must still edit the reply
AUTOCOMPLETE_CHOICES = 25
CHOICE_CHARS = 100
TOPIC_REFRESH = 60.0  # seconds between refreshes of the autocomplete suggestions
_CAPITALISED = re.compile(r"(?:[A-Z][\w'’.-]*\s?)+")
COLD_WAIT = 1.5  # seconds autocomplete waits for a first load (Discord allows 3)


@dataclass(frozen=True)
class BriefRequest:
    """What to summarize and how long; the buttons derive new requests from it."""

    topic: str
    mode: str
    sentences: int
    articles: int | None
    since: str | None
    scope: str
    user_id: int

    def longer(self) -> BriefRequest:
        """The same request with a few more sentences (up to MAX_SENTENCES)."""
        return replace(self, sentences=min(MAX_SENTENCES, self.sentences + SENTENCE_STEP))

    def shorter(self) -> BriefRequest:
        """The same request with a few fewer sentences (at least one)."""
        return replace(self, sentences=max(1, self.sentences - SENTENCE_STEP))


def run_brief(store: Store, topic: str, **options) -> Brief:
    """summarizer.briefs.brief.brief, imported here, in the worker thread: the summary modes load
    heavy libraries, which must not slow the bot's start nor block its event loop."""
    from summarizer.briefs.brief import brief

    return brief(store, topic, **options)


def _max_chars(bot: BriefBot, sentences: int) -> int:
    """The character budget grows with the sentence count, from the configured default."""
    settings = bot.settings
    scaled = settings.brief_max_chars * sentences / max(settings.brief_sentences, 1)
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
        f"No stored article matches **{topic}** ({since_words}; "
        f"{brief.store_size} article{'s' if brief.store_size != 1 else ''} searched).\n"
        "Try fewer or broader words, a wider `since` (or none), or add sources with "
        "`/sources add` or `/sources ingest`."
    )


class BriefView(discord.ui.View):
    """Longer / Shorter / other modes for one brief; only its requester may use them."""

    def __init__(self, cog: BriefCog, request: BriefRequest, origin: discord.Interaction, deadline: float):
        super().__init__(timeout=max(deadline - time.monotonic(), 1.0))
        self.cog, self.request, self.origin, self.deadline = cog, request, origin, deadline
        self._add("Longer", "brief:longer", request.sentences >= MAX_SENTENCES, self.request.longer)
        self._add("Shorter", "brief:shorter", request.sentences <= 1, self.request.shorter)
        for mode in ready_modes(cog.bot.settings):  # no button that can only fail
            if mode != request.mode:
                self._add(mode.capitalize(), f"brief:mode:{mode}", False, lambda m=mode: replace(self.request, mode=m))

    def _add(self, label: str, custom_id: str, disabled: bool, derive) -> None:
        button = discord.ui.Button(label=label, custom_id=custom_id, disabled=disabled, style=discord.ButtonStyle.secondary)

        async def clicked(interaction: discord.Interaction) -> None:
            await self.cog.rerun(interaction, self, derive())

        button.callback = clicked
        self.add_item(button)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        # discord.py restarts the timeout after each click; keep the token's absolute deadline.
        self.timeout = max(self.deadline - time.monotonic(), 1.0)
        if interaction.user.id == self.request.user_id:
            return True
        await interaction.response.send_message(
            "Only the person who asked for this brief can change it; run `/brief` for your own.",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        return False

    async def on_error(self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item) -> None:
        """A click that failed unexpectedly: an apology, not silence (discord.py only logs)."""
        await self.cog.bot.report_failure(interaction, error, f"button {getattr(item, 'custom_id', '?')}")

    async def on_timeout(self) -> None:
        """The token that edits the reply is about to expire: take the buttons away."""
        try:
            await self.origin.edit_original_response(view=None, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException:
            log.info("could not remove the buttons of an old brief", exc_info=True)


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
            except (TimeoutError, asyncio.TimeoutError):
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

    async def cog_load(self) -> None:
        # The default mode's model loads in a thread at start, not in the first user's /brief.
        self._preparing = asyncio.get_running_loop().create_task(self._prepare_default_mode())

    async def cog_unload(self) -> None:
        if self._preparing is not None:
            self._preparing.cancel()

    async def _prepare_default_mode(self) -> None:
        try:
            summarizer = get_summarizer(self.bot.settings.default_mode, self.bot.settings)
            await asyncio.to_thread(summarizer.prepare)
        except Exception as error:  # the mode's own error reaches users when they ask for it
            log.warning("could not prepare the default mode %r: %s", self.bot.settings.default_mode, error)

    @app_commands.command(name="brief", description="A short summary of the stored news on a topic, with sources")
    @app_commands.describe(
        topic="What to brief on: words, a name, or a quoted phrase",
        mode="How to summarize (default: the server's default mode)",
        articles="How many articles to draw from (1-10)",
        since="Only articles from this window: 24h, 7d, or a date like 2026-11-01",
        private="Only you see the answer",
    )
    @app_commands.choices(mode=[app_commands.Choice(name=m, value=m) for m in MODES])
    async def brief(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, 200],
        mode: str | None = None,
        articles: app_commands.Range[int, 1, MAX_ARTICLES] | None = None,
        since: app_commands.Range[str, 1, 40] | None = None,
        private: bool = False,
    ) -> None:
        started = time.monotonic()
        await interaction.response.defer(thinking=True, ephemeral=private)
        request = BriefRequest(
            topic=topic.strip(),
            mode=mode or self.bot.settings.default_mode,
            sentences=max(1, min(MAX_SENTENCES, self.bot.settings.brief_sentences)),
            articles=articles,
            since=since,
            scope=scope_of(interaction),
            user_id=interaction.user.id,
        )
        embed, text = await self.compose(request, started)
        view = None
        if embed is not None:
            view = BriefView(self, request, interaction, deadline=started + BUTTON_LIFETIME)
        await interaction.edit_original_response(
            content=text, embed=embed, view=view, allowed_mentions=NO_MENTIONS
        )

    @brief.autocomplete("topic")
    async def topic_autocomplete(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        suggestions = await self.topics.suggest(scope_of(interaction), current)
        choices = []
        for text in suggestions:
            value = truncate(text, CHOICE_CHARS)
            choices.append(app_commands.Choice(name=value, value=value))
        return choices

    async def compose(self, request: BriefRequest, started: float) -> tuple[discord.Embed | None, str | None]:
        """Run the brief in a worker thread; return (embed, None) or (None, a message to show)."""
        now = self.bot.clock()
        try:
            since = parse_since(request.since, now) if request.since else None
        except (ValueError, BriefbotError) as error:
            return None, escape(str(error))  # the engine's message names `since` and what it takes
        try:
            result = await self.bot.in_store(
                run_brief,
                request.topic,
                settings=self.bot.settings,
                mode=request.mode,
                articles=request.articles,
                sentences=request.sentences,
                max_chars=_max_chars(self.bot, request.sentences),
                since=since,
                scope=request.scope,
                now=now,
            )
        except BriefbotError as error:
            return None, escape(str(error))
        if result.empty:
            return None, no_match_text(result, describe_window(since, now))
        return brief_embed(result, time.monotonic() - started), None

    async def rerun(self, interaction: discord.Interaction, view: BriefView, request: BriefRequest) -> None:
        """A button was clicked: summarize again and edit the same message."""
        started = time.monotonic()
        await interaction.response.defer()
        embed, text = await self.compose(request, started)
        if embed is None:
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        view.stop()
        new_view = BriefView(self, request, view.origin, view.deadline)
        await interaction.edit_original_response(content=None, embed=embed, view=new_view, allowed_mentions=NO_MENTIONS)


async def setup(bot: BriefBot) -> None:
    """discord.py extension entry point."""
    await bot.add_cog(BriefCog(bot))
