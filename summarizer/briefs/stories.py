"""Stories: near-duplicate articles (one wire story on several sites) grouped as one, and
new stories matched to the ones a channel was told on earlier days.

Two articles are the same story when the word shingles of one are mostly found in the
other (containment of 5-word shingles, which survives an outlet trimming or adding a
paragraph). Hand-written: a few dozen articles at a time need no MinHash index.

A new story continues a told one (`match_told`) when it reports the same event: a copy of
it (the shingle test), or a new article whose passage (title and first words, as the
store's article vectors encode it) is close to the told story's and that names the same
people, places and organisations; and only while the told story is recent: one last
reported longer than WINDOW before the new story's oldest article never matches. The
thresholds were chosen on labelled sets, fitted on half of the topics and reported on the
other half (bench/story_grouping.py, BENCHMARKS.md "Stories across days").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from summarizer import embeddings
from summarizer.config import Settings
from summarizer.models import Article, Citation
from summarizer.sentences import split_sentences
from summarizer.summaries.scoring import STOPWORDS
from summarizer.urls import site_name

SHINGLE = 5
SAME_STORY_AT = 0.5  # share of the shorter article's shingles found in the other
_WORD = re.compile(r"\w+")

WINDOW = timedelta(days=7)  # a told story last reported longer before than this is over
COPY_AT = SAME_STORY_AT  # containment at which a new article is a copy of a told one
CLOSE_AT = 0.80  # passage cosine at which the stories are the same on its own
SIMILAR_AT = 0.60  # passage cosine at which NAMES_SHARED shared names make them the same
NAMES_SHARED = 2
LEAD_SENTENCES = 3  # sentences of an article whose names count (its title and lead)
_NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:['’-][A-Za-z]+)*|[A-Z]{2,})\b")
_CALENDAR = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december today yesterday""".split()
)


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


@dataclass(frozen=True)
class Evidence:
    """What two stories share: copied text, closeness of meaning, distinctive names."""

    containment: float
    cosine: float
    shared_names: int

    def same_event(self) -> bool:
        """Whether this evidence says the stories report the same event."""
        return (
            self.containment >= COPY_AT
            or self.cosine >= CLOSE_AT
            or (self.cosine >= SIMILAR_AT and self.shared_names >= NAMES_SHARED)
        )


def names(article: Article) -> set[str]:
    """Distinctive named words of an article's title and lead: capitalised words that do not
    merely start a sentence, and acronyms (lower-cased), without weekdays and months."""
    title = article.title if not article.title.isupper() else ""  # wire headlines shout
    found: set[str] = set()
    for sentence in [title, *split_sentences(article.text[:2000])[:LEAD_SENTENCES]]:
        for match in _NAME.finditer(sentence):
            word = match.group().lower()
            starts = sentence[: match.start()].strip(" \"'“‘(") == ""
            if not starts and word not in STOPWORDS and word not in _CALENDAR:
                found.add(word)
    return found


def dated(article: Article) -> datetime:
    """When an article happened: its publication date, else when it was stored."""
    return article.published_at or article.ingested_at


def _story_vector(story: Story, vectors: Mapping[int, np.ndarray]) -> np.ndarray:
    centre = np.mean([vectors[a.id] for a in story.articles], axis=0)
    return centre / max(float(np.linalg.norm(centre)), 1e-12)


def _complete_vectors(
    stories: Sequence[Story], vectors: Mapping[int, np.ndarray] | None, settings: Settings | None
) -> dict[int, np.ndarray]:
    """`vectors`, plus the static model's vector of every article that has none."""
    known = dict(vectors or {})
    missing = {a.id: a for story in stories for a in story.articles if a.id not in known}
    if missing:
        made = embeddings.embed_static(
            [embeddings.article_passage(a.title, a.text) for a in missing.values()],
            settings or Settings(),
        )
        known.update(zip(missing, made, strict=True))
    return known


def match_told(
    new: Sequence[Story],
    told: Sequence[Story],
    *,
    vectors: Mapping[int, np.ndarray] | None = None,
    settings: Settings | None = None,
) -> list[int | None]:
    """For each new story, the index in `told` of the earlier story it continues (same event), or None.

    `vectors` maps article ids to unit vectors (the store's: `store.vectors.article_vectors`);
    articles without one are encoded here. When several told stories qualify, the closest
    (by passage cosine) wins.
    """
    if not new or not told:
        return [None] * len(new)
    known = _complete_vectors([*new, *told], vectors, settings)
    told_vectors = np.stack([_story_vector(s, known) for s in told])
    told_latest = [max(dated(a) for a in s.articles) for s in told]
    told_shingles = [[shingles(f"{a.title}\n{a.text}") for a in s.articles] for s in told]
    told_names = [set().union(*(names(a) for a in s.articles)) for s in told]
    matches: list[int | None] = []
    for story in new:
        cosines = told_vectors @ _story_vector(story, known)
        oldest = min(dated(a) for a in story.articles)
        own_shingles = [shingles(f"{a.title}\n{a.text}") for a in story.articles]
        own_names = set().union(*(names(a) for a in story.articles))
        best: int | None = None
        for i, cosine in enumerate(cosines):
            if told_latest[i] < oldest - WINDOW or (best is not None and cosine <= cosines[best]):
                continue
            evidence = Evidence(
                containment=max(containment(a, b) for a in own_shingles for b in told_shingles[i]),
                cosine=float(cosine),
                shared_names=len(own_names & told_names[i]),
            )
            if evidence.same_event():
                best = i
        matches.append(best)
    return matches
