"""Query-focused briefs over a real store: the sentences that answer the topic, from anywhere
in the matched articles, within a word budget, standing alone, in story order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from summarizer.briefs.brief import brief
from summarizer.models import Document
from summarizer.summaries import Budget, Passage, focused
from summarizer.summaries.scoring import strip_wire

FILLER = (
    "The city council met on Monday evening to discuss the annual budget for parks. "
    "Several residents spoke about the state of the playgrounds near the river. "
    "The mayor thanked volunteers who had cleaned the paths over the summer. "
)


def _day(n: int) -> datetime:
    return datetime(2026, 3, 1, tzinfo=UTC) + timedelta(days=n)


def test_the_answer_deep_in_an_article_is_found_not_its_opening(store, settings):
    store.upsert(
        Document(
            "https://a.example/council",
            "Council meeting on parks and a drought plan",
            FILLER + "The council also approved an emergency drought plan that limits garden watering "
            "to two days a week from April.",
            published_at=_day(0),
        )
    )
    result = brief(store, "drought plan watering limits", settings=settings)
    text = " ".join(s.text for s in result.sentences)
    assert "drought plan" in text
    assert "playgrounds" not in text


def test_what_many_sources_report_wins_over_a_one_off(store, settings):
    shared = "The strike by port workers has halted container traffic at the three largest harbours."
    for n, extra in enumerate(
        [
            "Union leaders said the walkout would continue until wages are renegotiated.",
            "Shipping companies rerouted vessels to smaller ports further south.",
            "A columnist wrote that port strikes tend to end within a week in this country.",
        ]
    ):
        store.upsert(
            Document(
                f"https://s{n}.example/strike",
                f"Port strike report {n}",
                f"{extra} {shared.replace('three', ['three', 'the three', 'all three'][n])}",
                published_at=_day(n),
            )
        )
    result = brief(store, "port strike", settings=settings, words=20)
    assert len(result.sentences) == 1
    assert "halted container traffic" in result.sentences[0].text


def test_word_budget_is_kept_and_longer_says_more(store, settings):
    reports = [
        "Turnout in the regional election reached a record 71 percent, officials said on Sunday.",
        "The Green party won the regional election in the north with promises of new rail lines.",
        "Observers reported long queues at regional election polling stations but no fraud.",
        "The regional election result leaves the governing coalition two seats short of a majority.",
    ]
    for n, text in enumerate(reports):
        store.upsert(
            Document(
                f"https://n{n}.example/election", f"Regional election report {n}", text, published_at=_day(n)
            )
        )
    short = brief(store, "regional election", settings=settings, words=30)
    longer = brief(store, "regional election", settings=settings, words=90)
    assert 0 < sum(len(s.text.split()) for s in short.sentences) <= 30
    assert sum(len(s.text.split()) for s in longer.sentences) <= 90
    assert len(longer.sentences) > len(short.sentences)
    assert all(s.citations for s in longer.sentences)


def test_a_sentence_that_does_not_stand_alone_comes_with_its_antecedent_or_not_at_all(store, settings):
    store.upsert(
        Document(
            "https://t.example/bt",
            "Telecoms results",
            "Shares in the media group rose on Tuesday after a quiet morning in London. "
            "BT reported a jump in broadband subscribers in the third quarter of the year. "
            "The telecoms giant said broadband subscribers grew by 300,000 as fibre reached more homes.",
            published_at=_day(0),
        )
    )
    result = brief(store, "broadband subscribers", settings=settings, words=60)
    texts = [s.text for s in result.sentences]
    giant = [i for i, t in enumerate(texts) if t.startswith("The telecoms giant")]
    for i in giant:
        assert i > 0 and texts[i - 1].startswith("BT reported")


def test_one_story_reads_in_time_order(store, settings):
    """Updates of one wire story (mostly the same text) are one story, told oldest first."""
    wire = (
        "Riverton lies on the Vale river, whose banks were last breached in 1998. The town has "
        "about 12,000 residents and a historic centre with a medieval bridge and market square. "
    )
    updates = [
        (2, "The Vale river burst its banks on Friday, flooding the old town of Riverton."),
        (4, "Riverton reopened its flooded schools on Tuesday after the flood cleanup ended."),
        (3, "Floodwater in Riverton receded on Sunday as flood rescue teams pumped out cellars."),
    ]
    for n, (day, update) in enumerate(updates):
        store.upsert(
            Document(
                f"https://f{n}.example/flood",
                f"Riverton flood update {n}",
                update + " " + wire,
                published_at=_day(day),
            )
        )
    result = brief(store, "Riverton flood", settings=settings, words=100)
    assert len(result.citations) == 1
    days = ["Friday", "Sunday", "Tuesday"]
    seen = [d for s in result.sentences for d in days if d in s.text]
    assert len(seen) >= 2 and seen == sorted(seen, key=days.index)


@pytest.mark.parametrize(
    "sentence, expected",
    [
        ("JERUSALEM (AP) _ Nearly 6,000 new houses are empty.", "Nearly 6,000 new houses are empty."),
        ("PARIS, September 16 (Xinhua) -- France said it would help.", "France said it would help."),
        ("ATLANTA _ It's no longer a secret.", "It's no longer a secret."),
        ("LONDON, England (Reuters) -- The talks ended.", "The talks ended."),
        (
            "The European Union (EU) is to hold membership talks with both sides.",
            "The European Union (EU) is to hold membership talks with both sides.",
        ),
        (
            "Putin has a plan _ act presidential, said ``aides''.",
            "Putin has a plan – act presidential, said “aides”.",
        ),
    ],
)
def test_wire_markup_and_datelines_go_subjects_stay(sentence, expected):
    assert strip_wire(sentence) == expected


def test_selection_fills_but_never_exceeds_the_word_budget():
    passages = [
        Passage(
            k,
            f"t{k}",
            tuple(
                f"Sentence {i} of article {k} says the budget vote on schools passed with {i} votes to spare."
                for i in range(12)
            ),
        )
        for k in range(3)
    ]
    picked = focused.select(passages, Budget(sentences=100, words=45), "budget vote schools")
    words = sum(len(p.text.split()) for p in picked)
    assert 0 < words <= 45
