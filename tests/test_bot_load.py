"""/brief under load and faults, over the wire: each mode's queue is bounded by
BRIEF_QUEUE_DEADLINE (fast mode with a note, or an apology at once), a brief that is never
ready gets an apology, a final edit that keeps failing becomes a follow-up, and a per-user
cooldown answers politely."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
from discord_double import EPHEMERAL, DiscordDouble, bot_settings, running_bot

from summarizer.models import Document
from summarizer.summaries import get_summarizer

pytestmark = pytest.mark.timeout(120)

TEXT = (
    "The harbour authority of Port Elsin approved a plan on Monday to dredge the main channel. "
    "Work is due to start in the spring and last eighteen months, the authority said. "
    "The project will cost about 40 million euros, shared with the regional government. "
    "Fishermen's groups warned that the dredging could disturb spawning grounds."
)
BUSY = "too many briefs"
EDIT_ROUTE = "PATCH /webhooks/{app}/{token}/messages/{message_id}"


@pytest.fixture
async def live(settings, store, request):
    now = datetime.now(UTC)
    for n in range(3):
        store.upsert(
            Document(
                url=f"https://news{n}.example/harbour",
                title=f"Harbour dredging plan {n}",
                text=TEXT + f" Report number {n}.",
                published_at=now - timedelta(hours=n + 1),
            )
        )
    changes = getattr(request, "param", {})
    async with DiscordDouble() as double:
        async with running_bot(bot_settings(settings, double, **changes)) as bot:
            yield double, bot


def _slow_briefs(monkeypatch, seconds: float) -> None:
    module = sys.modules["bot.commands_brief"]
    summarize = module.run_brief

    def slow(store, topic, **options):
        time.sleep(seconds)
        return summarize(store, topic, **options)

    monkeypatch.setattr(module, "run_brief", slow)


def _member(n: int) -> dict:
    return {"user_id": f"5000000000000001{n:02d}"}


@pytest.mark.parametrize("live", [{"brief_queue_deadline": 2.0, "brief_cooldown_rate": 0}], indirect=True)
async def test_a_saturated_mode_answers_fast_with_a_note_or_apologises_at_once(live, monkeypatch):
    double, bot = live
    await asyncio.to_thread(get_summarizer("semantic", bot.settings).prepare)  # as the bot does at start
    _slow_briefs(monkeypatch, 1.0)
    asked = [
        await double.slash("brief", {"topic": "harbour dredging", "mode": "semantic"}) for _ in range(12)
    ]
    answers = [await ix.wait_original(lambda m: m.embeds or m.content, timeout=60) for ix in asked]
    semantic = [m for m in answers if m.embeds and m.embeds[0]["footer"]["text"].startswith("semantic")]
    downgraded = [m for m in answers if m.embeds and "Semantic summaries are busy" in m.content]
    apologies = [m for m in answers if not m.embeds and BUSY in m.content]
    assert semantic and downgraded and apologies
    assert len(semantic) + len(downgraded) + len(apologies) == len(asked)
    assert all(m.embeds[0]["footer"]["text"].startswith("extractive") for m in downgraded)
    assert not any(m.loading for m in answers)


@pytest.mark.parametrize("live", [{"brief_queue_deadline": 0.5}], indirect=True)
async def test_a_brief_never_ready_gets_an_apology(live, monkeypatch):
    double, _ = live
    _slow_briefs(monkeypatch, 3.0)  # past three queue deadlines (the hard limit)
    ix = await double.slash("brief", {"topic": "harbour dredging"})
    message = await ix.wait_original(lambda m: m.embeds or m.content, timeout=10)
    assert not message.embeds and "took too long" in message.content


async def test_a_final_edit_that_keeps_failing_becomes_a_follow_up(live):
    double, _ = live
    double.rate_limit(EDIT_ROUTE, times=6, retry_after=0.05)  # discord.py gives up after five
    ix = await double.slash("brief", {"topic": "harbour dredging"})
    message = await ix.wait_original(lambda m: m.embeds or m.content, timeout=30)
    assert message.embeds and message.embeds[0]["title"] == "Brief: harbour dredging"
    assert [c.status for c in double.calls_to(EDIT_ROUTE)] == [429] * 5
    assert ix.followups == [message.id]  # the follow-up filled the "thinking..." message


@pytest.mark.parametrize("live", [{"brief_cooldown_rate": 2, "brief_cooldown_seconds": 60.0}], indirect=True)
async def test_brief_has_a_per_user_cooldown(live):
    double, _ = live
    for _ in range(2):
        ix = await double.slash("brief", {"topic": "harbour"})
        assert (await ix.wait_original(lambda m: m.embeds or m.content)).embeds
    third = await double.slash("brief", {"topic": "harbour"})
    answer = await third.wait_response()
    assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert "try again in" in answer["data"]["content"]
    other = await double.slash("brief", {"topic": "harbour"}, member=double.member(**_member(7)))
    assert (await other.wait_original(lambda m: m.embeds or m.content)).embeds
