"""The wire under stress: 429s retried, a gateway reconnect + RESUME, an interaction answered too
late, and the double's own enforcement of Discord's limits (the real client sees them)."""

from __future__ import annotations

import aiohttp
import discord
import pytest
from discord_double import DiscordDouble, bot_settings, running_bot
from http_server import article_page

from bot.render import embed_pages, message_batches

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def live(settings):
    async with DiscordDouble() as double:
        async with running_bot(bot_settings(settings, double)) as bot:
            yield double, bot


async def test_rate_limited_calls_are_retried(live, http_server):
    double, bot = live
    channel = bot.get_channel(int(double.channel_ids[0]))
    double.rate_limit("POST /channels/{channel_id}/messages", times=2, retry_after=0.2)
    sent = await channel.send("hello", allowed_mentions=discord.AllowedMentions.none())
    statuses = [c.status for c in double.calls_to("POST /channels/{channel_id}/messages")]
    assert statuses == [429, 429, 200]
    assert double.messages[str(sent.id)].content == "hello"

    # Interaction follow-ups go through discord.py's webhook adapter: retried as well.
    page = http_server.route(
        "/p",
        article_page(
            "Quarry reopens",
            [
                "The old quarry near Dunmore reopened on Friday after a two-year closure, "
                "bringing back eighty jobs to the valley."
            ]
            * 2,
        ),
    )
    double.rate_limit("POST /webhooks/{app}/{token}", times=1, retry_after=0.2)
    ix = await double.slash("sources ingest", {"url": page}, member=double.member(manage_guild=True))
    message = await ix.wait_original()
    assert "Added **Quarry reopens**" in message.content
    assert [c.status for c in double.calls_to("POST /webhooks/{app}/{token}")] == [429, 200]


async def test_gateway_reconnect_resumes_and_commands_still_work(live):
    double, bot = live
    await double.drop_gateway()
    await double.wait_for(lambda: double.resumes == 1, timeout=20)
    assert double.identifies == 1  # resumed the session, did not log in again
    resume = next(frame for way, frame in double.gateway_log if way == "in" and frame["op"] == 6)
    assert resume["d"]["session_id"] == "session-1" and resume["d"]["token"] == double.token

    ix = await double.slash("sources list")
    await ix.wait_response()
    assert "/sources add" in ix.original.content


async def test_an_interaction_delivered_while_disconnected_is_replayed_on_resume(live):
    double, bot = live
    # Drop the connection and queue an interaction before the client is back: the RESUME
    # replays it, and the bot still answers within Discord's 3 seconds.
    await double.drop_gateway()
    ix = await double.slash("sources list")
    await double.wait_for(lambda: double.resumes == 1, timeout=20)
    await ix.wait_response(timeout=10)
    assert ix.original is not None


async def test_a_late_first_response_is_refused_and_the_bot_carries_on(live):
    double, bot = live
    ix = await double.slash("sources list")
    double.advance(4.0)  # the bot's answer now arrives after Discord's 3 s
    call = await double.wait_for(lambda: next(iter(ix.calls()), None), timeout=10)
    assert (call.status, call.error_code) == (404, 10062)
    assert not ix.responded.is_set()

    fresh = await double.slash("sources list")
    await fresh.wait_response()
    assert fresh.original is not None


async def test_the_double_rejects_what_discord_rejects(live):
    """The real client against the double's limits (so the bot's own tests mean something)."""
    double, bot = live
    channel = bot.get_channel(int(double.channel_ids[0]))
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert (too_long.value.status, too_long.value.code) == (400, 50035)
    huge = discord.Embed(title="t", description="y" * 4000)
    with pytest.raises(discord.HTTPException) as too_big:
        await channel.send(embeds=[huge, huge])  # 8,000 characters over two embeds
    assert too_big.value.code == 50035
    with pytest.raises(discord.HTTPException) as empty:
        await channel.send(embeds=[])
    assert empty.value.code == 50006

    # What the renderer produces for the same text is accepted.
    pages = embed_pages(["y" * 900] * 12, title="Long list")
    for batch in message_batches(pages):
        await channel.send(embeds=batch)
    assert sum(len(m.embeds) for m in double.channel_messages(double.channel_ids[0])) == len(pages)


async def test_interaction_tokens_expire_after_15_minutes(live):
    double, _ = live
    ix = await double.slash("sources list")
    await ix.wait_response()
    url = f"{double.api_base}/webhooks/{double.application_id}/{ix.token}"
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"content": "still here"}) as fresh:
            assert fresh.status == 200
        double.advance(15 * 60 + 1)
        async with session.post(url, json={"content": "too late"}) as late:
            assert late.status == 401
            assert (await late.json())["code"] == 50027
