"""extract_html on realistic pages: metadata found, page chrome gone, clear errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from summarizer.errors import BriefbotError, ExtractionError
from summarizer.sources.extract import extract_html

PARAGRAPHS = [
    "The city council voted 7 to 2 on Tuesday to turn the abandoned rail yard along the river "
    "into a public park, ending a decade-long debate over the site.",
    "The plan includes walking trails, a playground and a small amphitheatre. Construction is "
    "expected to begin next spring and to cost about $12.5 million, most of it from a state grant.",
    '"This is the most important green space decision this city has made in fifty years," said '
    "councillor Dana Whitfield, who sponsored the measure.",
    "Opponents argued that the land should be sold to developers to raise money for road repairs. "
    "Two council members said the city could not afford to maintain another park.",
    "Residents will be able to comment on the final design at public meetings in April.",
]


def page(head: str = "", body_extra: str = "") -> str:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>City council approves new riverside park | The Harbor Gazette</title>{head}</head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/subscribe">Subscribe</a></li></ul></nav></header>
<main><article><h1>City council approves new riverside park</h1>
<p class="byline">By Maria Lopez</p>
{paragraphs}
<p>Share this article</p>
</article>
<aside><h3>Related stories</h3><ul><li><a href="/a">Mayor unveils budget plan for the
coming year</a></li><li><a href="/b">Bridge repairs delayed again after storms</a></li></ul></aside>
{body_extra}</main>
<footer><p>Sign up for our newsletter to get the latest news delivered to your inbox.</p>
<p>© 2024 The Harbor Gazette. All rights reserved.</p>
<ul><li><a href="/privacy">Privacy policy</a></li><li><a href="/terms">Terms of use</a></li></ul>
</footer></body></html>"""


METADATA = """
<meta property="og:title" content="City council approves new riverside park">
<meta property="og:site_name" content="The Harbor Gazette">
<meta name="author" content="Maria Lopez">
<meta property="article:published_time" content="2024-03-05T14:30:00+01:00">
"""


def test_article_text_and_metadata_are_extracted():
    doc = extract_html(page(METADATA), "https://www.harborgazette.com/news/park?utm_source=x")
    assert doc.title == "City council approves new riverside park"
    assert doc.author == "Maria Lopez"
    assert doc.source == "The Harbor Gazette"
    assert doc.url == "https://www.harborgazette.com/news/park?utm_source=x"
    assert doc.published_at == datetime(2024, 3, 5, 13, 30, tzinfo=UTC)
    assert doc.text.split("\n") == PARAGRAPHS  # one paragraph a line, in order, nothing else
    for chrome in (
        "Home",
        "Subscribe",
        "Related stories",
        "Bridge repairs",
        "newsletter",
        "All rights reserved",
        "Privacy policy",
        "Share this article",
        "By Maria",
    ):
        assert chrome not in doc.text


def test_source_falls_back_to_the_host_and_title_to_the_page():
    doc = extract_html(page(), "https://www.harborgazette.com/news/park")
    assert doc.source == "harborgazette.com"
    assert doc.title.startswith("City council approves new riverside park")
    assert doc.published_at is None or doc.published_at.tzinfo == UTC
    assert doc.text.split("\n") == PARAGRAPHS


def test_a_date_without_offset_is_taken_as_utc():
    head = '<meta property="article:published_time" content="2023-11-20T08:15:00">'
    doc = extract_html(page(head), "https://example.org/story")
    assert doc.published_at == datetime(2023, 11, 20, 8, 15, tzinfo=UTC)


def test_teasers_inside_the_article_container_are_cleaned():
    teaser = (
        "<div><p>Top image credit: A crane at the port. (Shutterstock)</p>"
        "<h2>Dock workers vote to strike over pay</h2><p>Dock workers vote to strike over pay</p>"
        "<p>Union members backed the strike by a wide margin in a ballot that closed on Friday "
        "evening, the union said.</p><p>keep reading</p></div>"
    )
    html = page(METADATA).replace("<p>Share this article</p>", teaser)
    doc = extract_html(html, "https://www.harborgazette.com/news/park")
    assert doc.text.split("\n") == PARAGRAPHS


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   \n  ",
        "\x00\x01\x02\x03PK\x03\x04" * 400,
        bytes(range(256)).decode("latin-1") * 20,
        "<html><body><nav><ul><li><a href='/'>Home</a></li><li><a href='/a'>About us</a></li>"
        "<li><a href='/c'>Contact</a></li></ul></nav><footer>© 2024 Example</footer></body></html>",
        "<html><head><title>Subscribe</title></head><body><p>Subscribe now</p>"
        "<p>Sign up for our newsletter</p></body></html>",
    ],
    ids=["empty", "blank", "binary-zip", "binary-bytes", "navigation-only", "cta-only"],
)
def test_no_article_text_raises_a_readable_error(html: str):
    with pytest.raises(ExtractionError) as caught:
        extract_html(html, "https://example.org/page")
    assert isinstance(caught.value, BriefbotError)
    message = str(caught.value)
    assert "https://example.org/page" in message and "article text" in message
