"""split_sentences on what real articles contain: abbreviations, decimals, quotes, glued stops."""

from __future__ import annotations

import pytest

from summarizer.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones in the U.S. capital on Monday. They talked for an hour.",
            ["Mr. Smith met Dr. Jones in the U.S. capital on Monday.", "They talked for an hour."],
        ),
        (
            "Shares rose 3.5% to $12.75 on Friday. The index gained 0.8 points.",
            ["Shares rose 3.5% to $12.75 on Friday.", "The index gained 0.8 points."],
        ),
        (
            '"We will not back down," she said. "The vote is on Tuesday."',
            ['"We will not back down," she said.', '"The vote is on Tuesday."'],
        ),
        (
            "The firm said profits fell.The shares dropped 4%.Analysts were surprised.",
            ["The firm said profits fell.", "The shares dropped 4%.", "Analysts were surprised."],
        ),
        (
            "Is it over? Nobody knows! The talks resume in Jan. 2025 in Geneva.",
            ["Is it over?", "Nobody knows!", "The talks resume in Jan. 2025 in Geneva."],
        ),
    ],
    ids=["abbreviations", "decimals", "quotes", "said.The", "question-exclamation"],
)
def test_sentence_boundaries(text: str, expected: list[str]):
    assert split_sentences(text) == expected


def test_paragraph_lines_split_first_and_blank_lines_dropped():
    text = "  First paragraph ends here.\n\n\nSecond one starts. And ends.  \n   \n"
    assert split_sentences(text) == ["First paragraph ends here.", "Second one starts.", "And ends."]


def test_a_heading_without_stop_stays_one_sentence():
    assert split_sentences("Other news this week:\nRain is expected.") == [
        "Other news this week:",
        "Rain is expected.",
    ]


def test_glued_stop_fix_leaves_names_and_urls_alone():
    text = "He joined ASP.NET team at Amazon.com last year. Visit www.example.org.Then call."
    sentences = split_sentences(text)
    assert sentences[0] == "He joined ASP.NET team at Amazon.com last year."
    assert "www.example.org." in sentences[1]


def test_empty_input():
    assert split_sentences("") == []
    assert split_sentences("\n \n") == []
