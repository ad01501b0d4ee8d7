"""Query-focused multi-document selection: the sentences that answer a topic across articles.

What a brief wants from a set of articles (as the strong DUC/TAC systems do it):
- relevance to the topic: each sentence's similarity to the topic (tf-idf cosine over the
  set's sentences, or embeddings in semantic mode), with the topic expanded by the words
  that its most relevant sentences share (pseudo-relevance feedback);
- what many sources report: concepts (word bigrams) weighted by how many articles carry
  them and how relevant the sentences carrying them are; a summary scores by the concepts it
  covers, each counted once, which also keeps repeats out (ICSI's concept coverage, solved
  greedily by gain per word: a submodular objective, within a few percent of the optimum);
- sentences that stand alone: junk (boilerplate, captions, fragments), questions and
  pieces of a larger sentence (unbalanced brackets or quotes) are left out, and a sentence
  opening on an unresolved reference ("He said", "The company ...", "But ...") only comes
  after the sentence before it.

Selection fills a word budget; the result is ordered by story, then chronologically.
Hand-written: scikit-learn's tf-idf would cost more to build than the whole selection over a
few hundred sentences, and no library offers budgeted concept coverage.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from summarizer.summaries.base import Budget, Passage, Picked
from summarizer.summaries.scoring import content_terms, penalty, strip_wire

# A sentence opening on a reference to something said before it (it does not stand alone).
_DANGLING = re.compile(
    r"^(?:he|she|they|it|its|his|her|their|this|these|those|that|there|but|and|or|so|also|"
    r"however|still|yet|meanwhile|instead|moreover|furthermore|then|such|both|another|other|"
    r"the (?:company|firm|group|agency|official|minister|president|spokesman|spokeswoman|"
    r"report|study|move|decision|deal|plan|bill|law|program|programme|project|giant|team|"
    r"club|country|government|court))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Params:
    """The selection's knobs: set before measuring, and kept because nested cross-validation on
    DUC 2006 found nothing better (see BENCHMARKS.md)."""

    min_words: int = 8
    max_words: int = 55
    expansion_terms: int = 10  # pseudo-relevance feedback: words added to the topic
    expansion_from: int = 10  # ... taken from this many most relevant sentences
    expansion_weight: float = 0.3
    relevance_floor: float = 0.05  # sentences less relevant than this share of the best: out
    concept_min_docs: int = 2
    relevance_power: float = 1.0  # how strongly concept weights follow relevance
    sentence_relevance: float = 1.0  # weight of a sentence's own relevance beside its concepts
    length_power: float = 1.0  # gain per word**power
    position: float = 0.1  # bonus for early sentences in their article
    follow: float = 0.3  # a sentence right after a relevant one is this share as relevant
    known_weight: float = 0.2  # an update: a concept the reader was told is worth this share
    told_at: float = 0.6  # ... and a sentence with this share of told concepts is left out


DEFAULT = Params()


@dataclass
class Unit:
    """A candidate sentence of the set: where it is (passage, sentence index) and its words."""

    passage: int
    index: int
    text: str
    words: int
    terms: list[str]


def _units(passages: Sequence[Passage], params: Params) -> list[Unit]:
    found = []
    for p_index, passage in enumerate(passages):
        title = " ".join(passage.title.split()).casefold()
        for s_index, raw in enumerate(passage.sentences):
            text = strip_wire(raw.strip())
            if not text or " ".join(text.split()).casefold() == title:
                continue
            words = len(text.split())
            if words < params.min_words or words > params.max_words or penalty(text) > 0.45:
                continue
            if text.rstrip("\"'”’ )").endswith("?") or not _balanced(text):
                continue
            found.append(Unit(p_index, s_index, text, words, content_terms(text)))
    return found


def _balanced(text: str) -> bool:
    """Brackets and quotes closed within the sentence (else it is a piece of a larger one)."""
    return (
        text.count("(") == text.count(")")
        and text.count("“") == text.count("”")
        and text.count('"') % 2 == 0
        and not text.startswith("(")
    )


def _bigrams(terms: Sequence[str]) -> set[tuple[str, str]]:
    return {(a, b) for a, b in zip(terms, terms[1:], strict=False)}


# How relevant each candidate is to the topic: f(passages, units, topic, params).
Relevance = Callable[[Sequence[Passage], Sequence["Unit"], str, "Params"], np.ndarray]


def tfidf_relevance(
    passages: Sequence[Passage], units: Sequence[Unit], topic: str, params: Params
) -> np.ndarray:
    """Cosine of each sentence's tf-idf vector to the (expanded) topic's."""
    topic_terms = Counter(content_terms(topic))
    df: Counter = Counter()
    for unit in units:
        df.update(set(unit.terms))
    n = len(units)
    idf = {term: math.log((n + 1) / (count + 0.5)) for term, count in df.items()}

    def vector(counts: Counter) -> dict[str, float]:
        vec = {t: c * idf.get(t, math.log(n + 1)) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    vectors = [vector(Counter(u.terms)) for u in units]
    query = vector(topic_terms)
    base = np.array([sum(w * vec.get(t, 0.0) for t, w in query.items()) for vec in vectors])
    if params.expansion_terms and n:
        top = np.argsort(-base)[: params.expansion_from]
        pooled: Counter = Counter()
        for i in top:
            if base[i] > 0:
                for term, weight in vectors[i].items():
                    if term not in query:
                        pooled[term] += weight
        extra = dict(pooled.most_common(params.expansion_terms))
        if extra:
            top_weight = max(extra.values())
            expanded = dict(query)
            for term, weight in extra.items():
                expanded[term] = (
                    params.expansion_weight * weight / top_weight * max(query.values(), default=1.0)
                )
            norm = math.sqrt(sum(v * v for v in expanded.values())) or 1.0
            base = np.array([sum(w * vec.get(t, 0.0) for t, w in expanded.items()) / norm for vec in vectors])
    return base


def select(
    passages: Sequence[Passage],
    budget: Budget,
    topic: str,
    *,
    params: Params = DEFAULT,
    relevance: Relevance = tfidf_relevance,
    known: Sequence[Passage] = (),
) -> list[Picked]:
    """The sentences of `passages` that best answer `topic` within `budget` (see module doc).

    `relevance` scores each candidate against the topic (tf-idf by default; semantic mode
    passes one on embeddings). `known` are articles the reader has already been told (an
    update): what they say counts as known, so a sentence repeating it is worth little and
    one adding to it is worth its new concepts."""
    units = _units(passages, params)
    told = _told(known)
    if told:
        units = [u for u in units if not _mostly_told(u, told, params)]
    if not units:
        return []
    rel = relevance(passages, units, topic, params) if content_terms(topic) else np.ones(len(units))
    rel = np.clip(rel, 0.0, None)
    best = float(rel.max()) if len(rel) else 0.0
    if best <= 0:
        rel = np.ones(len(units))
        best = 1.0
    rel = rel / best
    # Concepts: bigrams of content stems; weight = stories carrying it x relevance of the
    # most relevant sentence carrying it.
    stories_of: dict[tuple[str, str], set[int]] = defaultdict(set)
    rel_of: dict[tuple[str, str], float] = defaultdict(float)
    unit_concepts = []
    for i, unit in enumerate(units):
        concepts = _bigrams(unit.terms)
        unit_concepts.append(concepts)
        for concept in concepts:
            stories_of[concept].add(passages[unit.passage].key)
            rel_of[concept] = max(rel_of[concept], float(rel[i]))
    enough = min(params.concept_min_docs, len({p.key for p in passages}))
    weight = {
        c: len(keys) * (rel_of[c] ** params.relevance_power) * (params.known_weight if c in told else 1.0)
        for c, keys in stories_of.items()
        if len(keys) >= enough
    }
    chosen = _greedy(units, unit_concepts, weight, _followed(units, rel, params.follow), budget, params)
    chosen.sort(key=lambda i: (units[i].passage, units[i].index))
    return [Picked(units[i].text, (passages[units[i].passage].key,)) for i in chosen]


def _followed(units: Sequence[Unit], rel: np.ndarray, share: float) -> np.ndarray:
    """Relevance carried forward: a sentence that follows a relevant one in its article goes on
    telling the same thing ("Work is due to start in the spring" after "... approved a plan to
    dredge the harbour"), so it is at least `share` as relevant. Concept weights do not use
    this: it only lets such sentences in, after the ones that answer the topic."""
    carried = rel.copy()
    for i in range(1, len(units)):
        before, unit = units[i - 1], units[i]
        if before.passage == unit.passage and before.index == unit.index - 1:
            carried[i] = max(carried[i], share * carried[i - 1])
    return carried


def _told(known: Sequence[Passage]) -> set[tuple[str, str]]:
    """The concepts of every sentence the reader has already been told."""
    concepts: set[tuple[str, str]] = set()
    for passage in known:
        for sentence in passage.sentences:
            concepts |= _bigrams(content_terms(strip_wire(sentence)))
    return concepts


def _mostly_told(unit: Unit, told: set[tuple[str, str]], params: Params) -> bool:
    """A sentence most of whose concepts the reader already has repeats old news."""
    concepts = _bigrams(unit.terms)
    return bool(concepts) and len(concepts & told) / len(concepts) >= params.told_at


def _greedy(
    units: Sequence[Unit],
    unit_concepts: Sequence[set],
    weight: dict,
    rel: np.ndarray,
    budget: Budget,
    params: Params,
) -> list[int]:
    """Budgeted greedy coverage, lazily evaluated (the objective is submodular: a sentence's
    gain only shrinks as others are chosen, so a stale gain is an upper bound)."""

    def gain(i: int) -> float:
        unit = units[i]
        value = sum(weight.get(c, 0.0) for c in unit_concepts[i] - covered)
        value += params.sentence_relevance * rel[i] + params.position / math.sqrt(1 + unit.index)
        return value / unit.words**params.length_power

    covered: set = set()
    heap = [(-gain(i), i) for i in range(len(units)) if rel[i] >= params.relevance_floor]
    heapq.heapify(heap)
    chosen: list[int] = []
    placed = {(units[i].passage, units[i].index) for i in chosen}
    waiting: dict[tuple[int, int], int] = {}  # a dangling sentence, by the one it needs first
    used_words = used_chars = 0
    while heap and len(chosen) < budget.sentences:
        bound, i = heapq.heappop(heap)
        unit = units[i]
        if budget.words is not None and used_words + unit.words > budget.words:
            continue
        if budget.max_chars is not None and used_chars + len(unit.text) + 1 > budget.max_chars:
            continue
        if any(_repeats(unit, units[j]) for j in chosen):
            continue
        if _DANGLING.match(unit.text) and (unit.passage, unit.index - 1) not in placed:
            waiting[(unit.passage, unit.index - 1)] = i
            continue
        current = gain(i)
        if heap and current < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-current, i))
            continue
        if current <= 0:
            break
        chosen.append(i)
        placed.add((unit.passage, unit.index))
        covered |= unit_concepts[i]
        used_words += unit.words
        used_chars += len(unit.text) + 1
        follower = waiting.pop((unit.passage, unit.index), None)
        if follower is not None:
            heapq.heappush(heap, (-gain(follower), follower))
    return chosen


def _repeats(unit: Unit, picked: Unit) -> bool:
    """A sentence whose words mostly repeat a chosen one adds nothing new."""
    terms = set(unit.terms)
    if not terms:
        return True
    return len(terms & set(picked.terms)) / len(terms) >= 0.6
