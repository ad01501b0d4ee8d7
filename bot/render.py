"""Briefs (and anything else the bot posts) as Discord embeds that always fit Discord's limits.

Safety for text that comes from articles: `escape()` (markdown and mentions escaped,
whitespace collapsed), `safe_url()` (http(s) links only), `link()` (a masked link, or the
plain label when the URL is not a web link). Dates are Discord timestamps (`<t:…:d>`), shown
in each reader's locale and time zone.

Generic helpers the digest renderer reuses:
- `truncate(text, limit)`: cut at a word boundary with an ellipsis, never mid-escape.
- `split_text(text, limit)`: pieces of at most `limit` characters, cut at line breaks, then
  at spaces (a line longer than the limit is the only thing ever cut mid-line).
- `embed_pages(lines, title=..., footer=...)`: lines -> embeds whose descriptions fit.
- `add_fields(embed, name, lines)`: lines -> fields (<= 1,024 characters each) while they fit.
- `message_batches(embeds)`: embeds grouped into messages (<= 10 embeds, <= 6,000 chars).
- `citation_line(citation)`, `cite(numbers, citations)`: sources and [n] links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import quote, urlsplit

import discord
from discord.utils import TimestampStyle

from summarizer.models import Brief, Citation

CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TOTAL = 6000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELDS_PER_EMBED = 25
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
SOURCE_TITLE_CHARS = 150  # a source's title in the list (keeps ten sources in one field or two)
ELLIPSIS = "…"
BRIEF_COLOR = discord.Colour.blurple()

_SPACES = re.compile(r"\s+")
_NUMBERED = re.compile(r"^(\d+)\.")


def escape(text: str) -> str:
    """Article text made inert: markdown and mentions escaped, whitespace on one line."""
    flat = _SPACES.sub(" ", text or "").strip()
    escaped = discord.utils.escape_markdown(flat)
    escaped = _NUMBERED.sub(r"\1\\.", escaped)  # '1. x' at a line start would become a list
    return discord.utils.escape_mentions(escaped)


def truncate(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, ending in an ellipsis."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:limit]
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    # A trailing backslash would escape the ellipsis (or eat a character of what follows).
    return cut.rstrip().rstrip("\\") + ELLIPSIS


def safe_url(url: str | None) -> str | None:
    """The URL if it is an http(s) link with a host, made safe inside a markdown link, else None."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # Characters that end or break a markdown link target are percent-encoded.
    return quote(url, safe=":/?#@!$&'*+,;=%-._~[]")


def link(label: str, url: str | None) -> str:
    """A masked link `[label](url)` with an escaped label, or just the label without a web URL."""
    text = escape(label).replace("[", "\\[").replace("]", "\\]")
    target = safe_url(url)
    return f"[{text}]({target})" if target else text


def timestamp(moment: datetime | None, style: TimestampStyle = "d") -> str:
    """A Discord timestamp (`<t:unix:d>`): each reader sees it in their own locale."""
    return discord.utils.format_dt(moment, style) if moment else ""


def split_text(text: str, limit: int) -> list[str]:
    """Split `text` into pieces of at most `limit` characters, at line breaks where possible,
    else at spaces; only a single word longer than `limit` is cut."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit + 1)
            cut = cut if cut > 0 else limit
            head, line = line[:cut].rstrip(), line[cut:].lstrip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = line
    if current:
        pieces.append(current)
    return [p.rstrip() for p in pieces if p.strip()]


def embed_pages(
    lines: Iterable[str],
    *,
    title: str,
    footer: str | None = None,
) -> list[discord.Embed]:
    """Embeds holding `lines` in their descriptions (each <= 4,096 characters); the title on the
    first (later ones say 'continued'), the footer on the last."""
    pages = split_text("\n".join(lines), DESCRIPTION_LIMIT) or [""]
    embeds = []
    for index, page in enumerate(pages):
        name = title if index == 0 else f"{title} (continued)"
        embeds.append(
            discord.Embed(title=truncate(name, TITLE_LIMIT), description=page or None, colour=BRIEF_COLOR)
        )
    if footer:
        embeds[-1].set_footer(text=truncate(footer, FOOTER_LIMIT))
    return embeds


def add_fields(embed: discord.Embed, name: str, lines: Sequence[str]) -> bool:
    """Add `lines` as fields of at most 1,024 characters (the first named `name`, later ones
    '… (continued)'), stopping before Discord's 25 fields or 6,000 characters an embed.
    Returns False when some lines did not fit."""
    for index, value in enumerate(split_text("\n".join(lines), FIELD_VALUE_LIMIT)):
        label = truncate(name if index == 0 else f"{name} (continued)", FIELD_NAME_LIMIT)
        if len(embed.fields) >= FIELDS_PER_EMBED or len(embed) + len(label) + len(value) > EMBED_TOTAL:
            return False
        embed.add_field(name=label, value=value, inline=False)
    return True


def message_batches(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Group embeds into messages of at most 10 embeds and 6,000 characters in all."""
    batches: list[list[discord.Embed]] = []
    size = 0
    for embed in embeds:
        length = len(embed)
        if not batches or len(batches[-1]) >= EMBEDS_PER_MESSAGE or size + length > EMBED_TOTAL:
            batches.append([])
            size = 0
        batches[-1].append(embed)
        size += length
    return batches


def cite(numbers: Iterable[int], citations: dict[int, Citation]) -> str:
    """'[1][3]' with each number linked to its source when it has a web link."""
    marks = []
    for number in numbers:
        citation = citations.get(number)
        target = safe_url(citation.url) if citation else None
        marks.append(f"[\\[{number}\\]]({target})" if target else f"\\[{number}\\]")
    return "".join(marks)


def citation_line(citation: Citation) -> str:
    """'**1.** [Title](url) — site · date', plus 'also:' links to the same story elsewhere."""
    title = link(truncate(citation.title or citation.site or "untitled", SOURCE_TITLE_CHARS), citation.url)
    details = [escape(citation.site)] if citation.site else []
    if citation.published_at:
        details.append(timestamp(citation.published_at))
    line = f"**{citation.number}.** {title}"
    if details:
        line += " — " + " · ".join(details)
    if citation.also:
        others = [link(site or "link", url) for site, url in citation.also[:5]]
        line += " (also: " + ", ".join(others) + ")"
    return line


def sentence_line(text: str, numbers: Iterable[int], citations: dict[int, Citation]) -> str:
    """A summary sentence, escaped, followed by its linked [n] marks."""
    marks = cite(numbers, citations)
    return f"{escape(text)} {marks}".rstrip()


def brief_footer(brief: Brief, elapsed_s: float) -> str:
    """'extractive · 4 articles · 1.2 s'."""
    used = len({i for c in brief.citations for i in c.article_ids}) or len(brief.citations)
    articles = f"{used} article{'s' if used != 1 else ''}"
    if brief.matched > used:
        articles = f"{used} of {brief.matched} matching articles"
    return f"{brief.mode} · {articles} · {elapsed_s:.1f} s"


def brief_embed(brief: Brief, elapsed_s: float, new_since: datetime | None = None) -> discord.Embed:
    """One embed: the cited summary, its sources, and a footer; always within Discord's limits
    (sentences that would not fit are left out, whole). An update brief (`new_since`) is
    titled "What's new" and its footer says since when."""
    citations = {c.number: c for c in brief.citations}
    footer = brief_footer(brief, elapsed_s)
    kind = "Brief"
    if new_since is not None:
        kind = "What's new"
        footer = f"new since {new_since:%Y-%m-%d %H:%M} UTC · {footer}"
    title = truncate(f"{kind}: {escape(brief.topic)}", TITLE_LIMIT)  # the topic is user text
    source_lines = [citation_line(c) for c in brief.citations]
    sources_size = sum(len(line) + 1 for line in source_lines) + 40
    room = min(DESCRIPTION_LIMIT, EMBED_TOTAL - len(title) - len(footer) - sources_size)
    description = ""
    for sentence in brief.sentences:
        line = sentence_line(sentence.text, sentence.citations, citations)
        candidate = f"{description}\n{line}" if description else line
        if len(candidate) > room:
            break
        description = candidate
    if not description and brief.sentences:
        first = brief.sentences[0]
        marks = cite(first.citations, citations)
        description = truncate(escape(first.text), max(room - len(marks) - 1, 1)) + " " + marks
    embed = discord.Embed(title=title, description=description or None, colour=BRIEF_COLOR)
    embed.set_footer(text=truncate(footer, FOOTER_LIMIT))
    add_fields(embed, "Sources", source_lines)
    return embed
