"""Summary modes on real text: what a reader of a summary would notice."""

from __future__ import annotations

import pytest

from summarizer import embeddings
from summarizer.config import Settings
from summarizer.errors import QueryError
from summarizer.sentences import split_sentences
from summarizer.summaries import MODES, Budget, Passage, get_summarizer, ready_modes
from summarizer.summaries.lead import LeadSummarizer

ARTICLE = """By . Daily Mail Reporter .
PUBLISHED: . 07:03 EST, 2 March 2013 . | . UPDATED: . 08:23 EST, 2 March 2013 .
A river burst its banks in the town of Ashford on Sunday, flooding more than two hundred homes and forcing families to leave in the night.
Emergency crews used boats to rescue elderly residents trapped on the upper floors of their flooded homes near the river.
Scroll down for video.
The Environment Agency said the river rose by two metres in six hours after record rainfall across the county.
Flooded: A street in Ashford
Residents said the flooding was the worst the town had seen in forty years and that warnings came too late.
A river burst its banks in the town of Ashford on Sunday, flooding more than two hundred homes and forcing families out at night.
The council opened the sports hall as a shelter and said the clean-up of the flooded homes would take weeks.
Click here to sign up for our newsletter.
"""  # noqa: E501 (an article laid out like CNN/DM: one paragraph a line, however long)


def passage(text: str = ARTICLE, title: str = "Ashford homes flooded as river bursts its banks") -> Passage:
    return Passage(0, title, tuple(split_sentences(text)))


@pytest.fixture
def plain() -> Settings:
    return Settings()


def test_registry_knows_every_mode_and_rejects_others(plain):
    for name in MODES:
        assert get_summarizer(name, plain).name == name
    assert get_summarizer(None, plain).name == plain.default_mode
    with pytest.raises(QueryError, match="Unknown summary mode 'poetry'.*extractive"):
        get_summarizer("poetry", plain)


@pytest.mark.parametrize("mode", ["extractive", "semantic"])
def test_selecting_modes_skip_bylines_boilerplate_and_repeats(mode, plain):
    picked = get_summarizer(mode, plain).summarize([passage()], Budget(sentences=4))
    texts = [p.text for p in picked]
    assert len(texts) == 4
    joined = "\n".join(texts)
    for junk in ("Daily Mail Reporter", "PUBLISHED", "Scroll down", "newsletter", "Flooded:"):
        assert junk not in joined
    # The lead is told, and told once (the article repeats it nearly word for word).
    assert texts[0].startswith("A river burst its banks")
    assert sum("burst its banks" in t for t in texts) == 1
    # Reading order is the article's order.
    order = [ARTICLE.index(t) for t in texts]
    assert order == sorted(order)


@pytest.mark.parametrize("mode", ["extractive", "semantic"])
def test_selecting_modes_pass_over_a_picture_caption_in_the_lead(mode, plain):
    text = (
        "Middlesbrough beat Rotherham 2-0 on Saturday to keep their hopes of automatic promotion alive.\n"
        "Tomlin opened the scoring after fifty minutes with a solo run from the halfway line.\n"
        "Lee Tomlin (centre) celebrates with his team-mates after scoring against Rotherham.\n"
        "Patrick Bamford doubled the lead for Middlesbrough with a header midway through the half.\n"
        "The win moves Middlesbrough on to 78 points, fourth in the Championship table.\n"
    )
    picked = get_summarizer(mode, plain).summarize(
        [Passage(0, "", tuple(split_sentences(text)))], Budget(sentences=3)
    )
    texts = [p.text for p in picked]
    assert len(texts) == 3
    assert texts[0].startswith("Middlesbrough beat Rotherham")
    assert not any("(centre)" in t for t in texts)


def test_lead_baseline_is_the_plain_first_sentences():
    sentences = split_sentences(ARTICLE)
    picked = LeadSummarizer().summarize([passage()], Budget(sentences=3))
    assert [p.text for p in picked] == sentences[:3]


@pytest.mark.parametrize("mode", ["lead", "extractive", "semantic"])
def test_every_mode_keeps_to_the_character_budget(mode, plain):
    summarizer = get_summarizer(mode, plain)
    for max_chars in (60, 200, 400):
        picked = summarizer.summarize([passage()], Budget(sentences=5, max_chars=max_chars))
        assert picked, max_chars
        assert len(" ".join(p.text for p in picked)) <= max_chars


def test_brief_across_articles_cites_each_and_prefers_the_topic(plain):
    other = (
        "Train services between Ashford and London were cancelled on Monday after the flooding "
        "damaged the line near the station. Network Rail said engineers would inspect the "
        "tracks once the water had gone down. Passengers were told to check before travelling. "
        "A football match in the town was also postponed."
    )
    passages = [passage(), Passage(1, "Ashford trains cancelled after floods", tuple(split_sentences(other)))]
    picked = get_summarizer("extractive", plain).summarize(
        passages, Budget(sentences=4), topic="Ashford trains"
    )
    keys = {k for p in picked for k in p.keys}
    assert keys == {0, 1}
    assert any("Train services" in p.text and p.keys == (1,) for p in picked)
    assert not any("football" in p.text for p in picked)


def test_the_same_fact_from_two_outlets_is_told_once_and_cites_both(plain):
    a = (
        "Police closed the bridge on Friday after cracks were found in its main span. "
        "Engineers will inspect it."
    )
    b = (
        "Police closed the bridge on Friday after cracks were found in the main span. "
        "Drivers face long detours."
    )
    picked = get_summarizer("extractive", plain).summarize(
        [Passage(0, "", tuple(split_sentences(a))), Passage(1, "", tuple(split_sentences(b)))],
        Budget(sentences=3),
    )
    told = [p for p in picked if "cracks" in p.text]
    assert len(told) == 1 and set(told[0].keys) == {0, 1}


def test_nothing_to_summarize_gives_nothing(plain):
    assert get_summarizer("extractive", plain).summarize([Passage(0, "", ())], Budget(3)) == []
    with pytest.raises(QueryError):
        Budget(sentences=0)


def test_modes_that_can_run_and_preparing_them():
    assert "abstractive" not in ready_modes(Settings())
    assert "abstractive" in ready_modes(Settings(summarizer_model="some/model"))
    get_summarizer("semantic", Settings()).prepare()  # loads the embedding model once
    assert embeddings._MODEL is not None
    get_summarizer("extractive", Settings()).prepare()  # nothing to load: a no-op
