"""The bot across restarts and shutdowns, over the wire: buttons of a brief posted before a
restart still work, and a shutdown leaves nobody on "thinking..."."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from discord_double import EPHEMERAL, DiscordDouble, bot_settings, running_bot

from summarizer.models import Document

pytestmark = pytest.mark.timeout(120)

NOW = datetime.now(UTC)
TEXT = (
    "The harbour authority of Port Elsin approved a plan on Monday to dredge the main channel. "
    "Work is due to start in the spring and last eighteen months, the authority said. "
    "The project will cost about 40 million euros, shared with the regional government. "
    "Fishermen's groups warned that the dredging could disturb spawning grounds. "
    "The mayor said the deeper channel would bring hundreds of jobs to the town. "
    "Dock workers called off a planned strike after the authority agreed to hire local crews. "
    "Marine biologists said sediment plumes can travel several kilometres along the coast. "
    "The authority will monitor the water every week and stop work if turbidity rises."
)


@pytest.fixture
def filled(settings, store):
    for n, site in enumerate(("gazette", "coastnews", "wirenews")):
        store.upsert(
            Document(
                url=f"https://{site}.example/harbour-{n}",
                title=f"Port Elsin harbour dredging, part {n}",
                text=TEXT.replace("Monday", ["Monday", "Tuesday", "Friday"][n]) + f" Report {n}.",
                source=f"{site}.example",
                published_at=NOW - timedelta(hours=n + 1),
            )
        )
    return settings


async def test_buttons_keep_working_after_a_restart(filled):
    async with DiscordDouble() as double:
        settings = replace(bot_settings(filled, double), brief_words=40)  # room to grow
        async with running_bot(settings):
            ix = await double.slash("brief", {"topic": "harbour dredging"})
            message = await ix.wait_original(lambda m: m.embeds)
        assert all(len(custom_id) <= 100 for custom_id in message.custom_ids)
        initial = len(message.embeds[0]["description"])

        async with running_bot(settings):  # a new process on the same database
            longer = await double.press(message, "Longer", member=double.member())
            assert (await longer.wait_response())["type"] == 6
            await double.wait_for(lambda: message.edits >= 2, timeout=30)
            assert len(message.embeds[0]["description"]) > initial
            switch = await double.press(message, "Lead", member=double.member())
            await switch.wait_response()
            await double.wait_for(lambda: message.edits >= 3, timeout=30)
            assert message.embeds[0]["footer"]["text"].startswith("lead")
            assert message.custom_id_of("Extractive")

            stranger = await double.press(
                message, "Shorter", member=double.member(user_id="500000000000000099")
            )
            answer = await stranger.wait_response()
            assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
            assert "Only the person who asked" in answer["data"]["content"]


async def test_shutdown_answers_or_apologises_to_everyone(filled, monkeypatch, caplog):
    caplog.set_level("INFO", logger="bot.app")
    async with DiscordDouble() as double:
        settings = bot_settings(filled, double, shutdown_grace=1.5, brief_cooldown_rate=0)
        async with running_bot(settings) as bot:
            module = sys.modules["bot.commands_brief"]
            summarize = module.run_brief

            def slow_or_quick(store, topic, **options):  # one article: quick; two: slow
                time.sleep(0.2 if options.get("articles") == 1 else 4.0)
                return summarize(store, topic, **options)

            monkeypatch.setattr(module, "run_brief", slow_or_quick)
            quick = [
                await double.slash("brief", {"topic": "harbour dredging", "articles": 1}) for _ in range(2)
            ]
            slow = [
                await double.slash("brief", {"topic": "harbour dredging", "articles": 2}) for _ in range(4)
            ]
            for ix in quick + slow:
                assert (await ix.wait_response())["type"] == 5
            closing = asyncio.get_running_loop().create_task(bot.close())
            await asyncio.sleep(0.3)
            late = await double.slash("brief", {"topic": "harbour"})  # arrives during shutdown
            refusal = await late.wait_response(timeout=2)
            assert refusal["type"] == 4 and refusal["data"]["flags"] & EPHEMERAL
            assert "restarting" in refusal["data"]["content"]
            await asyncio.wait_for(closing, 30)

        for ix in quick:
            assert ix.original.embeds, ix.original.content
        for ix in slow:
            assert not ix.original.loading  # nobody left on "thinking..."
            assert "restarting" in ix.original.content and not ix.original.embeds
        assert "shutdown: 2 answer(s) finished, 4 apologised for" in caplog.text
        assert "1 interaction(s) refused during shutdown" in caplog.text


async def test_buttons_of_a_brief_from_before_the_upgrade_say_it_expired(filled):
    async with DiscordDouble() as double:
        async with running_bot(bot_settings(filled, double)):
            # A brief posted by the previous version: its buttons held no state.
            old = double._new_message(
                double.channel_ids[0],
                {
                    "embeds": [{"title": "Brief: harbour"}],
                    "components": [
                        {
                            "type": 1,
                            "components": [
                                {"type": 2, "style": 2, "label": "Longer", "custom_id": "brief:longer"},
                                {
                                    "type": 2,
                                    "style": 2,
                                    "label": "Semantic",
                                    "custom_id": "brief:mode:semantic",
                                },
                            ],
                        }
                    ],
                },
                interaction_id="400000000000000000",
            )
            click = await double.press(old, "Semantic", member=double.member())
            (note,) = await click.wait_followups(1)
            assert note.ephemeral and "expired" in note.content
            assert old.components == [] and old.embeds
