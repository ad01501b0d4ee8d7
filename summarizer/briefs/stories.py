"""Stories: near-duplicate articles (one wire story on several sites) grouped as one.

Two articles are the same story when the word shingles of one are mostly found in the
other (containment of 5-word shingles, which survives an outlet trimming or adding a
paragraph). Hand-written: a few dozen articles at a time need no MinHash index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.models import Article, Citation
from summarizer.urls import site_name

SHINGLE = 5
SAME_STORY_AT = 0.5  # share of the shorter article's shingles found in the other
_WORD = re.compile(r"\w+")


@dataclass
class Story:
    """One story: its lead article (the first given, e.g. the best match) and the others."""

    articles: list[Article] = field(default_factory=list)

    @property
    def lead(self) -> Article:
        return self.articles[0]

    @property
    def article_ids(self) -> list[int]:
        return [a.id for a in self.articles]

    def citation(self, number: int) -> Citation:
        """The story as source [number]: its lead article, then every other outlet."""
        lead, *others = self.articles
        return Citation(
            number=number,
            title=lead.title,
            url=lead.link,
            site=site_of(lead),
            published_at=lead.published_at,
            article_ids=self.article_ids,
            also=[(site_of(a), a.link) for a in others],
        )


def site_of(article: Article) -> str:
    """A short name of where an article comes from: its web host, else its source or file."""
    if article.link:
        return site_name(article.link)
    return article.source or Path(article.url).name or article.url


def shingles(text: str, size: int = SHINGLE) -> set[tuple[str, ...]]:
    """The set of `size`-word sequences of `text` (lower-cased words)."""
    words = _WORD.findall(text.lower())
    if len(words) < size:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


def containment(a: set, b: set) -> float:
    """Share of the smaller set found in the larger one."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small)


def group_stories(articles: Sequence[Article], threshold: float = SAME_STORY_AT) -> list[Story]:
    """Group near-duplicate articles into stories, keeping the order of first appearance.

    Each article joins the first earlier story whose lead or any member it nearly
    duplicates (title and text compared together).
    """
    stories: list[Story] = []
    signatures: list[list[set]] = []
    for article in articles:
        signature = shingles(f"{article.title}\n{article.text}")
        for story, members in zip(stories, signatures, strict=True):
            if any(containment(signature, other) >= threshold for other in members):
                story.articles.append(article)
                members.append(signature)
                break
        else:
            stories.append(Story([article]))
            signatures.append([signature])
    return stories
