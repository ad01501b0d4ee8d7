"""Feed polling inside the bot process: every POLL_INTERVAL, `summarizer.sources.poll.poll_due` runs in
the background worker thread, so commands are never blocked by it."""

from __future__ import annotations

import asyncio
import logging

from discord.ext import commands, tasks

from summarizer.sources.poll import poll_due

from .app import BriefBot

log = logging.getLogger(__name__)


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
                reports = await self.bot.in_store(poll_due, self.bot.settings, self.bot.clock(), background=True)
            except Exception:
                log.exception("feed poll failed")
                return 0
        added = sum(report.added for report in reports)
        failed = [report for report in reports if not report.ok]
        if reports:
            log.info("polled %d feed(s): %d new article(s), %d failed", len(reports), added, len(failed))
        for report in failed:
            log.warning("feed %s: %s", report.url, report.error)
        return added

    def poll_soon(self) -> None:
        """Poll now (e.g. after a feed was added) without waiting for the next tick."""
        task = asyncio.get_running_loop().create_task(self.poll_once())
        self._extra.add(task)
        task.add_done_callback(self._extra.discard)


async def setup(bot: BriefBot) -> None:
    """discord.py extension entry point."""
    await bot.add_cog(PollCog(bot))
