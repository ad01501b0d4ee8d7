"""`/sources add|list|remove|ingest`: the feeds a server follows (scoped to the server), and
one page ingested now. Changing sources needs Manage Server; replies are ephemeral.

A server follows at most MAX_FEEDS_PER_GUILD feeds. The channel a feed was added in is kept:
when polling disables the feed after FEED_DISABLE_AFTER failures in a row (bot/tasks.py), it
is told there once, and `/sources list` shows why; adding the feed again resumes it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands
from discord.ext import commands

from summarizer.config import Settings
from summarizer.errors import BriefbotError
from summarizer.models import IngestResult, Outcome
from summarizer.sources.ingest import ingest
from summarizer.sources.poll import add_feed
from summarizer.store import Store, parse_utc

from .app import NO_MENTIONS, BriefBot, scope_of
from .checks import require_manage_guild
from .render import CONTENT_LIMIT, embed_pages, escape, link, message_batches, safe_url, timestamp, truncate

if TYPE_CHECKING:  # bot.tasks is loaded as an extension: its classes are not the imported ones
    from .tasks import PollCog

log = logging.getLogger(__name__)

URL_CHARS = 2000


async def _accept_url(interaction: discord.Interaction, url: str) -> bool:
    """Defer (fetching takes a moment) when `url` is an http(s) address; else refuse it with
    a readable message and return False."""
    if safe_url(url) is None:
        await interaction.response.send_message(
            f"`{escape(truncate(url, 200))}` is not a web address: give a link starting with https://",
            ephemeral=True,
            allowed_mentions=NO_MENTIONS,
        )
        return False
    await interaction.response.defer(ephemeral=True, thinking=True)
    return True


class TooManyFeeds(BriefbotError):
    """The server already follows MAX_FEEDS_PER_GUILD feeds."""


def follow_feed(store: Store, url: str, settings: Settings, scope: str, channel_id: str) -> tuple[dict, str]:
    """Follow `url` in `scope`, remembering the channel it was added in. Returns the source row
    and what happened: 'added', 'resumed' (it was disabled: polled again from now) or
    'already'. Raises TooManyFeeds past MAX_FEEDS_PER_GUILD, and add_feed's errors."""
    existing = store.get_source(url, scope)
    if existing is None:
        count = store.db.execute("SELECT count(*) FROM sources WHERE scope = ?", [scope]).fetchone()[0]
        if count >= settings.max_feeds_per_guild:
            raise TooManyFeeds(
                f"this server already follows {count} feeds, the most allowed: "
                "remove one with `/sources remove` first."
            )
        existing, created = add_feed(store, url, settings, scope)
        if not created:
            return existing, "already"
        store.update_source(existing["id"], added_in_channel=channel_id)
        return existing, "added"
    if existing.get("disabled_at"):
        store.update_source(
            existing["id"],
            disabled_at=None,
            disabled_reason=None,
            consecutive_failures=0,
            next_poll_at=None,
            added_in_channel=channel_id,
        )
        return existing, "resumed"
    return existing, "already"


def source_line(source: dict) -> str:
    """One feed in `/sources list`: its title and link, when it was last read, its state."""
    title = source.get("title") or source["url"]
    line = link(truncate(title, 120), source["url"])
    if source["url"] != title:
        line += f" — <{safe_url(source['url']) or escape(source['url'])}>"
    polled = parse_utc(source.get("last_polled_at"))
    line += f"\n  last read {timestamp(polled, 'R')}" if polled else "\n  not read yet"
    disabled = parse_utc(source.get("disabled_at"))
    if disabled:
        reason = escape(truncate(source.get("disabled_reason") or "it kept failing", 200))
        line += f" · **disabled** {timestamp(disabled, 'R')}: {reason} (`/sources add` it again to resume)"
    elif source.get("last_error"):
        line += f" · failing: {escape(truncate(source['last_error'], 200))}"
    return line


def ingest_line(result: IngestResult) -> str:
    """One ingested item, as a user reads it."""
    title = escape(truncate(result.title or result.item, 150))
    if result.outcome == Outcome.ADDED:
        return f"Added **{title}**."
    if result.outcome == Outcome.UPDATED:
        return f"Updated **{title}** (its text had changed)."
    if result.outcome == Outcome.DUPLICATE:
        return f"Already stored: **{title}**."
    return f"Could not add {escape(truncate(result.item, 200))}: {escape(truncate(result.reason, 500))}"


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class SourcesCog(
    commands.GroupCog,
    group_name="sources",
    group_description="The feeds this server follows, and pages to add now",
):
    """Feeds scoped to the server (guild id); their articles are visible only there."""

    def __init__(self, bot: BriefBot):
        self.bot = bot
        super().__init__()

    @app_commands.command(
        name="add", description="Follow an RSS or Atom feed: its new articles are stored as they appear"
    )
    @app_commands.describe(url="The feed's address (https://...)")
    @require_manage_guild("add sources")
    async def add(self, interaction: discord.Interaction, url: app_commands.Range[str, 1, URL_CHARS]) -> None:
        if not await _accept_url(interaction, url):
            return
        try:
            source, outcome = await self.bot.in_store(
                follow_feed,
                url.strip(),
                self.bot.settings,
                scope_of(interaction),
                str(interaction.channel_id),
            )
        except TooManyFeeds as error:
            text = f"Could not add that feed: {error}"
        except BriefbotError as error:
            text = f"Could not add that feed: {escape(str(error))}"
        else:
            name = link(truncate(source.get("title") or source["url"], 150), source["url"])
            if outcome == "already":
                text = f"Already following {name}."
            else:
                verb = "Now following" if outcome == "added" else "Following again"
                text = f"{verb} {name}; its new articles arrive every {self.bot.settings.poll_interval}."
                poller = cast("PollCog | None", self.bot.get_cog("PollCog"))
                if poller is not None:
                    poller.poll_soon()
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name="list", description="The feeds this server follows, and how their last read went"
    )
    async def list_(self, interaction: discord.Interaction) -> None:
        sources = await self.bot.in_store(Store.list_sources, scope_of(interaction), quick=True)
        if not sources:
            await interaction.response.send_message(
                "This server follows no feeds yet: add one with `/sources add`.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        count = len(sources)
        embeds = embed_pages(
            [source_line(s) for s in sources],
            title=f"Feeds followed here ({count})",
        )
        batches = message_batches(embeds)
        await interaction.response.send_message(
            embeds=batches[0], ephemeral=True, allowed_mentions=NO_MENTIONS
        )
        for batch in batches[1:]:
            await interaction.followup.send(embeds=batch, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="remove", description="Stop following a feed (articles already stored stay)")
    @app_commands.describe(url="The feed's address, as /sources list shows it")
    @require_manage_guild("remove sources")
    async def remove(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, URL_CHARS]
    ) -> None:
        removed = await self.bot.in_store(Store.remove_source, url.strip(), scope_of(interaction), quick=True)
        shown = truncate(url.strip(), 300).replace("`", "'")  # inside backticks: no escaping
        if removed:
            text = f"Stopped following <{safe_url(url) or shown}>; its stored articles stay."
        else:
            text = f"This server does not follow `{shown}`; `/sources list` shows the feeds it follows."
        await interaction.response.send_message(
            truncate(text, CONTENT_LIMIT), ephemeral=True, allowed_mentions=NO_MENTIONS
        )

    @remove.autocomplete("url")
    async def remove_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        sources = await self.bot.in_store(Store.list_sources, scope_of(interaction), quick=True)
        needle = current.lower()
        choices = []
        for source in sources:
            label = f"{source.get('title') or ''} {source['url']}".strip()
            if needle in label.lower() and len(source["url"]) <= 100:
                choices.append(app_commands.Choice(name=truncate(label, 100), value=source["url"]))
        return choices[:25]

    @app_commands.command(name="ingest", description="Add one web page to this server's articles now")
    @app_commands.describe(url="The page's address (https://...)")
    @require_manage_guild("add pages")
    async def ingest_(
        self, interaction: discord.Interaction, url: app_commands.Range[str, 1, URL_CHARS]
    ) -> None:
        if not await _accept_url(interaction, url):
            return
        results = await self.bot.in_store(
            ingest, [url.strip()], self.bot.settings, scope=scope_of(interaction)
        )
        lines = [ingest_line(r) for r in results] or ["Nothing could be read at that address."]
        text = truncate("\n".join(lines), CONTENT_LIMIT)
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)


async def setup(bot: BriefBot) -> None:
    """discord.py extension entry point."""
    await bot.add_cog(SourcesCog(bot))
