"""The bot starting against the Discord double: login, the synced command schema, syncing
only on change, the gateway intents, and the discord.py hooks it relies on."""

from __future__ import annotations

import os
import subprocess
import sys

import discord
import pytest
import yarl
from discord_double import DiscordDouble, bot_settings, running_bot

from bot.app import api_base, create_bot
from summarizer.summaries import MODES

pytestmark = pytest.mark.timeout(90)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_discordpy_hooks_still_exist(settings):
    """LOUD PIN: the bot moves discord.py's REST base and gateway URL through class attributes
    that are internal to discord.py 2.7.1. If this fails after an upgrade, bot/app.py's
    point_discord_at must follow discord.py's new hooks."""
    assert isinstance(discord.http.Route.BASE, str)
    assert isinstance(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY, yarl.URL)
    create_bot(bot_settings(settings, _FakeDouble()))
    route = discord.http.Route("GET", "/users/@me")
    assert route.url == "http://127.0.0.1:9/api/v10/users/@me"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "ws://127.0.0.1:9/gateway"
    create_bot(settings)  # no proxy settings: back to Discord itself
    assert discord.http.Route("GET", "/users/@me").url == "https://discord.com/api/v10/users/@me"
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == "wss://gateway.discord.gg/"


class _FakeDouble:
    token = "t"
    api_base = "http://127.0.0.1:9/api/v10"
    gateway_url = "ws://127.0.0.1:9/gateway"


@pytest.mark.parametrize(
    "given, expected",
    [
        ("http://proxy:8080", "http://proxy:8080/api/v10"),
        ("http://proxy:8080/", "http://proxy:8080/api/v10"),
        ("http://proxy:8080/api", "http://proxy:8080/api/v10"),
        ("https://proxy/api/v9/", "https://proxy/api/v9"),
    ],
)
def test_api_base_forms(given, expected):
    assert api_base(given) == expected


def _all_options(command: dict):
    for option in command.get("options") or []:
        yield option
        yield from _all_options(option)


async def test_startup_syncs_a_described_schema_within_limits(settings):
    async with DiscordDouble() as double:
        async with running_bot(bot_settings(settings, double)) as bot:
            assert bot.is_ready()
            assert [g.id for g in bot.guilds] == [int(double.guild_id)]
        assert len(double.calls_to("PUT /applications/{app}/commands")) == 1
        commands = {c["name"]: c for c in double.commands["global"]}
        assert {"brief", "sources"} <= set(commands)
        for command in commands.values():
            assert 1 <= len(command["description"]) <= 100
            for option in _all_options(command):
                assert 1 <= len(option["description"]) <= 100, option["name"]
                assert len(option.get("choices") or []) <= 25
        brief = {o["name"]: o for o in commands["brief"]["options"]}
        assert list(brief) == ["topic", "mode", "articles", "since", "new_since", "private"]
        assert brief["topic"]["required"] and brief["topic"]["autocomplete"]
        assert [c["value"] for c in brief["mode"]["choices"]] == list(MODES)
        assert (brief["articles"]["min_value"], brief["articles"]["max_value"]) == (1, 10)
        sources = commands["sources"]
        assert int(sources["default_member_permissions"]) == 1 << 5  # Manage Server
        assert sources["contexts"] == [0]  # servers only
        assert {o["name"] for o in sources["options"]} == {"add", "list", "remove", "ingest"}
        # No privileged intents (members, presences, message content): none are needed.
        intents = double.identify_payloads[0]["intents"]
        assert intents & ((1 << 1) | (1 << 8) | (1 << 15)) == 0
        assert all(c.status != 401 for c in double.calls)


async def test_restart_with_same_commands_syncs_nothing(settings):
    async with DiscordDouble() as double:
        config = bot_settings(settings, double)
        async with running_bot(config):
            pass
        async with running_bot(config):
            pass
        assert len(double.calls_to("PUT /applications/{app}/commands")) == 1
        assert double.identifies == 2

        # A development guild is another target: its commands are synced there, once.
        guild_config = bot_settings(settings, double, discord_guild_id=double.guild_id)
        async with running_bot(guild_config):
            pass
        async with running_bot(guild_config):
            pass
        guild_puts = double.calls_to("PUT /applications/{app}/guilds/{guild_id}/commands")
        assert len(guild_puts) == 1
        assert {c["name"] for c in double.commands[double.guild_id]} >= {"brief", "sources"}


async def test_changed_commands_are_synced_again(settings, monkeypatch):
    async with DiscordDouble() as double:
        config = bot_settings(settings, double)
        async with running_bot(config):
            pass
        # Another set of summary modes is another /brief schema (as after an upgrade).
        # (Extensions are executed afresh on each start, so they read the patched list.)
        monkeypatch.setattr("summarizer.summaries.MODES", ("extractive",))
        async with running_bot(config):
            pass
        puts = double.calls_to("PUT /applications/{app}/commands")
        assert len(puts) == 2
        brief = next(c for c in double.commands["global"] if c["name"] == "brief")
        mode = next(o for o in brief["options"] if o["name"] == "mode")
        assert [c["value"] for c in mode["choices"]] == ["extractive"]


@pytest.mark.parametrize(
    "entry", [[sys.executable, "-m", "bot"], [sys.executable, "-m", "summarizer.cli", "bot"]]
)
def test_without_token_exits_naming_the_env_key(tmp_path, entry):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCORD_")}
    env["PYTHONPATH"] = REPO
    env["DATABASE_PATH"] = str(tmp_path / "bot.db")
    done = subprocess.run(entry, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "DISCORD_TOKEN" in done.stderr
    assert ".env" in done.stderr
    assert "Traceback" not in done.stderr
