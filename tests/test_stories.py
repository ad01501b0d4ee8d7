"""Near-duplicate articles group into one story; a new story continues the told story of the
same event (a later report or a copy), and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from summarizer.briefs.stories import WINDOW, Story, group_stories, match_told
from summarizer.models import Article, Document
from summarizer.store.vectors import article_vectors, embed_pending

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


# Stories across days: match_told links a new story to the told story it continues.

FIRE_DAY_1 = (
    "A wildfire in the hills above Valencia forced 1,200 people from their homes on Monday, "
    "regional officials said. The fire broke out near the village of Chiva in the afternoon and "
    "spread quickly in strong westerly winds. Firefighters from the Generalitat Valenciana were "
    "joined by four water-bombing aircraft before nightfall. Emergency chief Marta Ruiz said the "
    "A-3 motorway towards Madrid was closed between Chiva and Buñol while crews worked through "
    "the night. No injuries have been reported so far."
)
FIRE_DAY_2 = (
    "Firefighters near Valencia battled through a second day on Tuesday as the blaze around "
    "Chiva grew to 3,400 hectares, and another 800 residents of Buñol were told to leave. "
    "Marta Ruiz, who leads the Generalitat Valenciana's emergency service, said the wind had "
    "eased overnight but that the fire was not yet under control. Two firefighters were treated "
    "for smoke inhalation. The A-3 motorway reopened to traffic in the morning, and the military "
    "emergency unit sent 150 soldiers to help. Police are investigating whether the fire was "
    "started by farm machinery."
)
BUDGET = (
    "Finance ministers of the euro zone agreed on Monday to delay a decision on Portugal's budget "
    "plan until next month. The Eurogroup said Lisbon must first show how it will cut its deficit "
    "below three percent of output. Portugal's finance minister said the government would present "
    "new figures within two weeks. Markets took the news calmly and bond yields barely moved."
)
OTHER_FIRE = (
    "A wildfire in southern Oregon has burned more than 20,000 acres of forest since the weekend, "
    "the US Forest Service said on Tuesday. Crews from California and Washington have been sent "
    "to help contain the blaze, which started after a lightning storm on Saturday. Governor Tina "
    "Kotek declared a state of emergency for Jackson County. Smoke from the fire has pushed air "
    "quality in Medford to unhealthy levels, and schools kept pupils indoors."
)
FERRY = (
    "Ferry crews in Greece began a 48-hour strike on Tuesday over pay and staffing, leaving "
    "thousands of travellers stranded in Piraeus and on the islands. The seamen's union PNO said "
    "the walkout would go ahead unless the shipping ministry reopened talks. Operators advised "
    "passengers to rebook, and some airlines added flights to Crete and Rhodes."
)


def dated(ident: int, title: str, text: str, when: datetime, url: str = "") -> Article:
    return Article(
        ident,
        url or f"https://news.example/{ident}",
        title,
        text,
        "",
        "",
        when,
        when,
        str(ident),
        len(text.split()),
        "global",
    )


MONDAY = datetime(2026, 7, 6, 18, tzinfo=UTC)
TUESDAY = datetime(2026, 7, 7, 17, tzinfo=UTC)


def told_monday() -> list[Story]:
    return [
        Story([dated(2, "Eurogroup delays decision on Portugal budget", BUDGET, MONDAY)]),
        Story([dated(1, "Wildfire near Valencia forces 1,200 from homes", FIRE_DAY_1, MONDAY)]),
    ]


def test_a_follow_up_report_continues_its_story_and_other_events_start_new_ones(settings):
    new = [
        Story([dated(10, "Oregon wildfire burns 20,000 acres", OTHER_FIRE, TUESDAY)]),
        Story([dated(11, "Valencia fire grows to 3,400 hectares as more flee", FIRE_DAY_2, TUESDAY)]),
        Story([dated(12, "Greek ferry strike strands travellers", FERRY, TUESDAY)]),
    ]
    assert match_told(new, told_monday(), settings=settings) == [None, 1, None]


def test_a_told_story_older_than_the_window_is_not_continued(settings):
    later = MONDAY + WINDOW + timedelta(days=1)
    new = [Story([dated(11, "Valencia fire grows to 3,400 hectares as more flee", FIRE_DAY_2, later)])]
    assert match_told(new, told_monday(), settings=settings) == [None]
    assert match_told(new, told_monday(), settings=settings, window=WINDOW + timedelta(days=2)) == [1]


def test_a_copy_on_another_site_continues_the_story_and_empty_inputs_match_nothing(settings):
    copy = dated(
        20,
        "Valencia wildfire: 1,200 evacuated",
        "By our correspondent. " + FIRE_DAY_1 + " Follow us for updates.",
        TUESDAY,
        "https://other.example/valencia",
    )
    assert match_told([Story([copy])], told_monday(), settings=settings) == [1]
    assert match_told([], told_monday(), settings=settings) == []
    assert match_told([Story([copy])], [], settings=settings) == [None]


def test_stored_article_vectors_give_the_same_links(store, settings):
    ids = {}
    for key, (title, text, when) in {
        "fire1": ("Wildfire near Valencia forces 1,200 from homes", FIRE_DAY_1, MONDAY),
        "budget": ("Eurogroup delays decision on Portugal budget", BUDGET, MONDAY),
        "fire2": ("Valencia fire grows to 3,400 hectares as more flee", FIRE_DAY_2, TUESDAY),
        "oregon": ("Oregon wildfire burns 20,000 acres", OTHER_FIRE, TUESDAY),
    }.items():
        _, ids[key] = store.upsert(Document(f"https://news.example/{key}", title, text, published_at=when))
    embed_pending(store, settings)
    vectors = article_vectors(store, [*ids.values(), 999])
    assert set(vectors) == set(ids.values())
    assert all(abs(float(np.linalg.norm(v)) - 1) < 1e-4 for v in vectors.values())
    told = [Story([store.get(ids["fire1"])]), Story([store.get(ids["budget"])])]
    new = [Story([store.get(ids["oregon"])]), Story([store.get(ids["fire2"])])]
    assert match_told(new, told, vectors=vectors, settings=settings) == [None, 0]
