"""Stories across days: pairwise precision/recall/F1 of "same story" decisions on labelled sets.

    PYTHONPATH=. python bench/story_grouping.py ../shared/data [--precision 0.95]

The decision is `summarizer.briefs.stories.Evidence.same_event` over three features of two
articles: shingle containment (a copy), the cosine of their passage vectors (the store's
vectors: static model over title and first words), and how many distinctive names of their
titles and leads they share (`stories.names`). Labelled sets:

- DUC 2006: 50 topics of 25 articles; two articles of one topic are the same story, of two
  topics different. The topics are split in two halves (alternate topics in id order); the
  thresholds are swept on the pairs of the first half and reported on the second.
- DUC 2007 update (3 topics): does a set-B article continue its topic's set-A story, a set-C
  article its A+B story, and never another topic's? Reported pairwise, and as `match_told`
  decides it (told: the earlier sets of all 3 topics grouped into stories; new: the set).
- BBC News (5 coarse categories, no dates): a match across categories is a false merge; a
  match within one is unknown (same category is not same story). Duplicate bodies (the same
  article twice) must match.

Same topic is not always same event (a DUC topic gathers articles of months or years), so
recall here is a floor on the product's and precision a ceiling; the time window (no told
story older than stories.WINDOW continues) does the rest, and is left out of the pairwise
figures (the sets span years) but shown on the DUC 2007 decisions.

Thresholds are picked by the highest recall at a precision floor (--precision): a digest
that misses a "developing" link retells a story as new, a wrong link hides a new story
under an unrelated one, so precision comes first. The F1 pick is printed beside it.
Containment is counted exactly with sparse products (scipy, from the eval extras).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from summarizer import embeddings
from summarizer.briefs import stories
from summarizer.config import Settings
from summarizer.models import Article

NO_WINDOW = timedelta(days=365 * 100)


def article(ident: int, title: str, text: str, date: str | None) -> Article:
    when = datetime.fromisoformat(date).replace(tzinfo=UTC) if date else datetime(2000, 1, 1, tzinfo=UTC)
    return Article(
        ident, f"doc:{ident}", title, text, "", "", when, when, str(ident), len(text.split()), "global"
    )


@dataclass
class Corpus:
    """Articles with a label each (topic or category) and their pairwise features."""

    articles: list[Article]
    labels: list[str]
    keys: list[str]  # the data set's document id: one document in two topics is one story
    passage: np.ndarray  # n x n passage-vector cosines
    terms: np.ndarray  # n x n content-word cosines
    names: np.ndarray  # n x n shared-name counts
    containment: np.ndarray  # n x n


def _incidence(rows: Sequence[Mapping[Any, float]]) -> sparse.csr_matrix:
    """Rows of weights as a sparse matrix (one column per distinct item)."""
    vocab: dict = {}
    cols = [[vocab.setdefault(item, len(vocab)) for item in row] for row in rows]
    indptr = np.cumsum([0, *map(len, cols)])
    data = np.fromiter(itertools.chain(*(row.values() for row in rows)), dtype=np.float64)
    return sparse.csr_matrix(
        (data, np.fromiter(itertools.chain(*cols), dtype=np.int64), indptr), shape=(len(rows), len(vocab))
    )


def corpus(articles: list[Article], labels: list[str], keys: list[str], settings: Settings) -> Corpus:
    """Every pairwise feature `stories.match_told` uses, for single-article stories."""
    vectors = _vectors(articles, settings)
    names = _incidence([dict.fromkeys(stories.names(a), 1) for a in articles])
    shingle_sets = [stories.shingles(f"{a.title}\n{a.text}") for a in articles]
    shingles = _incidence([dict.fromkeys(s, 1) for s in shingle_sets])
    counts = _incidence([stories.terms([a]) for a in articles])
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    norms = np.maximum(norms, 1e-12)
    sizes = np.array([len(s) for s in shingle_sets], dtype=np.float64)
    smaller = np.minimum.outer(sizes, sizes)
    return Corpus(
        articles,
        labels,
        keys,
        vectors @ vectors.T,
        (counts @ counts.T).toarray() / np.outer(norms, norms),
        (names @ names.T).toarray(),
        np.where(smaller > 0, (shingles @ shingles.T).toarray() / np.maximum(smaller, 1), 0.0),
    )


@dataclass
class Pairs:
    """Feature arrays of a set of article pairs, and whether each pair is the same story."""

    passage: np.ndarray
    terms: np.ndarray
    names: np.ndarray
    containment: np.ndarray
    same: np.ndarray

    @classmethod
    def of(cls, c: Corpus, i: np.ndarray, j: np.ndarray) -> Pairs:
        labels, keys = np.array(c.labels), np.array(c.keys)
        same = (labels[i] == labels[j]) | (keys[i] == keys[j])
        return cls(c.passage[i, j], c.terms[i, j], c.names[i, j], c.containment[i, j], same)


@dataclass(frozen=True)
class Rule:
    """The parameters of `stories.Evidence.same_event`."""

    terms_weight: float
    name_bonus: float
    same_event_at: float
    copy_at: float = stories.COPY_AT

    def similarity(self, p: Pairs) -> np.ndarray:
        return (
            self.terms_weight * p.terms
            + (1 - self.terms_weight) * p.passage
            + self.name_bonus * np.minimum(p.names, stories.NAMES_COUNTED)
        )

    def decide(self, p: Pairs) -> np.ndarray:
        return (p.containment >= self.copy_at) | (self.similarity(p) >= self.same_event_at)


SHIPPED = Rule(stories.TERMS_WEIGHT, stories.NAME_BONUS, stories.SAME_EVENT_AT)
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
BONUSES = (0.0, 0.01, 0.02, 0.03, 0.04)
THRESHOLDS = np.round(np.arange(0.2, 1.2001, 0.01), 2)
TRADE_OFF = (0.5, 0.55, 0.6, 0.65, 0.7)  # thresholds shown beside the shipped one


def scores(predicted: np.ndarray, same: np.ndarray) -> tuple[float, float, float, int]:
    hits = int((predicted & same).sum())
    precision = hits / max(int(predicted.sum()), 1)
    recall = hits / max(int(same.sum()), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    return precision, recall, f1, int((predicted & ~same).sum())


def pick(pairs: Pairs, floor: float) -> tuple[Rule, Rule]:
    """The rule with the most recall at precision >= floor, and the one with the best F1."""
    by_floor: tuple[float, float, Rule] | None = None
    by_f1: tuple[float, Rule] | None = None
    for weight in WEIGHTS:
        for bonus in BONUSES:
            for threshold in THRESHOLDS:
                rule = Rule(weight, bonus, float(threshold))
                precision, recall, f1, _ = scores(rule.decide(pairs), pairs.same)
                if precision >= floor and (by_floor is None or (recall, precision) > by_floor[:2]):
                    by_floor = (recall, precision, rule)
                if by_f1 is None or f1 > by_f1[0]:
                    by_f1 = (f1, rule)
    assert by_floor is not None and by_f1 is not None, "no rule reaches the precision floor"
    return by_floor[2], by_f1[1]


def upper_pairs(n: int, keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    i, j = np.triu_indices(n, k=1)
    if keep is not None:
        inside = keep[i] & keep[j]
        i, j = i[inside], j[inside]
    return i, j


def line(name: str, rule: Rule, pairs: Pairs) -> str:
    precision, recall, f1, wrong = scores(rule.decide(pairs), pairs.same)
    return (
        f"  {name:<34} P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}  "
        f"(wrong merges {wrong:,} of {len(pairs.same) - int(pairs.same.sum()):,} different pairs; "
        f"{int(pairs.same.sum()):,} same pairs)"
    )


def _alone(fit: Pairs, weight: float, floor: float) -> Rule:
    """The threshold with the most recall at the precision floor for one cosine, no names."""
    best = max(
        (Rule(weight, 0.0, float(t)) for t in THRESHOLDS),
        key=lambda r: (scores(r.decide(fit), fit.same)[0] >= floor, scores(r.decide(fit), fit.same)[1]),
    )
    return best


def describe(rule: Rule) -> str:
    return (
        f"copy >= {rule.copy_at}, or {rule.terms_weight} words + {1 - rule.terms_weight} passage cosine "
        f"+ {rule.name_bonus} a shared name >= {rule.same_event_at}"
    )


def duc2006(path: Path, settings: Settings, floor: float) -> None:
    topics = [json.loads(row) for row in path.open(encoding="utf-8")]
    topics.sort(key=lambda t: t["id"])
    articles: list[Article] = []
    labels: list[str] = []
    keys: list[str] = []
    half: list[int] = []
    for n, topic in enumerate(topics):
        for doc in topic["docs"]:
            articles.append(article(len(articles), doc.get("headline") or "", doc["text"], doc.get("date")))
            labels.append(topic["id"])
            keys.append(doc["id"])
            half.append(n % 2)
    c = corpus(articles, labels, keys, settings)
    halves = np.array(half)
    first, second = (Pairs.of(c, *upper_pairs(len(articles), halves == h)) for h in (0, 1))
    print(f"DUC 2006: {len(topics)} topics, {len(articles)} articles; halves: alternate topics in id order")
    print(f"  shipped rule: {describe(SHIPPED)}")
    print(line("shipped, first half (fit)", SHIPPED, first))
    print(line("shipped, second half (held out)", SHIPPED, second))
    print(line("copy test alone (today), second half", Rule(0, 0, 99), second))
    print("  the shipped weights at other thresholds, second half:")
    for threshold in TRADE_OFF:
        rule = Rule(SHIPPED.terms_weight, SHIPPED.name_bonus, threshold)
        precision, recall, f1, _ = scores(rule.decide(second), second.same)
        print(f"    >= {threshold:.3f}: P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}")
    for fit, held, name in ((first, second, "first"), (second, first, "second")):
        by_floor, by_f1 = pick(fit, floor)
        print(f"  fit on the {name} half, reported on the other:")
        print(line(f"at precision >= {floor} on fit", by_floor, held) + f"  [{describe(by_floor)}]")
        print(line("by F1 on fit", by_f1, held) + f"  [{describe(by_f1)}]")
        for feature, weight in (("passage cosine", 0.0), ("words cosine", 1.0)):
            print(line(f"{feature} alone at the floor", _alone(fit, weight, floor), held))


def duc2007(path: Path, settings: Settings) -> None:
    topics = [json.loads(row) for row in path.open(encoding="utf-8")]
    articles: list[Article] = []
    labels: list[str] = []
    keys: list[str] = []
    sets: list[str] = []
    for topic in topics:
        for name in ("A", "B", "C"):
            for doc in topic["sets"][name]["docs"]:
                articles.append(
                    article(len(articles), doc.get("headline") or "", doc["text"], doc.get("date"))
                )
                labels.append(topic["id"])
                keys.append(doc["id"])
                sets.append(name)
    c = corpus(articles, labels, keys, settings)
    in_set = np.array(sets)
    i_all, j_all = [], []
    for new, earlier in (("B", ("A",)), ("C", ("A", "B"))):
        news, olds = np.flatnonzero(in_set == new), np.flatnonzero(np.isin(in_set, earlier))
        i, j = np.meshgrid(news, olds, indexing="ij")
        i_all.append(i.ravel())
        j_all.append(j.ravel())
    pairs = Pairs.of(c, np.concatenate(i_all), np.concatenate(j_all))
    print(f"DUC 2007 update: {len(topics)} topics, {len(articles)} articles; B vs A, C vs A+B")
    print(line("shipped, pairwise", SHIPPED, pairs))
    vectors = {a.id: v for a, v in zip(articles, _vectors(articles, settings), strict=True)}
    for window, name in ((NO_WINDOW, "no window"), (stories.WINDOW, f"window {stories.WINDOW.days} days")):
        right = wrong = total = 0
        for new, earlier in (("B", ("A",)), ("C", ("A", "B"))):
            told = stories.group_stories([a for a, s in zip(articles, sets, strict=True) if s in earlier])
            fresh = stories.group_stories([a for a, s in zip(articles, sets, strict=True) if s == new])
            matched = stories.match_told(fresh, told, vectors=vectors, window=window)
            for story, index in zip(fresh, matched, strict=True):
                total += 1
                if index is not None:
                    same = labels[told[index].lead.id] == labels[story.lead.id]
                    right += same
                    wrong += not same
        print(
            f"  match_told ({name}): {total} new stories, {right} linked to their topic's story, "
            f"{wrong} to another topic's, {total - right - wrong} none "
            f"(P {right / max(right + wrong, 1):.3f}, R {right / total:.3f})"
        )
    told = stories.group_stories([a for a, s in zip(articles, sets, strict=True) if s in ("A", "B")])
    fresh = stories.group_stories([a for a, s in zip(articles, sets, strict=True) if s == "C"])
    calls = {
        "match_told, stored vectors": lambda: stories.match_told(
            fresh, told, vectors=vectors, window=NO_WINDOW
        ),
        "match_told, vectors encoded in the call": lambda: stories.match_told(fresh, told, window=NO_WINDOW),
        "peer: group_stories of the same articles": lambda: stories.group_stories(
            [a for story in (*told, *fresh) for a in story.articles]
        ),
    }
    print(f"  time, {len(fresh)} new stories against {len(told)} told (medians of 7):")
    for name, call in calls.items():
        times = []
        for _ in range(7):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
        took = statistics.median(times)
        print(f"    {name}: {took * 1000:.0f} ms ({took / len(fresh) * 1000:.1f} ms a new story)")


def _vectors(articles: Sequence[Article], settings: Settings) -> np.ndarray:
    return embeddings.embed_static([embeddings.article_passage(a.title, a.text) for a in articles], settings)


def bbc(path: Path, settings: Settings) -> None:
    rows = [json.loads(row) for row in path.open(encoding="utf-8")]
    articles = [article(n, r.get("title") or "", r["text"], None) for n, r in enumerate(rows)]
    c = corpus(articles, [r["category"] for r in rows], [r["id"] for r in rows], settings)
    i, j = upper_pairs(len(articles))
    pairs = Pairs.of(c, i, j)
    decided = SHIPPED.decide(pairs)
    across = decided & ~pairs.same
    bodies = np.array([hash(" ".join(r["text"].split())) for r in rows])
    duplicate = bodies[i] == bodies[j]
    print(f"BBC News: {len(articles)} articles, {len(pairs.same):,} pairs, 5 categories")
    print(
        f"  matches across categories (false merges): {int(across.sum())} of "
        f"{int((~pairs.same).sum()):,} pairs ({across.sum() / (~pairs.same).sum():.5%})"
    )
    print(f"  matches within a category (unlabelled): {int((decided & pairs.same).sum())}")
    print(f"  duplicate bodies matched: {int((decided & duplicate).sum())} of {int(duplicate.sum())}")
    for threshold in TRADE_OFF:
        rule = Rule(SHIPPED.terms_weight, SHIPPED.name_bonus, threshold)
        merged = rule.decide(pairs)
        print(
            f"    at >= {threshold:.3f}: {int((merged & ~pairs.same).sum())} across categories, "
            f"{int((merged & pairs.same).sum())} within"
        )
    copies = pairs.containment >= SHIPPED.copy_at
    print(
        f"  false merges by the copy test: {int((copies & across).sum())}, "
        f"by similarity: {int((~copies & across).sum())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data", type=Path, help="the shared data folder (bbc_news.jsonl, duc/)")
    parser.add_argument("--precision", type=float, default=0.95, help="precision floor of the pick")
    parser.add_argument("--only", choices=("duc2006", "duc2007", "bbc"), action="append")
    args = parser.parse_args()
    settings = Settings()
    only = set(args.only or ("duc2006", "duc2007", "bbc"))
    print(f"shipped: {describe(SHIPPED)}; window {stories.WINDOW.days} days")
    if "duc2006" in only:
        duc2006(args.data / "duc" / "duc2006_topics.jsonl", settings, args.precision)
    if "duc2007" in only:
        duc2007(args.data / "duc" / "duc2007_update_dev.jsonl", settings)
    if "bbc" in only:
        bbc(args.data / "bbc_news.jsonl", settings)


if __name__ == "__main__":
    main()
