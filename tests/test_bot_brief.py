"""/brief over the wire: the real bot answering the Discord double from a real store."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from discord_double import EPHEMERAL, DiscordDouble, bot_settings, running_bot

from summarizer.models import Document
from summarizer.sources.ingest import ingest
from summarizer.summaries import MODES

pytestmark = pytest.mark.timeout(120)

NOW = datetime.now(UTC)
SEEDS = Path(__file__).resolve().parent.parent / "seeds"

ARTICLES = [
    (
        "https://gazette.example/harbour-dredging-approved",
        "Port Elsin approves harbour dredging plan",
        "The harbour authority of Port Elsin approved a plan on Monday to dredge the main channel, "
        "letting container ships twice the current size dock at the town's quays. Work is due to "
        "start in the spring and last eighteen months, the authority said. The project will cost "
        "about 40 million euros, shared with the regional government. Fishermen's groups warned "
        "that the dredging could disturb spawning grounds and asked for pauses during the "
        "breeding season. The mayor said the deeper channel would bring hundreds of jobs.",
        timedelta(hours=5),
    ),
    (
        "https://coastnews.example/elsin-harbour-fishermen",
        "Fishermen fear for spawning grounds as Elsin harbour deepens",
        "Fishermen in Port Elsin say the harbour dredging approved this week threatens the cod "
        "spawning grounds at the mouth of the bay. Their association will ask the regional court "
        "to order a seasonal pause in the work. Marine biologists at the university said sediment "
        "plumes can travel several kilometres. The harbour authority replied that it will monitor "
        "the water every week and stop work if turbidity rises above agreed limits.",
        timedelta(hours=3),
    ),
    (
        "https://wirenews.example/harbour-strike",
        "**Harbour** strike @everyone called off",
        "Dock workers at Port Elsin harbour called off a planned strike on Tuesday after the "
        "harbour authority agreed to hire local crews for the dredging work. Union leaders said "
        "the agreement guarantees two hundred jobs for three years. Cargo handling will continue "
        "normally this week, the authority said.",
        timedelta(hours=1),
    ),
    (
        "https://valleypost.example/wildfire-contained",
        "Firefighters contain wildfire above Dunmore",
        "Firefighters contained a wildfire that burned four hundred hectares of forest above "
        "Dunmore, the regional fire service said on Sunday. Two hundred residents evacuated on "
        "Friday were allowed to return home. Investigators believe a campfire started the blaze "
        "during a week of strong winds and record heat.",
        timedelta(days=4),
    ),
]


@pytest.fixture
async def live(settings, store):
    for url, title, text, age in ARTICLES:
        store.upsert(
            Document(url=url, title=title, text=text, source=url.split("/")[2], published_at=NOW - age)
        )
    ingest(store, [str(SEEDS)], settings)  # local files: sources without web links
    async with DiscordDouble() as double:
        async with running_bot(bot_settings(settings, double)) as bot:
            yield double, bot


def _no_mentions_anywhere(double: DiscordDouble) -> None:
    for call in double.message_calls():
        data = call.body.get("data", call.body) if "type" in call.body else call.body
        assert data.get("allowed_mentions") == {"parse": []}, call.route


async def test_brief_answers_with_a_cited_embed_and_buttons(live):
    double, _ = live
    ix = await double.slash("brief", {"topic": "harbour dredging"})
    first = await ix.wait_response()
    assert first["type"] == 5  # deferred at once: the summary runs in a worker thread
    message = await ix.wait_original(lambda m: m.embeds)
    assert not message.ephemeral
    embed = message.embeds[0]
    assert embed["title"] == "Brief: harbour dredging"
    assert "[\\[1\\]](https://" in embed["description"]
    sources = embed["fields"][0]
    assert sources["name"] == "Sources"
    assert (
        "https://gazette.example/harbour-dredging-approved" in sources["value"]
        or "https://coastnews.example/elsin-harbour-fishermen" in sources["value"]
    )
    footer = embed["footer"]["text"]
    assert footer.startswith("semantic · ")  # the default mode
    assert footer.endswith(" s") and "article" in footer
    labels = [c["label"] for row in message.components for c in row["components"]]
    assert labels[:3] == ["Longer", "Shorter", "What's new"]
    # One button per other mode that can run: no Abstractive without SUMMARIZER_MODEL.
    assert labels[3:] == ["Extractive", "Lead"]
    _no_mentions_anywhere(double)


async def test_article_text_is_escaped_and_mentions_are_off(live):
    double, _ = live
    ix = await double.slash("brief", {"topic": "harbour strike", "articles": 1})
    message = await ix.wait_original(lambda m: m.embeds)
    shown = message.text()
    assert "@everyone" not in shown  # escaped with a zero-width space
    assert "\\*\\*Harbour\\*\\*" in shown
    _no_mentions_anywhere(double)


async def test_private_brief_is_ephemeral(live):
    double, _ = live
    ix = await double.slash("brief", {"topic": "harbour", "private": True})
    first = await ix.wait_response()
    assert first["type"] == 5 and first["data"]["flags"] & EPHEMERAL
    message = await ix.wait_original(lambda m: m.embeds)
    assert message.ephemeral


# Abstractive mode needs a seq2seq model: tests/test_abstractive.py builds one and covers it.
@pytest.mark.parametrize("mode", [m for m in MODES if m != "abstractive"])
async def test_each_mode_is_named_in_the_footer(live, mode):
    double, _ = live
    ix = await double.slash("brief", {"topic": "harbour", "mode": mode, "articles": 2})
    message = await ix.wait_original(lambda m: m.embeds or m.content, timeout=90)
    assert message.embeds, message.content
    assert message.embeds[0]["footer"]["text"].startswith(mode)


async def test_articles_and_since_narrow_the_brief(live):
    double, _ = live
    one = await double.slash("brief", {"topic": "harbour", "articles": 1})
    message = await one.wait_original(lambda m: m.embeds)
    assert message.embeds[0]["fields"][0]["value"].count("**") >= 2
    assert "**2.**" not in message.embeds[0]["fields"][0]["value"]

    recent = await double.slash("brief", {"topic": "wildfire", "since": "24h"})
    answer = await recent.wait_original(lambda m: m.content or m.embeds)
    assert not answer.embeds  # the wildfire story is four days old
    assert "wildfire" in answer.content and "24 hours" in answer.content

    week = await double.slash("brief", {"topic": "wildfire", "since": "7d"})
    assert (await week.wait_original(lambda m: m.content or m.embeds)).embeds

    bad = await double.slash("brief", {"topic": "wildfire", "since": "last tuesday"})
    complaint = (await bad.wait_original(lambda m: m.content or m.embeds)).content
    assert "since" in complaint and "24h" in complaint and complaint.count("can't read") <= 1


async def test_no_match_says_what_was_searched_and_what_to_try(live, store):
    double, _ = live
    ix = await double.slash("brief", {"topic": "quantum zeppelin"})
    message = await ix.wait_original(lambda m: m.content or m.embeds)
    assert not message.embeds and not message.components
    assert "quantum zeppelin" in message.content
    assert f"Nothing about **quantum zeppelin** among {store.count('global')} articles" in message.content
    assert "Try" in message.content


async def test_buttons_edit_the_same_message(live):
    double, _ = live
    ix = await double.slash("brief", {"topic": "harbour"})
    message = await ix.wait_original(lambda m: m.embeds)  # the live record: edits update it
    initial = len(message.embeds[0]["description"])

    longer = await double.press(message, "Longer", member=double.member())
    assert (await longer.wait_response())["type"] == 6  # deferred update of that message
    await double.wait_for(lambda: message.edits >= 2, timeout=30)
    grown = len(message.embeds[0]["description"])
    assert grown > initial
    assert len([m for m in double.messages.values() if m.embeds]) == 1  # no new message

    shorter = await double.press(message, "Shorter", member=double.member())
    await shorter.wait_response()
    await double.wait_for(lambda: message.edits >= 3, timeout=30)
    assert len(message.embeds[0]["description"]) < grown

    switch = await double.press(message, "Extractive", member=double.member())
    await switch.wait_response()
    await double.wait_for(lambda: message.edits >= 4, timeout=60)
    assert message.embeds[0]["footer"]["text"].startswith("extractive")
    assert message.custom_id_of("Semantic")  # and back again
    _no_mentions_anywhere(double)


async def test_only_the_requester_can_use_the_buttons(live):
    double, _ = live
    ix = await double.slash("brief", {"topic": "harbour"})
    message = await ix.wait_original(lambda m: m.embeds)
    edits = message.edits
    stranger = double.member(user_id="500000000000000099")
    click = await double.press(message, "Longer", member=stranger)
    answer = await click.wait_response()
    assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert "Only the person who asked" in answer["data"]["content"]
    assert message.edits == edits


async def test_an_expired_brief_says_so_and_loses_its_buttons(live, store):
    double, _ = live
    ix = await double.slash("brief", {"topic": "harbour"})
    message = await ix.wait_original(lambda m: m.embeds)
    with store.transaction():  # the brief was asked for long ago (BRIEF_BUTTONS_HOURS ago and more)
        store.db.execute("UPDATE brief_requests SET created_at = '2020-01-01T00:00:00Z'")
    click = await double.press(message, "Longer", member=double.member())
    (note,) = await click.wait_followups(1)
    assert note.ephemeral and "expired" in note.content and "/brief" in note.content
    assert double.messages[message.id].components == []  # the buttons are gone
    assert double.messages[message.id].embeds  # the brief itself stays


async def test_the_title_escapes_the_topic_and_long_topics_are_refused(live):
    double, _ = live
    ix = await double.slash("brief", {"topic": "**harbour** [dredging](https://gazette.example)"})
    message = await ix.wait_original(lambda m: m.embeds or m.content)
    shown = message.embeds[0]["title"] if message.embeds else message.content  # a brief or "nothing about"
    assert "\\*\\*harbour\\*\\*" in shown and "\\[dredging]" in shown

    calls = len(double.calls)
    long_topic = "harbour " * 40  # 320 characters: past the option's 200 (a proxy need not check)
    refused = await double.slash("brief", {"topic": long_topic})
    answer = await refused.wait_response()
    assert answer["type"] == 4 and answer["data"]["flags"] & EPHEMERAL
    assert "200" in answer["data"]["content"]
    assert len(double.calls) == calls + 1  # no defer, no brief: refused at once


async def test_topic_autocomplete_suggests_titles_and_phrases(live):
    double, _ = live
    typed = await double.autocomplete("brief", {"topic": ""}, focused="topic")
    await typed.wait_response()
    names = [c["name"] for c in typed.choices]
    assert 0 < len(names) <= 25
    assert all(len(n) <= 100 for n in names)

    typed = await double.autocomplete("brief", {"topic": "elsin"}, focused="topic")
    await typed.wait_response()
    names = [c["name"] for c in typed.choices]
    assert names and all("elsin" in n.lower() for n in names)
    assert names[0] == "Elsin"  # a name that recurs in titles comes first
    assert "Port Elsin approves harbour dredging plan" in names


async def test_brief_in_a_direct_message_reads_the_global_articles(live, store):
    double, _ = live
    store.upsert(
        Document(
            url="https://guildonly.example/harbour-secret",
            title="Guild-only harbour memo",
            text="A memo about the harbour that only one server stored. It lists the dredging contractors.",
            scope=double.guild_id,
            published_at=NOW,
        )
    )
    ix = await double.slash("brief", {"topic": "harbour"}, guild_id=None)
    message = await ix.wait_original(lambda m: m.embeds or m.content)
    assert message.embeds, message.content
    assert "guildonly.example" not in message.text()
    in_guild = await double.slash("brief", {"topic": "harbour memo contractors"})
    assert "guildonly.example" in (await in_guild.wait_original(lambda m: m.embeds or m.content)).text()


async def test_an_unexpected_failure_gets_an_apology_and_a_log_without_the_token(live, store, caplog):
    double, _ = live
    ix = await double.slash("brief", {"topic": "harbour"})
    message = await ix.wait_original(lambda m: m.embeds)
    with store.transaction():
        store.db.execute("DROP TABLE articles_fts")  # searches now fail with a sqlite error

    click = await double.press(message, "Longer", member=double.member())
    (apology,) = await click.wait_followups(1, timeout=30)
    assert apology.ephemeral and "Something went wrong" in apology.content
    assert message.embeds  # the brief shown before stays

    again = await double.slash("brief", {"topic": "harbour"})
    answer = await again.wait_original(lambda m: m.content or m.embeds, timeout=30)
    assert "Something went wrong" in answer.content and not answer.embeds

    failures = [r for r in caplog.records if r.name == "bot.app" and r.exc_info]
    assert {type(r.exc_info[1]).__name__ for r in failures} >= {"OperationalError", "CommandInvokeError"}
    assert double.token not in caplog.text
    _no_mentions_anywhere(double)


async def test_a_brief_being_answered_is_finished_before_shutdown(live, monkeypatch):
    """A restart (SIGTERM -> close) while a /brief is being summarized still answers it, within
    SHUTDOWN_GRACE (tests/test_bot_restart.py covers the briefs that do not finish in time)."""
    double, bot = live
    module = sys.modules["bot.commands_brief"]
    summarize = module.run_brief

    def slow_brief(*args, **kwargs):
        time.sleep(1.5)  # a summary still running when the shutdown starts
        return summarize(*args, **kwargs)

    monkeypatch.setattr(module, "run_brief", slow_brief)
    ix = await double.slash("brief", {"topic": "harbour"}, member=double.member())
    assert (await ix.wait_response())["type"] == 5
    await bot.close()
    message = await ix.wait_original(lambda m: m.embeds, timeout=1.0)
    assert message.embeds[0]["title"].startswith("Brief: harbour")
