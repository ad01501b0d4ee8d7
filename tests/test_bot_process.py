"""The bot as a black box: `briefbot bot` run as a process against the Discord double (by
DISCORD_API_BASE and DISCORD_GATEWAY_URL), with a dummy token and a database filled by
`briefbot ingest`; then a /brief, and a clean stop on SIGTERM. The token never reaches the log."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from discord_double import DiscordDouble, process_env

pytestmark = pytest.mark.timeout(150)

REPO = Path(__file__).resolve().parent.parent

RECORDS = [
    {
        "url": "https://gazette.example/harbour-dredging-approved",
        "title": "Port Elsin approves harbour dredging plan",
        "text": "The harbour authority of Port Elsin approved a plan on Monday to dredge the main "
        "channel, letting container ships twice the current size dock at the town's quays. Work is "
        "due to start in the spring and last eighteen months. The project will cost about 40 "
        "million euros, shared with the regional government.",
    },
    {
        "url": "https://coastnews.example/elsin-harbour-fishermen",
        "title": "Fishermen fear for spawning grounds as Elsin harbour deepens",
        "text": "Fishermen in Port Elsin say the harbour dredging approved this week threatens the "
        "cod spawning grounds at the mouth of the bay. Their association will ask the regional "
        "court to order a seasonal pause in the work.",
    },
]


async def _run(*args: str, env: dict, timeout: float = 90) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *args, env=env, cwd=env["HOME"], stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None  # communicate() waited for the exit
    return process.returncode, out.decode()


async def test_briefbot_bot_as_a_process(tmp_path):
    published = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    records = tmp_path / "articles.jsonl"
    records.write_text("\n".join(json.dumps({**r, "published": published}) for r in RECORDS))
    async with DiscordDouble(token="dummy.TOKEN-for-the-double.s3cr3t") as double:
        env = process_env(double, tmp_path, DATABASE_PATH=str(tmp_path / "bot.db"), LOG_LEVEL="DEBUG")
        briefbot = [sys.executable, "-m", "summarizer.cli"]
        status, output = await _run(*briefbot, "ingest", str(records), str(REPO / "seeds"), env=env)
        assert status == 0, output

        process = await asyncio.create_subprocess_exec(
            *briefbot,
            "bot",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            await double.wait_for(
                lambda: double.identifies == 1 and double.commands.get("global"), timeout=60
            )
            await asyncio.sleep(1.0)  # GUILD_CREATE, then on_ready after the guild timeout
            ix = await double.slash("brief", {"topic": "harbour dredging"})
            message = await ix.wait_original(lambda m: m.embeds or m.content, timeout=60)
            assert message.embeds, message.content
            assert "gazette.example" in message.text() or "coastnews.example" in message.text()
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(process.communicate(), 30)
        log = output.decode()
        assert process.returncode == 0, log[-3000:]
        assert double.token not in log
        assert ix.token not in log  # interaction tokens are redacted at DEBUG (bot/logs.py)
        assert "/interactions/" in log and "<token>" in log  # the calls are still logged
        assert "Traceback" not in log
