"""HTML to Document: trafilatura finds the main text and metadata; clean_text polishes it."""

from __future__ import annotations

from datetime import datetime

import trafilatura

from summarizer.errors import ExtractionError
from summarizer.models import Document
from summarizer.sources.clean import clean_text, guess_title
from summarizer.store import parse_utc
from summarizer.urls import site_name

# Fewer words than this after cleaning is not an article (a menu, a cookie wall, an error page).
MIN_ARTICLE_WORDS = 8
# Ask htmldate (inside trafilatura) for the time and offset too, not only the day.
_DATE_PARAMS = {
    "extensive_search": True,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}


def _looks_binary(html: str) -> bool:
    sample = html[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    controls += sample.count("\ufffd")
    return controls > len(sample) * 0.05


def _utc(value: str | None) -> datetime | None:
    """trafilatura's date string as an aware UTC datetime (a date without offset counts as UTC)."""
    try:
        return parse_utc(value)
    except ValueError:
        return None


def _extract(html: str, url: str | None, favor_recall: bool = False):
    return trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        date_extraction_params=_DATE_PARAMS,
        favor_recall=favor_recall,
    )


def extract_html(html: str, url: str | None = None) -> Document:
    """Extract the article of an HTML page as a Document (text cleaned, one paragraph a line).

    Title, author, publication date (aware, UTC) and site name come from the page's metadata;
    `source` is the site's name, else the URL's host. Raises ExtractionError, with a message a
    user can read, when the page is empty, binary, or holds no article text (only navigation).
    """
    where = url or "the page"
    if not html or not html.strip():
        raise ExtractionError(f"{where} is empty: there is no article text to read.")
    if _looks_binary(html):
        raise ExtractionError(f"{where} is not a web page (binary data): no article text to read.")
    try:
        result = _extract(html, url) or _extract(html, url, favor_recall=True)
    except (ValueError, TypeError) as error:  # lxml refuses some malformed documents
        raise ExtractionError(f"{where} could not be read as HTML ({error}).") from error
    text = clean_text(result.text or "") if result else ""
    if len(text.split()) < MIN_ARTICLE_WORDS:
        raise ExtractionError(f"No article text found in {where} (only navigation or boilerplate).")
    title = (result.title or "").strip() or guess_title(text)
    lines = text.split("\n")
    if len(lines) > 1 and lines[0].strip().lower() == title.lower():
        text = "\n".join(lines[1:])  # the page's <h1>: already the Document's title
    source = (result.sitename or "").strip() or (site_name(url) if url else "")
    return Document(
        url=url or "",
        title=title,
        text=text,
        source=source,
        author=(result.author or "").strip(),
        published_at=_utc(result.date),
    )
