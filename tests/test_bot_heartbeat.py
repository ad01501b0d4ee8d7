"""The bot's heartbeat over the wire: the real discord.py client against the Discord double
refreshes the heartbeat file while it runs; `briefbot status` says "up" then, and exits 1 once
the bot's event loop is stuck or the bot has stopped."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from discord_double import DiscordDouble, running_bot

from summarizer.cli import main
from summarizer.config import Settings
from summarizer.health import heartbeat_path, read_heartbeat
from summarizer.store import open_store

pytestmark = pytest.mark.timeout(60)

INTERVAL = 0.1  # seconds; stale after three


async def _until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `check()` until it returns something truthy (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        await asyncio.sleep(INTERVAL / 4)
    raise TimeoutError("condition not met in time")


def _status(settings: Settings):
    return CliRunner().invoke(main, ["--db", settings.database_path, "status"])


async def test_heartbeat_is_fresh_while_the_bot_runs_and_stale_when_stuck_or_stopped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray .env from the repo
    monkeypatch.setenv("HEARTBEAT_INTERVAL", f"{INTERVAL}s")
    monkeypatch.delenv("HEARTBEAT_FILE", raising=False)
    async with DiscordDouble() as double:
        settings = Settings(
            database_path=str(tmp_path / "bot.db"),
            discord_token=double.token,
            discord_api_base=double.api_base,
            discord_gateway_url=double.gateway_url,
            heartbeat_interval=f"{INTERVAL}s",
        )
        open_store(settings.database_path).close()
        path = heartbeat_path(settings)
        async with running_bot(settings) as bot:
            first = await _until(lambda: read_heartbeat(path))
            later = await _until(lambda: (beat := read_heartbeat(path)) and beat.at > first.at and beat)
            assert later.pid == os.getpid()
            assert later.guilds == len(bot.guilds) == 1
            alive = _status(settings)
            assert alive.exit_code == 0, alive.output
            assert "bot      up: heartbeat" in alive.output

            # The event loop is stuck (a blocking call in a handler): nothing refreshes the file.
            time.sleep(8 * INTERVAL)
            stuck = _status(settings)
            assert stuck.exit_code == 1 and "DOWN: last heartbeat" in stuck.output

            # Unstuck, the loop writes again and the bot is up again.
            await _until(lambda: _status(settings).exit_code == 0)

        await asyncio.sleep(8 * INTERVAL)
        stopped = _status(settings)
        assert stopped.exit_code == 1 and "DOWN: last heartbeat" in stopped.output
