"""HTML to Document: trafilatura finds the main text and metadata; clean_text polishes it."""

from __future__ import annotations

from datetime import datetime, timezone

import trafilatura

from summarizer.clean import clean_text
from summarizer.errors import ExtractionError
from summarizer.models import Document
from summarizer.urls import site_name


def extract_html(html: str, url: str | None = None) -> Document:
    """Extract the article of an HTML page. Raises ExtractionError when there is none."""
    where = url or "the page"
    if not html or not html.strip():
        raise ExtractionError(f"{where} is empty: no article text to read.")
    result = trafilatura.bare_extraction(html, url=url, with_metadata=True, favor_precision=True)
    text = clean_text(getattr(result, "text", "") or "") if result else ""
    if not text.strip():
        raise ExtractionError(f"No article text found in {where}.")
    published = None
    date = getattr(result, "date", None)
    if date:
        try:
            published = datetime.fromisoformat(date).replace(tzinfo=timezone.utc)
        except ValueError:
            published = None
    return Document(
        url=url or "",
        title=(result.title or "").strip(),
        text=text,
        source=(result.sitename or "") or (site_name(url) if url else ""),
        author=(result.author or "").strip(),
        published_at=published,
    )
