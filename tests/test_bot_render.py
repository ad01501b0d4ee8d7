"""Rendering briefs for Discord: always within Discord's limits, article text made inert,
links only when they are http(s)."""

from __future__ import annotations

from datetime import UTC, datetime

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL,
    FIELD_VALUE_LIMIT,
    add_fields,
    brief_embed,
    embed_pages,
    escape,
    link,
    message_batches,
    safe_url,
    split_text,
    truncate,
)
from summarizer.models import Brief, BriefSentence, Citation

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=3000)


def _within_limits(embed: discord.Embed) -> None:
    data = embed.to_dict()
    assert len(data.get("title", "")) <= 256
    assert len(data.get("description", "")) <= DESCRIPTION_LIMIT
    assert len(data.get("fields", [])) <= 25
    for field in data.get("fields", []):
        assert 1 <= len(field["name"]) <= 256 and 1 <= len(field["value"]) <= FIELD_VALUE_LIMIT
    assert len(data.get("footer", {}).get("text", "")) <= 2048
    assert len(embed) <= EMBED_TOTAL


@given(texts, st.integers(min_value=20, max_value=500))
@settings(max_examples=200, deadline=None)
def test_split_text_keeps_every_word_within_the_limit(text, limit):
    pieces = split_text(text, limit)
    assert all(len(p) <= limit for p in pieces)
    assert "".join(text.split()) == "".join("".join(pieces).split())


def test_split_text_cuts_at_lines_then_spaces():
    text = "first line\nsecond line here\n" + "word " * 30
    pieces = split_text(text, 40)
    assert pieces[0] == "first line\nsecond line here"
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in pieces)
    assert all(set(p.split()) == {"word"} for p in pieces[1:])  # no word cut in two


def test_truncate_ends_cleanly():
    assert truncate("short", 10) == "short"
    cut = truncate("The harbour plan was approved on Monday by the board", 30)
    assert len(cut) <= 30 and cut.endswith("…") and not cut.endswith(" …")
    assert truncate("a\\*b\\*c \\*d\\* " * 10, 12)[-2] != "\\"


def test_article_text_is_made_inert():
    shown = escape("**Breaking** @everyone __now__ [click](https://evil.example) <@123456789012345678>")
    assert "**" not in shown.replace("\\*\\*", "")
    assert "@everyone" not in shown  # a zero-width space keeps it from pinging
    assert "\\[click](" in shown  # the masked link is escaped: shown as text
    assert "\n" not in escape("one\ntwo\n\nthree")
    assert escape("1. numbered").startswith("1\\.")


def test_links_are_http_only():
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("file:///etc/passwd") is None
    assert safe_url("/home/me/notes.txt") is None
    assert safe_url("https://example.org/a b)c") == "https://example.org/a%20b%29c"
    assert link("Title", "ftp://example.org/") == "Title"
    assert link("A [weird] title", "https://example.org/x") == "[A \\[weird\\] title](https://example.org/x)"


def _brief(sentences: list[str], titles: list[str], urls: list[str | None]) -> Brief:
    citations = [
        Citation(
            number=i + 1,
            title=title,
            url=url,
            site="example.org",
            published_at=datetime(2026, 11, 2, 8, tzinfo=UTC),
            article_ids=[i + 1],
            also=[("mirror.example", "https://mirror.example/x"), ("local", None)],
        )
        for i, (title, url) in enumerate(zip(titles, urls, strict=True))
    ]
    return Brief(
        topic="harbour plan",
        mode="extractive",
        sentences=[BriefSentence(text, [1 + i % len(citations)]) for i, text in enumerate(sentences)],
        citations=citations,
        matched=12,
        store_size=40,
    )


def test_brief_embed_cites_and_links_its_sources():
    brief = _brief(
        ["The harbour plan was approved on Monday.", "Work starts in spring."],
        ["Harbour plan *approved*", "Local notes"],
        ["https://news.example/harbour", "/srv/notes/harbour.txt"],
    )
    embed = brief_embed(brief, elapsed_s=1.23)
    assert embed.title == "Brief: harbour plan"
    assert (
        "The harbour plan was approved on Monday. [\\[1\\]](https://news.example/harbour)"
        in embed.description
    )
    assert "Work starts in spring. \\[2\\]" in embed.description  # no web link: plain mark
    sources = embed.fields[0]
    assert sources.name == "Sources"
    assert "[Harbour plan \\*approved\\*](https://news.example/harbour)" in sources.value
    assert "**2.** Local notes — example.org" in sources.value
    assert "<t:" in sources.value  # dates in each reader's own time zone
    assert embed.footer.text == "extractive · 2 of 12 matching articles · 1.2 s"


@given(
    st.lists(texts, min_size=1, max_size=12),
    st.lists(texts, min_size=1, max_size=10),
    st.lists(
        st.sampled_from(["https://e.org/a", "javascript:x", None, "https://e.org/" + "p" * 900]),
        min_size=10,
        max_size=10,
    ),
)
@settings(max_examples=60, deadline=None)
def test_brief_embed_always_fits(sentences, titles, urls):
    embed = brief_embed(_brief(sentences, titles, urls[: len(titles)]), elapsed_s=0.5)
    _within_limits(embed)
    assert "javascript:" not in (embed.description or "")


def test_pages_fields_and_batches_stay_within_limits():
    lines = [f"**{n}.** " + "news " * 60 for n in range(200)]
    pages = embed_pages(lines, title="Digest", footer="footer")
    assert len(pages) > 1 and pages[1].title == "Digest (continued)"
    assert pages[-1].footer.text == "footer"
    for page in pages:
        _within_limits(page)
    batches = message_batches(pages)
    assert sum(len(b) for b in batches) == len(pages)
    for batch in batches:
        assert len(batch) <= 10 and sum(len(e) for e in batch) <= EMBED_TOTAL
    embed = discord.Embed(title="x")
    assert add_fields(embed, "Sources", lines[:4])
    assert [f.name for f in embed.fields] == ["Sources", "Sources (continued)"]
    assert not add_fields(embed, "More", lines[:40])  # more than an embed can hold
    _within_limits(embed)
