"""Test articles for update digests and update briefs: news stories over two days, one of them
continued on day 2 by a follow-up that repeats some of day 1's sentences and adds new facts.

Written for these tests (no text from any data set)."""

from __future__ import annotations

FLOOD_TITLE = "Meran river floods force evacuations in Lindholm"
FLOOD_DAY1 = [
    "Floodwater from the Meran river forced the evacuation of about 3,000 residents in Lindholm "
    "on Monday after two days of torrential rain.",
    "The river rose more than four metres above its normal level overnight and breached a "
    "levee near the old harbour district.",
    "Emergency services moved patients from the riverside hospital to clinics on higher ground.",
    "The regional weather office warned that more rain was expected before the end of the week.",
    "Schools in the lower town will remain closed until the water recedes, the mayor said.",
]
# Day 2: the follow-up repeats three of day 1's sentences (one reworded) and adds new facts.
FLOOD_DAY2_NEW = [
    "Two people were found dead in a flooded underpass in Lindholm on Tuesday, the regional "
    "police said, the first deaths confirmed since the Meran burst its banks.",
    "The national government released 40 million euros in emergency aid and sent army "
    "engineers to reinforce the damaged levee with sandbags and steel barriers.",
    "Operators of the Kessel dam upstream began holding back water to slow the rise of the "
    "river, which crested on Tuesday evening at 4.6 metres above normal.",
]
FLOOD_DAY2_REPEATED = [
    FLOOD_DAY1[0],
    FLOOD_DAY1[1],
    # reworded: the same facts, a few words changed
    "Emergency services have moved the patients of the riverside hospital to clinics on higher ground.",
]
FLOOD_FOLLOW_UP_TITLE = "Two dead as Meran floods peak in Lindholm; government sends aid"
FLOOD_DAY2 = [FLOOD_DAY2_NEW[0], *FLOOD_DAY2_REPEATED[:2], FLOOD_DAY2_NEW[1], FLOOD_DAY2_REPEATED[2]]
FLOOD_DAY2 += [FLOOD_DAY2_NEW[2], FLOOD_DAY1[3]]

TRAM_TITLE = "Lindholm council approves a second tram line"
TRAM = [
    "Lindholm city council voted on Monday to build a second tram line linking the railway "
    "station with the university campus and the new hospital.",
    "The eleven-kilometre line will cost about 310 million euros and is due to open in 2031.",
    "Shopkeepers on Kaiserstrasse fear two years of construction will keep customers away.",
]
# Another outlet's copy of the tram story on day 2: nothing the channel was not told.
TRAM_COPY_TITLE = "Second tram line for Lindholm gets green light"
TRAM_COPY = [
    "LINDHOLM (Wire) - " + TRAM[0],
    TRAM[1],
    "Shopkeepers on Kaiserstrasse fear that two years of construction will keep their customers away.",
]

BATTERY_TITLE = "Recycling plant for car batteries opens in Ostvik"
BATTERY = [
    "A plant that recovers lithium, nickel and cobalt from used electric car batteries opened "
    "in the port town of Ostvik on Tuesday.",
    "The company behind it says the plant can process 25,000 tonnes of batteries a year and "
    "will employ 180 people.",
    "Environmental groups welcomed the project but asked for independent checks on waste water.",
]


def text(sentences: list[str]) -> str:
    """An article's text from its sentences."""
    return " ".join(sentences)
