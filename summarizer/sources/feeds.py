"""RSS 0.9x–2.0, RSS 1.0 (RDF) and Atom feeds: detect them, read them (feedparser), and turn
each entry into a Document, from the feed's own full text or from the entry's web page.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from html import unescape
from urllib.parse import urljoin

import feedparser
import lxml.etree
import lxml.html
import trafilatura

from summarizer.config import Settings
from summarizer.errors import BriefbotError, ExtractionError, FeedError
from summarizer.models import Document
from summarizer.sources.clean import clean_text, guess_title, tidy_title
from summarizer.sources.dates import DateReading, read_date
from summarizer.sources.extract import extract_html
from summarizer.sources.fetch import FEED_TYPES, bom_encoding, fetch
from summarizer.urls import canonical_url, is_web_url, site_name, url_scheme

# A feed's own text counts as the full article from this many words; shorter is a teaser.
FULL_TEXT_MIN_WORDS = 120
# When an entry's page cannot be read, a feed summary at least this long is stored instead.
FALLBACK_MIN_WORDS = 40

# The root element of a feed, after any XML declaration, comments, processing instructions
# and doctype. feedparser itself happily "parses" HTML pages, so detection is done first.
_PROLOG = re.compile(rb"^(\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", re.DOTALL | re.IGNORECASE)
_FEED_ROOT = re.compile(rb"^<(?:[\w-]+:)?(rss|feed|RDF)[\s>/]", re.IGNORECASE)


@dataclass
class FeedEntry:
    """One feed item, before its text is settled."""

    url: str  # canonical link of the item
    title: str
    published_at: datetime | None
    author: str
    content_html: str  # the entry's full content (content:encoded, atom content), may be ""
    summary_html: str  # description / summary, may be ""
    note: str = ""  # what was wrong with the entry but did not stop it (a bad date, an unsafe link)


@dataclass
class Feed:
    """A parsed feed."""

    url: str
    title: str
    entries: list[FeedEntry]
    warning: str = ""  # set when the XML was broken but entries could still be read


def looks_like_feed(content: bytes, content_type: str = "") -> bool:
    """True when the bytes are an RSS, RDF or Atom document (by media type or root element)."""
    if content_type in FEED_TYPES:
        return True
    head = content[:8192]
    encoding = bom_encoding(head)
    if encoding:  # UTF-8 with a mark, UTF-16, UTF-32: look at the text, not the bytes
        head = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head).encode("utf-8")
    while True:
        match = _PROLOG.match(head)
        if not match or not match.group(0):
            break
        head = head[match.end() :]
    return bool(_FEED_ROOT.match(head))


def _published(entry: feedparser.FeedParserDict, languages: list[str] | None) -> DateReading:
    """The entry's date, read from the text the feed wrote (feedparser's own parsed tuples
    shift impossible dates into the next month and carry years 0 and 10000)."""
    for key in ("published", "updated", "created"):
        raw = entry.get(key)
        if isinstance(raw, str) and raw.strip():
            return read_date(raw, languages)
    return DateReading(None)


def _languages(parsed: feedparser.FeedParserDict) -> list[str] | None:
    """The feed's <language> as a dateparser hint ("pt-BR" -> ["pt", "en"]), None when not given."""
    code = (parsed.feed.get("language") or "").strip().lower()[:2]
    if not code.isalpha() or len(code) != 2:
        return None
    return [code] if code == "en" else [code, "en"]


def _entry_url(entry: feedparser.FeedParserDict, feed_url: str, site_url: str) -> tuple[str, str]:
    """The entry's canonical http(s) link and a note when its link could not be used.

    Relative links resolve against the feed's address when it was fetched from the web, and
    against the feed's own <link> (its site) when it was read from a file: never into a
    `file:///blog/...` path. Links that are not web addresses (`javascript:`, `data:`,
    `vbscript:`, `file:`...) are never stored: the entry keeps its text under an identifier.
    """
    link = (entry.get("link") or "").strip()
    if not link:
        guid = entry.get("id") or ""
        if guid.startswith(("http://", "https://")):
            link = guid
    note = ""
    if link:
        base = feed_url if is_web_url(feed_url) else site_url if is_web_url(site_url) else ""
        absolute = urljoin(base, link) if base else link
        if is_web_url(absolute):
            return canonical_url(absolute), ""
        scheme = url_scheme(link)
        kind = f"a {scheme}: link" if scheme else "a relative link with no web address to resolve it against"
        note = f"{kind} is not a web address; stored without a link"
    # No usable link: a stable identifier from the feed and the guid or title. Not a
    # "feed#fragment" URL: canonical URLs drop fragments, so every such entry would collide.
    key = entry.get("id") or entry.get("title") or repr(sorted(entry.keys()))
    digest = hashlib.sha1(f"{feed_url}\n{key}".encode()).hexdigest()[:20]
    return f"urn:briefbot:entry:{digest}", note


def _content_html(entry: feedparser.FeedParserDict) -> str:
    contents = entry.get("content") or []
    best = max(contents, key=lambda c: len(c.get("value", "")), default=None)
    return best.get("value", "") if best else ""


def advertised_feed(html: str, page_url: str) -> str | None:
    """The first RSS/Atom feed a web page advertises (`<link rel="alternate" type=...>`),
    as feed readers discover it; None when the page names none."""
    try:
        document = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return None
    for link in document.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        if "alternate" in rel and (link.get("type") or "").lower().strip() in FEED_TYPES:
            return urljoin(page_url, link.get("href").strip())
    return None


def parse_feed(content: bytes, url: str) -> Feed:
    """Parse feed bytes. Raises FeedError when the document is empty, or broken and yields no entries."""
    if not content.strip():
        raise FeedError(f"empty feed: {url} has no content")
    parsed = feedparser.parse(content, sanitize_html=True, resolve_relative_uris=True)
    if parsed.bozo and not parsed.entries:
        reason = getattr(parsed.get("bozo_exception"), "getMessage", None)
        detail = reason() if callable(reason) else str(parsed.get("bozo_exception", ""))
        raise FeedError(f"broken feed at {url}: the XML cannot be read ({detail})")
    if not parsed.get("version") and not parsed.entries:
        raise FeedError(f"not a feed: {url} is not RSS or Atom")
    title = tidy_title(parsed.feed.get("title") or "") or site_name(url) or url
    site_url = parsed.feed.get("link") or ""
    languages = _languages(parsed)
    entries = []
    for entry in parsed.entries:
        entry_url, link_note = _entry_url(entry, url, site_url)
        date = _published(entry, languages)
        entries.append(
            FeedEntry(
                url=entry_url,
                title=tidy_title(entry.get("title") or ""),
                published_at=date.moment,
                author=(entry.get("author") or "").strip(),
                content_html=_content_html(entry),
                summary_html=entry.get("summary") or "",
                note="; ".join(part for part in (date.problem, link_note) if part),
            )
        )
    warning = str(parsed.get("bozo_exception", "")) if parsed.bozo else ""
    return Feed(url=url, title=title, entries=entries, warning=warning)


def html_fragment_text(html: str) -> str:
    """Readable, cleaned text of an HTML fragment (a feed's content or summary)."""
    if not html.strip():
        return ""
    if "<" not in html:
        return clean_text(unescape(html))
    try:
        return extract_html(f"<html><body><article>{html}</article></body></html>").text
    except ExtractionError:
        # trafilatura's main-content search rejects very short fragments; keep their text.
        return clean_text(trafilatura.html2txt(f"<html><body>{html}</body></html>") or "")


def _word_count(text: str) -> int:
    return len(text.split())


def entry_own_text(entry: FeedEntry) -> str:
    """The cleaned text the feed itself carries for an entry (full text or summary)."""
    return html_fragment_text(max(entry.content_html, entry.summary_html, key=len))


def has_full_text(own_text: str) -> bool:
    """True when a feed's own text for an entry is the whole article, not a teaser."""
    return _word_count(own_text) >= FULL_TEXT_MIN_WORDS


def entry_document(entry: FeedEntry, feed: Feed, settings: Settings, scope: str, own_text: str) -> Document:
    """The entry as a Document: the feed's full text when it carries one (`own_text`, from
    `entry_own_text`), else its web page.

    Raises a BriefbotError (FetchError, ExtractionError...) when neither gives article text.
    """
    if not has_full_text(own_text) and entry.url.startswith(("http://", "https://")):
        try:
            page = fetch(entry.url, settings)
            extracted = extract_html(page.text, page.url)
        except BriefbotError:
            if _word_count(own_text) < FALLBACK_MIN_WORDS:
                raise
        else:
            return Document(
                url=entry.url,
                title=entry.title or extracted.title or guess_title(extracted.text),
                text=extracted.text,
                source=feed.title,
                author=entry.author or extracted.author,
                published_at=entry.published_at or extracted.published_at,
                scope=scope,
            )
    if not own_text.strip():
        raise ExtractionError(f"no article text in the feed item {entry.url}")
    return Document(
        url=entry.url,
        title=entry.title or guess_title(own_text),
        text=own_text,
        source=feed.title,
        author=entry.author,
        published_at=entry.published_at,
        scope=scope,
    )
