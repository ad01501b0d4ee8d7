"""Plain data objects that flow through the engine: documents, stored articles, results.

Nothing here does I/O; renderers (terminal, JSON, Discord) read these and nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum

GLOBAL_SCOPE = "global"


@dataclass
class Document:
    """A clean article ready to be stored: what every ingestion path produces."""

    url: str
    title: str
    text: str
    source: str = ""
    author: str = ""
    published_at: datetime | None = None  # timezone-aware, UTC
    scope: str = GLOBAL_SCOPE  # "global" or a Discord guild id


@dataclass
class Article:
    """An article as the store holds it."""

    id: int
    url: str
    title: str
    text: str
    source: str
    author: str
    published_at: datetime | None
    ingested_at: datetime
    content_hash: str
    word_count: int
    scope: str

    @property
    def link(self) -> str | None:
        """The article's URL when it is a web link (http/https), else None."""
        return self.url if self.url.startswith(("http://", "https://")) else None


class Outcome(StrEnum):
    """What happened to one ingested item."""

    ADDED = "added"
    UPDATED = "updated"
    DUPLICATE = "duplicate"
    FAILED = "failed"


@dataclass
class IngestResult:
    """The outcome of ingesting one item (file, page, feed entry)."""

    item: str
    outcome: Outcome
    article_id: int | None = None
    title: str = ""
    reason: str = ""


@dataclass
class SearchHit:
    """One search result: the article, its combined score (higher is better), a snippet."""

    article: Article
    score: float
    snippet: str = ""


@dataclass
class Citation:
    """A numbered source in a brief or digest: one story, told by one or more articles."""

    number: int
    title: str
    url: str | None  # http(s) link or None (a local file)
    site: str
    published_at: datetime | None
    article_ids: list[int] = field(default_factory=list)
    also: list[tuple[str, str | None]] = field(default_factory=list)  # (site, url) of duplicates


@dataclass
class BriefSentence:
    """A summary sentence and the citation numbers it comes from."""

    text: str
    citations: list[int]


@dataclass
class Brief:
    """A summary answering a topic (or one article): what every renderer draws."""

    topic: str
    mode: str
    sentences: list[BriefSentence]
    citations: list[Citation]
    matched: int  # articles that matched the search
    store_size: int  # articles visible in this scope
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.sentences

    def to_dict(self) -> dict:
        """A JSON-ready dict (datetimes as ISO 8601)."""
        data = asdict(self)
        for citation in data["citations"]:
            if citation["published_at"]:
                citation["published_at"] = citation["published_at"].isoformat()
        return data
