"""The bot's heartbeat: every HEARTBEAT_INTERVAL from the first connection until the bot
closes, the heartbeat file gets the time, the process id and the guild count
(summarizer/health.py writes and reads it), so `briefbot status`, a Docker HEALTHCHECK or a
monitor can tell a live bot from a dead or stuck one."""

from __future__ import annotations

import asyncio
import logging

from discord.ext import commands, tasks

from summarizer.health import heartbeat_interval, heartbeat_path, write_heartbeat

from .app import BriefBot

log = logging.getLogger(__name__)


class HeartbeatCog(commands.Cog):
    """Refreshes the heartbeat file on the event loop's own schedule: if the loop is stuck, the
    file goes stale."""

    def __init__(self, bot: BriefBot):
        self.bot = bot
        self.path = heartbeat_path(bot.settings)
        self.loop = tasks.loop(seconds=heartbeat_interval(bot.settings).total_seconds())(self.beat)
        self.loop.before_loop(self.bot.wait_until_ready)
        self._failed = False

    async def cog_load(self) -> None:
        self.loop.start()

    async def cog_unload(self) -> None:
        self.loop.cancel()

    async def beat(self) -> None:
        """Write the heartbeat (off the event loop). A failure is logged once, never raised."""
        if self.bot.is_closed():
            return
        try:
            await asyncio.to_thread(write_heartbeat, self.path, guilds=len(self.bot.guilds))
        except OSError as error:
            if not self._failed:
                log.warning("cannot write the heartbeat file %s: %s", self.path, error)
            self._failed = True
        else:
            self._failed = False


async def setup(bot: BriefBot) -> None:
    """discord.py extension entry point."""
    await bot.add_cog(HeartbeatCog(bot))
