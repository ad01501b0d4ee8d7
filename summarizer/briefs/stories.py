"""Stories: near-duplicate articles (one wire story on several sites) grouped as one, and
new stories matched to the ones a channel was told on earlier days.

Two articles are the same story when the word shingles of one are mostly found in the
other (containment of 5-word shingles, which survives an outlet trimming or adding a
paragraph). Hand-written: a few dozen articles at a time need no MinHash index.

A new story continues a told one (`match_told`) when it reports the same event: a copy of
it (the shingle test), or a new report whose words (content-word cosine over the whole
text) and meaning (cosine of the store's article vectors: title and first words) are close
to the told story's, helped by each distinctive name (people, places, organisations of the
titles and leads) the two share; and only while the told story is recent: one last
reported longer than WINDOW before the new story's oldest article never matches. The
weights and threshold were chosen on labelled sets (most recall at 95% precision, fitted
on half of the DUC 2006 topics and reported on the other half): bench/story_grouping.py,
BENCHMARKS.md "Stories across days".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from summarizer import embeddings
from summarizer.config import Settings
from summarizer.models import Article, Citation
from summarizer.sentences import split_sentences
from summarizer.summaries.scoring import STOPWORDS, content_terms
from summarizer.urls import site_name

SHINGLE = 5
SAME_STORY_AT = 0.5  # share of the shorter article's shingles found in the other
_WORD = re.compile(r"\w+")

WINDOW = timedelta(days=7)  # a told story last reported longer before than this is over
COPY_AT = SAME_STORY_AT  # containment at which a new article is a copy of a told one
# Evidence.similarity: the two cosines mixed, a bonus per shared name (up to NAMES_COUNTED).
TERMS_WEIGHT = 0.5
NAME_BONUS = 0.01
NAMES_COUNTED = 5
SAME_EVENT_AT = 0.55  # similarity at which two stories report the same event
LEAD_SENTENCES = 3  # sentences of an article whose names count (its title and lead)
_NAME = re.compile(r"\b(?:[A-Z][a-z]+(?:['’-][A-Za-z]+)*|[A-Z]{2,})\b")
_POSSESSIVE = re.compile(r"['’]s$")
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
    """What two stories share: copied text, words, meaning and distinctive names."""

    containment: float  # of 5-word shingles, best pair of articles
    terms: float  # cosine of the stories' content-word weights (titles and texts)
    passage: float  # cosine of the stories' passage vectors (titles and first words)
    shared_names: int

    @property
    def similarity(self) -> float:
        """One score of sameness: the cosines mixed, plus a bonus per shared name."""
        return (
            TERMS_WEIGHT * self.terms
            + (1 - TERMS_WEIGHT) * self.passage
            + NAME_BONUS * min(self.shared_names, NAMES_COUNTED)
        )

    def same_event(self) -> bool:
        """Whether this evidence says the stories report the same event."""
        return self.containment >= COPY_AT or self.similarity >= SAME_EVENT_AT


def names(article: Article) -> set[str]:
    """Distinctive named words of an article's title and lead: capitalised words that do not
    merely start a sentence, and acronyms (lower-cased), without weekdays and months."""
    title = article.title if not article.title.isupper() else ""  # wire headlines shout
    found: set[str] = set()
    for sentence in [title, *split_sentences(article.text[:2000])[:LEAD_SENTENCES]]:
        for match in _NAME.finditer(sentence):
            word = _POSSESSIVE.sub("", match.group().lower())
            starts = sentence[: match.start()].strip(" \"'“‘(") == ""
            if not starts and word not in STOPWORDS and word not in _CALENDAR:
                found.add(word)
    return found


def terms(articles: Iterable[Article]) -> dict[str, float]:
    """Weights of the content words (stemmed, stop words left out) of these articles' titles
    and texts: 1 + log of the count, so that a word repeated all through one text does not
    outweigh the rest (it held its precision better across DUC topics than plain counts)."""
    counts = Counter(
        word for article in articles for word in content_terms(f"{article.title}\n{article.text}")
    )
    return {word: 1 + math.log(count) for word, count in counts.items()}


def dated(article: Article) -> datetime:
    """When an article happened: its publication date, else when it was stored."""
    return article.published_at or article.ingested_at


@dataclass
class _Profile:
    """What a story is compared by, computed once per story."""

    shingles: list[set]
    terms: dict[str, float]
    terms_norm: float
    names: set[str]
    vector: np.ndarray
    first: datetime
    last: datetime

    @classmethod
    def of(cls, story: Story, vectors: Mapping[int, np.ndarray]) -> _Profile:
        centre = np.mean([vectors[a.id] for a in story.articles], axis=0)
        weights = terms(story.articles)
        return cls(
            shingles=[shingles(f"{a.title}\n{a.text}") for a in story.articles],
            terms=weights,
            terms_norm=math.sqrt(sum(w * w for w in weights.values())),
            names=set().union(*(names(a) for a in story.articles)),
            vector=centre / max(float(np.linalg.norm(centre)), 1e-12),
            first=min(dated(a) for a in story.articles),
            last=max(dated(a) for a in story.articles),
        )

    def evidence(self, other: _Profile) -> Evidence:
        small, large = sorted((self.terms, other.terms), key=len)
        dot = sum(weight * large[word] for word, weight in small.items() if word in large)
        norms = self.terms_norm * other.terms_norm
        return Evidence(
            containment=max(containment(a, b) for a in self.shingles for b in other.shingles),
            terms=dot / norms if norms else 0.0,
            passage=float(self.vector @ other.vector),
            shared_names=len(self.names & other.names),
        )


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
    window: timedelta = WINDOW,
) -> list[int | None]:
    """For each new story, the index in `told` of the earlier story it continues (same event), or None.

    `vectors` maps article ids to unit vectors (the store's: `store.vectors.article_vectors`);
    articles without one are encoded here. A told story last reported more than `window`
    before the new story's oldest article is never continued. When several told stories
    qualify, the most similar wins.
    """
    if not new or not told:
        return [None] * len(new)
    known = _complete_vectors([*new, *told], vectors, settings)
    told_profiles = [_Profile.of(story, known) for story in told]
    matches: list[int | None] = []
    for story in new:
        profile = _Profile.of(story, known)
        best: tuple[float, int] | None = None
        for i, earlier in enumerate(told_profiles):
            if earlier.last < profile.first - window:
                continue
            evidence = profile.evidence(earlier)
            if evidence.same_event() and (best is None or evidence.similarity > best[0]):
                best = (evidence.similarity, i)
        matches.append(None if best is None else best[1])
    return matches
