"""Near-duplicate articles group into one story; near-duplicate sentences are one fact."""

from __future__ import annotations

from datetime import UTC, datetime

from summarizer.briefs.stories import group_stories
from summarizer.models import Article

WIRE = (
    "Rescue teams pulled three climbers from a crevasse on Mont Blanc on Tuesday after a "
    "night trapped on the ice, the French gendarmerie said. The climbers, two Britons and a "
    "Swiss guide, were taken to hospital in Chamonix with hypothermia. A helicopter could "
    "not reach them until the wind dropped in the morning. Officials warned walkers to stay "
    "off the glacier while the weather remains unsettled this week."
)


def article(ident: int, url: str, title: str, text: str) -> Article:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    return Article(ident, url, title, text, "", "", now, now, str(ident), len(text.split()), "global")


def test_one_wire_story_on_three_sites_is_one_story_with_all_sources():
    articles = [
        article(1, "https://a.example/climbers", "Climbers rescued on Mont Blanc", WIRE),
        article(
            2,
            "https://b.example/news/1",
            "Three rescued from crevasse",
            "By Staff. " + WIRE + " Copyright B.",
        ),
        article(
            3,
            "https://c.example/x",
            "Budget vote delayed",
            "Parliament delayed the budget vote until next month "
            "after talks between the parties broke down late on Monday.",
        ),
        article(4, "https://d.example/y", "Mont Blanc rescue", WIRE.replace("Tuesday", "Tuesday morning")),
    ]
    stories = group_stories(articles)
    assert [s.article_ids for s in stories] == [[1, 2, 4], [3]]
    assert stories[0].lead.id == 1


def test_different_stories_on_the_same_subject_stay_apart():
    other = (
        "Avalanche risk on Mont Blanc has been raised to its highest level after heavy snow, "
        "and guides in Chamonix have cancelled ascents for the rest of the week."
    )
    stories = group_stories([article(1, "u1", "Rescue", WIRE), article(2, "u2", "Avalanche", other)])
    assert len(stories) == 2
