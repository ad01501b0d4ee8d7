"""Sentence features shared by the selecting modes (lead-aware, extractive, semantic).

Hand-written on purpose: the features are a handful of counts over a few dozen sentences,
and the extractive mode must run in about a millisecond per article, which rules out
pulling in scikit-learn or a stemmer library (neither is a runtime dependency).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from summarizer.summaries.base import Budget, Passage, Picked

_WORD = re.compile(r"[a-z0-9]+")
# A compact English stop list: function words only, so that overlaps count content words.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would
    you your yours yourself s t d ll m re ve said says say told according one two new
    mr mrs ms""".split()
)
_STEMS: dict[str, str] = {}

# Lines that belong to the page, not the story (generic across outlets); matched lower-cased.
_BOILERPLATE = re.compile(
    r"(?:scroll down|click here|read more|keep reading|show less|watch(?: the)? video|"
    r"video:|photo:|image:|pictured:|advertisement|follow us|follow @|share this|"
    r"sign up|subscribe|related:|see also|copyright|©|all rights reserved|"
    r"published:|updated:|last updated|posted:|by \.)"
)
# Page furniture anywhere in a short line; plain substrings, cheap to test.
_FURNITURE = (
    "published:",
    "updated:",
    "credit:",
    "photo credit",
    "image credit",
    "newsletter",
    "all rights reserved",
)
FURNITURE_WORDS = 25  # a longer sentence mentioning a newsletter is about one
# A caption run into the next sentence ("... could sell for less In a study published ...").
_GLUED = re.compile(r"[a-z,] (?:The|A|An|He|She|It|They|His|Her|Their|But|This|These|In)\s")
_TERMINAL = re.compile(r"[.!?][\"'”’)\]]*$")
# A picture caption's label ("Evicted: Hayley Sandiford has been told ...").
_CAPTION = re.compile(r"^[A-Z][\w'’-]*(?: [\w'’-]+)?: [A-Z][a-z]")
# A picture's position marker: what a caption says and a story does not ("Lee Tomlin (centre)
# scored ...", "Ramsey (pictured) looks to ...", "the volcano (above)").
_PICTURE_MARK = re.compile(
    r"\((?:(?:far |second |top |bottom )?(?:left|right|centre|center|middle)(?: to right)?"
    r"|top|bottom|above|below|inset|not pictured|pictured\b[^()]{0,60}|file(?: photo| picture)?)\)",
    re.IGNORECASE,
)
# A dateline or agency tag before the lead: a news agency in brackets ("(CNN)", "LONDON,
# England (Reuters) --", "PARIS, September 16 (Xinhua) --"), or a place in capitals and a wire
# separator ("ATLANTA _ ", "WASHINGTON -- "). A plain "Name Name (ACRONYM)" is a subject.
_AGENCY = (
    r"(?:AP|Reuters|AFP|Xinhua|CNN|UPI|Bloomberg|dpa|DPA|ANSA|Kyodo|ITAR-TASS|Itar-Tass|TASS|"
    r"PA|BBC|NYT|LAT-WP|Sapa|Interfax|IANS|PTI|Yonhap|KUNA|WAM|MENA|IRNA|APW|XIE)"
)
_DATELINE = re.compile(
    r"^(?:(?:[A-Z][\w.'’-]*(?:,? [A-Z][\w.'’-]*){0,5},? ?)?(?:[A-Z][a-z]{2,8}\.? \d{1,2},? )?"
    rf"\((?:{_AGENCY})\)\s*(?:--|—|–|_|-|:)?\s*"
    r"|[A-Z][A-Z.'’ -]{1,40}(?:,[ A-Z][\w.'’ -]{1,30})?(?: \([^)]{1,25}\))?\s+(?:_|--|—|–)\s+)"
)
_WIRE_DASH = re.compile(r"\s+_\s+")  # wire copy's " _ " for a dash


def stem(word: str) -> str:
    """A light English stemmer (plural, -ing, -ed, final e), cached: enough for overlap counts."""
    cached = _STEMS.get(word)
    if cached is not None:
        return cached
    base = word
    if len(base) > 4 and base.endswith("ies"):
        base = base[:-3] + "y"
    elif len(base) > 3 and base.endswith("s") and not base.endswith(("ss", "us", "is")):
        base = base[:-1]
    if len(base) > 5 and base.endswith("ing"):
        base = base[:-3]
    elif len(base) > 4 and base.endswith("ed"):
        base = base[:-2]
    elif len(base) > 4 and base.endswith("e"):  # "dredge" as "dredging", "approve" as "approved"
        base = base[:-1]
    if len(_STEMS) < 200_000:
        _STEMS[word] = base
    return base


def strip_wire(sentence: str) -> str:
    """`sentence` without a leading dateline or agency tag, with wire dashes (" _ ") as
    dashes and wire quotes (``like this'') as typographic ones."""
    if _DATELINE.match(sentence):
        sentence = _DATELINE.sub("", sentence, count=1)
    if "_" in sentence:
        sentence = _WIRE_DASH.sub(" – ", sentence.removeprefix("_ "))
    if "``" in sentence or "''" in sentence:
        sentence = sentence.replace("``", "“").replace("''", "”")
    return sentence.strip()


def content_terms(text: str) -> list[str]:
    """Stemmed content words of `text` (stop words and single characters left out)."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1]


def penalty(sentence: str) -> float:
    """How unlike a summary sentence `sentence` is: 0 for a plain statement, >= 1 for junk.

    Boilerplate, credits, bylines and datelines (few lower-case words), headings (no final
    punctuation), fragments, questions, picture captions (a label, or a position marker such
    as "(left)" or "(pictured)") and overlong run-ons cost; the
    weights are deliberately coarse. Written for speed: this runs on every sentence.
    """
    tokens = sentence.split()
    words = len(tokens)
    lower = sentence.lower()
    if (
        words < 4
        or sum(1 for t in tokens if t[0].islower()) < 3
        or _BOILERPLATE.match(lower)
        or (words <= FURNITURE_WORDS and any(marker in lower for marker in _FURNITURE))
    ):
        return 1.0
    cost = 0.0
    if not _TERMINAL.search(sentence):
        cost += 0.5
    if words < 8:
        cost += 0.04 * (8 - words)
    elif words > 40:
        cost += 0.02 * (words - 40)
    if sentence.rstrip("\"'”’ ").endswith("?"):
        cost += 0.2
    if _GLUED.search(sentence):
        cost += 0.15
    if (":" in sentence and _CAPTION.match(sentence)) or ("(" in sentence and _PICTURE_MARK.search(sentence)):
        cost += 0.3
    if sentence[0] in "\"'“‘" and "said" not in sentence:
        cost += 0.05
    return cost


@dataclass
class Candidate:
    """A sentence that may go into a summary, with what the modes score it on."""

    passage: int  # index into the passages
    index: int  # position in its passage's sentences
    lead_rank: int  # position among the passage's non-junk sentences
    text: str
    terms: Counter
    cost: float

    @property
    def usable(self) -> bool:
        return self.cost < 1.0


def candidates(passages: Sequence[Passage]) -> list[Candidate]:
    """Every sentence of every passage as a Candidate (junk included, marked by its cost)."""
    found: list[Candidate] = []
    for p_index, passage in enumerate(passages):
        title = " ".join(passage.title.split()).casefold()
        rank = 0
        for s_index, text in enumerate(passage.sentences):
            text = text.strip()
            text = strip_wire(text)
            if not text:
                continue
            terms = Counter(content_terms(text))
            # The headline repeated as the first line is the title, not a sentence.
            cost = 1.0 if title and " ".join(text.split()).casefold() == title else penalty(text)
            found.append(Candidate(p_index, s_index, rank, text, terms, cost))
            if cost < 1.0:
                rank += 1
    return found


def tfidf_vectors(cands: Sequence[Candidate]) -> np.ndarray:
    """Unit-length tf-idf rows (inverse sentence frequency over the candidates), one a candidate."""
    columns: dict[str, int] = {}
    for cand in cands:
        for term in cand.terms:
            columns.setdefault(term, len(columns))
    matrix = np.zeros((len(cands), max(len(columns), 1)))
    for row, cand in enumerate(cands):
        for term, count in cand.terms.items():
            matrix[row, columns[term]] = count
    df = np.count_nonzero(matrix, axis=0)
    matrix *= np.log((len(cands) + 1) / np.maximum(df, 1)) + 1.0
    return unit_rows(matrix)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms > 0, norms, 1.0)


def forward_centrality(cands: Sequence[Candidate], sims: np.ndarray) -> np.ndarray:
    """How much of the rest of its article a sentence introduces (PacSum-style, directed).

    The sum of its similarity to the sentences after it in the same passage, scaled so that
    the best sentence of each passage scores 1. Rewards a lead that the article elaborates.
    """
    passage = np.array([c.passage for c in cands])
    later = np.triu(np.ones_like(sims, dtype=bool), 1) & (passage[:, None] == passage[None, :])
    forward = np.where(later, sims, 0.0).sum(axis=1)
    for p in np.unique(passage):
        mask = passage == p
        top = forward[mask].max()
        if top > 0:
            forward[mask] /= top
    return forward


def cross_centrality(cands: Sequence[Candidate], vectors: np.ndarray) -> np.ndarray:
    """Cosine of each sentence to the centroid of all passages (what the articles share).

    Zero for a single passage: there is nothing to cross.
    """
    if len({c.passage for c in cands}) < 2:
        return np.zeros(len(cands))
    centroid = vectors.mean(axis=0)
    norm = np.linalg.norm(centroid)
    return vectors @ centroid / norm if norm > 0 else np.zeros(len(cands))


def overlap(a: Counter | set, b: Counter | set) -> float:
    """Share of the shorter term set found in the other: 1.0 for a sentence told twice."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return sum(1 for term in small if term in large) / len(small)


def position_score(lead_rank: int) -> float:
    """The lead prior: news puts what matters first."""
    return 1.0 / math.sqrt(1.0 + lead_rank)


def topic_score(terms: Counter, topic_terms: set[str]) -> float:
    """Share of the topic's terms that the sentence mentions."""
    if not topic_terms:
        return 0.0
    return sum(1 for term in topic_terms if term in terms) / len(topic_terms)


@dataclass(frozen=True)
class Weights:
    """How much each feature counts. Few and coarse, shared by the selecting modes."""

    position: float = 1.0
    centrality: float = 0.2  # forward centrality within the article
    cross: float = 0.3  # centrality across the chosen articles (briefs)
    title: float = 0.3
    topic: float = 0.8
    duplicate_at: float = 0.6  # term overlap at which a sentence repeats a chosen one


def choose(
    cands: Sequence[Candidate],
    vectors: np.ndarray,
    passages: Sequence[Passage],
    budget: Budget,
    topic: str,
    weights: Weights,
    duplicate: Callable[[int, int], bool] | None = None,
) -> list[Picked]:
    """Score candidates on position, centrality over `vectors` (unit rows), title and topic
    overlap and their cost, then `select` within `budget`.

    `duplicate` adds a mode's own test for a repeated sentence to the term-overlap test.
    """
    sims = vectors @ vectors.T
    forward = forward_centrality(cands, sims)
    cross = cross_centrality(cands, vectors)
    titles = [set(content_terms(p.title)) for p in passages]
    topic_terms = set(content_terms(topic))
    scores = [
        weights.position * position_score(c.lead_rank)
        + weights.centrality * forward[i]
        + weights.cross * cross[i]
        + weights.title * overlap(c.terms, titles[c.passage])
        + weights.topic * topic_score(c.terms, topic_terms)
        - c.cost
        for i, c in enumerate(cands)
    ]

    def repeats(i: int, j: int) -> bool:
        if overlap(cands[i].terms, cands[j].terms) >= weights.duplicate_at:
            return True
        return duplicate is not None and duplicate(i, j)

    return select(cands, scores, repeats, budget, passages)


def select(
    cands: Sequence[Candidate],
    scores: Sequence[float],
    duplicate: Callable[[int, int], bool],
    budget: Budget,
    passages: Sequence[Passage],
) -> list[Picked]:
    """Greedy selection within `budget`, best score first, each fact told once.

    A candidate that `duplicate(i, j)` finds telling chosen candidate j again is left out,
    but its passage is cited on the chosen one.
    A sentence that would overflow the character budget is passed over for shorter ones.
    The result is in reading order: by passage, then by position.
    """
    order = sorted((i for i in range(len(cands)) if cands[i].usable), key=lambda i: scores[i], reverse=True)
    chosen: list[int] = []
    keys: dict[int, list[int]] = {}
    used_chars = used_words = 0
    for i in order:
        if len(chosen) >= budget.sentences:
            break
        twin = next((j for j in chosen if duplicate(i, j)), None)
        if twin is not None:
            key = passages[cands[i].passage].key
            if key not in keys[twin]:
                keys[twin].append(key)
            continue
        length = len(cands[i].text) + (1 if chosen else 0)
        if budget.max_chars is not None and used_chars + length > budget.max_chars:
            continue
        words = len(cands[i].text.split())
        if budget.words is not None and used_words + words > budget.words:
            continue
        chosen.append(i)
        keys[i] = [passages[cands[i].passage].key]
        used_chars += length
        used_words += words
    if not chosen and order and budget.max_chars is not None:
        best = cands[order[0]]
        return [Picked(clip(best.text, budget.max_chars), (passages[best.passage].key,))]
    chosen.sort(key=lambda i: (cands[i].passage, cands[i].index))
    return [Picked(cands[i].text, tuple(keys[i])) for i in chosen]


def clip(text: str, max_chars: int) -> str:
    """`text` cut at a word boundary to at most `max_chars` characters, marked with an ellipsis."""
    if len(text) <= max_chars:
        return text
    cut = text[: max(max_chars - 1, 0)].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + "…" if cut else text[:max_chars]
