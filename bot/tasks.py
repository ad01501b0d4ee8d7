"""Feed polling inside the bot process: every POLL_INTERVAL, `summarizer.sources.poll.poll_due` runs in
the background worker thread, so commands are never blocked by it. With POLL_IN_BOT=false the
bot does not poll: `briefbot poll --every` workers do (several bot shards, one database).

A feed that fails FEED_DISABLE_AFTER polls in a row is disabled (no longer polled; as
MonitoRSS does): logged once, and told once in the channel it was added in. The telling is
`DisabledFeedNotices`, which runs whoever polls: every DIGEST_CHECK_INTERVAL (and right after
the bot's own poll disabled a feed) it finds feeds disabled but not told yet, by a worker or by
a bot, and tells each once (a claim in the store: one process of all those sharing it), from
the process whose shards hold the feed's guild."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord.ext import commands, tasks

from summarizer.models import GLOBAL_SCOPE
from summarizer.sources.poll import (
    PollReport,
    claim_disabled_announcement,
    disable_source,
    poll_due,
    unannounced_disabled_sources,
)

from .app import NO_MENTIONS, BriefBot
from .render import CONTENT_LIMIT, escape, safe_url, truncate

log = logging.getLogger(__name__)


def disabled_notice(source: dict, failures: int) -> str:
    """What the channel that added a feed is told when it is disabled."""
    url = source["url"]
    name = escape(truncate(source.get("title") or url, 150))
    reason = escape(truncate(source.get("disabled_reason") or "", 500))
    text = (
        f"I stopped reading the feed **{name}** (<{safe_url(url) or escape(url)}>): it failed "
        f"{failures} times in a row. Last error: {reason}\n"
        "When it works again, `/sources add` it again to resume."
    )
    return truncate(text, CONTENT_LIMIT)


class PollCog(commands.Cog):
    """Polls due feeds on the configured interval; `poll_soon()` runs a poll right away."""

    def __init__(self, bot: BriefBot):
        self.bot = bot
        self._lock = asyncio.Lock()
        self.loop = tasks.loop(seconds=bot.settings.poll_interval_delta.total_seconds())(self.poll_once)
        self._extra: set[asyncio.Task] = set()

    async def cog_load(self) -> None:
        self.loop.start()

    async def cog_unload(self) -> None:
        self.loop.cancel()
        for task in self._extra:
            task.cancel()

    async def poll_once(self) -> int:
        """Poll the feeds that are due; returns how many articles were added. Failures are
        logged, never raised (the loop keeps running)."""
        async with self._lock:
            try:
                reports = await self.bot.in_store(
                    poll_due, self.bot.settings, self.bot.clock(), background=True
                )
            except Exception:
                log.exception("feed poll failed")
                return 0
        added = sum(report.added for report in reports)
        failed = [report for report in reports if not report.ok]
        if reports:
            log.info("polled %d feed(s): %d new article(s), %d failed", len(reports), added, len(failed))
        for report in failed:
            log.warning("feed %s: %s", report.url, report.error)
            if report.failures >= self.bot.settings.feed_disable_after:
                await self._disable(report)
        return added

    async def _disable(self, report: PollReport) -> None:
        """Disable a feed that keeps failing; say so once in the log and in the channel that added it."""
        source = await self.bot.in_store(
            disable_source, report.source_id, report.error, self.bot.clock(), background=True
        )
        if source is None:
            return
        log.warning(
            "disabled feed %s after %d failed polls in a row: %s", report.url, report.failures, report.error
        )
        notices = self.bot.get_cog("DisabledFeedNotices")
        if isinstance(notices, DisabledFeedNotices):
            await notices.tell_once()

    def poll_soon(self) -> None:
        """Poll now (e.g. after a feed was added) without waiting for the next tick."""
        task = asyncio.get_running_loop().create_task(self.poll_once())
        self._extra.add(task)
        task.add_done_callback(self._extra.discard)


class DisabledFeedNotices(commands.Cog):
    """Tells the channel that added a feed, once, that the feed was disabled (by this bot's
    poll or by a `briefbot poll` worker), every DIGEST_CHECK_INTERVAL."""

    def __init__(self, bot: BriefBot):
        self.bot = bot
        self._lock = asyncio.Lock()
        interval = bot.settings.digest_check_interval_delta.total_seconds()
        self.loop = tasks.loop(seconds=interval)(self.tell_once)

    async def cog_load(self) -> None:
        self.loop.start()

    async def cog_unload(self) -> None:
        self.loop.cancel()

    def _tells(self, source: dict) -> bool:
        """Whether this process tells about `source`: its guild is on this process's shards
        (a feed added in a DM: the process of shard 0, where Discord sends DMs)."""
        scope = source.get("scope") or GLOBAL_SCOPE
        if scope == GLOBAL_SCOPE or not scope.isdigit():
            return not self.bot.settings.shard_ids or 0 in self.bot.settings.shard_id_list
        return self.bot.serves_guild(scope)

    async def tell_once(self) -> int:
        """Tell every disabled feed not told yet (of this process's guilds); returns how many
        channels were told. Failures are logged, never raised (the loop keeps running)."""
        told = 0
        async with self._lock:
            try:
                pending = await self.bot.in_store(unannounced_disabled_sources, background=True)
            except Exception:
                log.exception("could not read the disabled feeds")
                return 0
            for source in pending:
                if not self._tells(source):
                    continue
                try:
                    mine = await self.bot.in_store(
                        claim_disabled_announcement, source["id"], self.bot.clock(), background=True
                    )
                except Exception:
                    log.exception("could not claim the notice of disabled feed %s", source["url"])
                    continue
                if mine and await self._tell(source):
                    told += 1
        return told

    async def _tell(self, source: dict) -> bool:
        channel_id = source.get("added_in_channel")
        if not channel_id:
            return False
        failures = int(source.get("consecutive_failures") or 0)
        try:
            channel = self.bot.get_partial_messageable(int(channel_id))
            await channel.send(disabled_notice(source, failures), allowed_mentions=NO_MENTIONS)
        except (discord.HTTPException, ValueError):
            url = source["url"]
            log.info("could not tell channel %s that feed %s was disabled", channel_id, url, exc_info=True)
            return False
        log.info("told channel %s that feed %s was disabled", channel_id, source["url"])
        return True


async def setup(bot: BriefBot) -> None:
    """discord.py extension entry point."""
    await bot.add_cog(DisabledFeedNotices(bot))
    if not bot.settings.poll_in_bot:
        log.info("feeds are polled by `briefbot poll` workers, not by this bot (POLL_IN_BOT=false)")
        return
    await bot.add_cog(PollCog(bot))
