"""clean_text and guess_title on the seeds and on realistic synthetic pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from summarizer.sources.clean import clean_text, guess_title

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def raw_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_seed_002_keeps_main_story_and_drops_teasers_and_header_junk():
    raw = seed("002")
    cleaned = clean_text(raw)
    kept = cleaned.split("\n")
    lines = raw_lines(raw)
    credit = next(i for i, line in enumerate(lines) if line.startswith("Top Photo:"))
    main_paragraphs = [line for line in lines[:credit] if len(line.split()) >= 15]
    assert len(main_paragraphs) >= 15
    for paragraph in main_paragraphs:  # every paragraph of the main story survives
        assert paragraph in kept
    for line in lines[credit:]:  # nothing from the photo credit on: teasers, CTAs, newsletter
        assert line not in kept, line
    for junk in ("Follow us on social", "google cta", "Biden Putin Zelenskyy", "Reporting | QiOSK"):
        assert junk not in kept
    assert kept[-1] == lines[credit - 1]  # the main story's last paragraph closes the text
    assert "Diplomacy Watch: Will South Korea give weapons to Ukraine?" in kept


def test_seed_001_drops_read_the_original_line_only():
    raw = seed("001")
    kept = clean_text(raw).split("\n")
    lines = raw_lines(raw)
    assert "Read the original article here" not in kept
    assert kept == [line for line in lines if line != "Read the original article here"]


def test_seed_000_is_already_clean():
    raw = seed("000")
    assert clean_text(raw).split("\n") == raw_lines(raw)


def test_seed_titles():
    assert guess_title(seed("002")) == "Diplomacy Watch: Will South Korea give weapons to Ukraine?"
    for prefix in ("000", "001"):
        title = guess_title(seed(prefix))
        first_line = raw_lines(seed(prefix))[0]
        assert 20 <= len(title) <= 101
        assert first_line.startswith(title.rstrip("…"))
        assert title.endswith("…") == (len(first_line.split(". ")[0]) > 100)


NEWS_PAGE = """\
Skip to content
Home
World
Business
Sport
Advertisement
Storm knocks out power to 200,000 homes
By Jane Carter
Updated 3 hours ago
Share this article
A powerful storm swept across the region overnight, knocking out power to about 200,000 homes and businesses, the utility company said on Monday.
Crews worked through the night to clear fallen trees from roads. It could take until Wednesday to restore power to everyone, a spokesperson said.
Schools were closed.
"We have never seen winds like this in March," said resident Tom Hughes, 64, whose roof was damaged.
Photo: Fallen trees block a road in Millbrook on Monday. (Getty Images)
The national weather service recorded gusts of 82.5 mph at the coast.
Advertisement
Sign up for our newsletter
Get the day's top stories delivered straight to your inbox.
Related stories
Flood warnings issued for river towns
How to prepare your home for a storm
Power company fined over outage response
Most read
1. Celebrity chef opens new restaurant
2. Local team wins championship
Follow us on Facebook and Twitter
© 2024 Daily Courier. All rights reserved.
"""  # noqa: E501 (a page as text extraction gives it: one block a line, however long)


def test_news_page_keeps_the_story_and_drops_the_chrome():
    kept = clean_text(NEWS_PAGE).split("\n")
    assert kept == [
        "Storm knocks out power to 200,000 homes",
        "A powerful storm swept across the region overnight, knocking out power to about "
        "200,000 homes and businesses, the utility company said on Monday.",
        "Crews worked through the night to clear fallen trees from roads. It could take until "
        "Wednesday to restore power to everyone, a spokesperson said.",
        "Schools were closed.",
        '"We have never seen winds like this in March," said resident Tom Hughes, 64, whose '
        "roof was damaged.",
        "The national weather service recorded gusts of 82.5 mph at the coast.",
    ]


TEASER_PAGE = """\
Scientists map the deepest part of the ocean floor
A new sonar survey has produced the most detailed map yet of the Challenger Deep, researchers said on Thursday.
The survey found the trench is about 10,935 metres deep, slightly shallower than earlier estimates.
The team plans to publish the data openly next year.
Image credit: A research vessel at sea. (Shutterstock)
Markets rally as inflation cools
Markets rally as inflation cools
Business
Stocks rose sharply on Wednesday after new figures showed inflation slowing for a third month in a row.
Analysts said the central bank could now pause its rate rises.
Read more
Photo credit: John Smith
Why city bees are thriving
Science
Urban beekeepers report record honey yields this summer, according to a new survey of hobbyists.
Continue reading
"""  # noqa: E501 (a page as text extraction gives it: one block a line, however long)


def test_teaser_stories_after_the_main_article_are_dropped():
    kept = clean_text(TEASER_PAGE).split("\n")
    assert kept == raw_lines(TEASER_PAGE)[:4]


def test_main_article_ending_with_read_more_keeps_its_paragraphs():
    text = (
        "Council backs tram extension\n"
        "The council backed a plan on Monday to extend the tram line to the airport by 2030.\n"
        "Background\n"
        "The line opened in 2004 and carries about 40,000 passengers a day.\n"
        "Officials said the extension would cut journey times by half.\n"
        "Read more"
    )
    assert clean_text(text).split("\n") == raw_lines(text)[:-1]


def test_short_sentences_subheads_and_lists_in_the_body_survive():
    text = (
        "The minister resigned on Friday after weeks of pressure over the contracts affair.\n"
        "She denied wrongdoing.\n"
        "What happens next\n"
        "The prime minister must appoint a successor. The new minister will have to:\n"
        "- Review all contracts signed since 2021\n"
        "- Report to parliament\n"
        "- Publish the findings\n"
        "No date has been set."
    )
    assert clean_text(text).split("\n") == raw_lines(text)


def test_repeated_lines_go_and_long_repeated_paragraphs_are_kept_once():
    paragraph = (
        "The company reported a 12% rise in quarterly revenue, beating analysts' forecasts for "
        "the fourth quarter running, and raised its outlook for the year."
    )
    text = f"Latest headlines\n{paragraph}\nWatch: the CEO explains\n{paragraph}\nLatest headlines\n"
    assert clean_text(text) == paragraph


def test_glued_bylines_and_scroll_down_fragments_are_removed():
    text = (
        "By . Daily Mail Reporter . PUBLISHED: 10:21 EST, 3 May 2013 | . UPDATED: 11:02 EST, "
        "3 May 2013 . A man was rescued from a frozen lake on Friday. Scroll down for video. "
        "Firefighters said he was lucky to survive."
    )
    assert clean_text(text) == (
        "A man was rescued from a frozen lake on Friday. Firefighters said he was lucky to survive."
    )


def test_trailing_read_more_fragment_is_cut_from_a_paragraph():
    text = "The bridge will reopen on Monday after three months of repairs. Read more »"
    assert clean_text(text) == "The bridge will reopen on Monday after three months of repairs."


def test_only_boilerplate_gives_empty_text():
    text = "Subscribe\nNewsletter\nFollow us on Instagram\nShare this story\nAdvertisement\n"
    assert clean_text(text) == ""
    assert clean_text("") == ""
    assert clean_text("\n \n\t\n") == ""


def test_a_real_first_paragraph_is_never_dropped():
    text = (
        "BT is offering customers free internet telephone calls if they sign up to broadband in "
        "December.\nThe offer runs until January."
    )
    assert clean_text(text).split("\n") == raw_lines(text)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("# Rates held at 5%\n\nThe central bank held rates on Thursday.", "Rates held at 5%"),
        (
            "Home\nNews\nBanks brace for a slower year\nLenders expect weaker demand. Profits fell.",
            "Banks brace for a slower year",
        ),
        ("The bank held rates. It said inflation was easing.", "The bank held rates"),
        ("", ""),
    ],
)
def test_guess_title(text: str, title: str):
    assert guess_title(text) == title


def test_guess_title_shortens_on_a_word_boundary():
    sentence = " ".join(["word"] * 60) + "."
    title = guess_title(sentence)
    assert title.endswith("…") and len(title) <= 101
    assert title.rstrip("…").split() == ["word"] * len(title.rstrip("…").split())


def test_mid_article_credits_and_ads_go_but_the_story_continues():
    text = (
        "The CTA said trains on the Blue Line would resume on Sunday after repairs.\n"
        "Photo: A train at Clark/Lake station. (AP Photo/Jane Doe)\n"
        "Advertisement\n"
        "Advertisement spending by the agency rose 5% last year, officials said.\n"
        "Riders were told to follow us signs to the shuttle buses, a spokesperson said.\n"
        "The post Blue Line service resumes appeared first on Transit Daily.\n"
        "By . Daily Mail Reporter .\n"
        "PUBLISHED: 10:21 EST, 3 May 2013 | UPDATED: 11:02 EST, 3 May 2013"
    )
    lines = raw_lines(text)
    assert clean_text(text).split("\n") == [lines[0], lines[3], lines[4]]
