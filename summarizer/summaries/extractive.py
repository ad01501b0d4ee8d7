"""Extractive mode: sentence selection on word statistics; no ML, about a millisecond an article.

With a topic (a brief), the query-focused selection of `summaries.focused` over tf-idf:
relevance to the topic, concepts many articles report, no repeats, a word budget.
Without one (a single text), a lead-aware selection: a sentence scores for coming early
(the lead), for introducing what the rest of its article elaborates (directed tf-idf
centrality), for sharing words with the title, and loses for looking like boilerplate or a
fragment (see `scoring.penalty`). Selection is greedy; a sentence is never told twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.config import Settings
from summarizer.summaries import focused, scoring
from summarizer.summaries.base import Budget, Passage, Picked, Summarizer

WEIGHTS = scoring.Weights()


class ExtractiveSummarizer(Summarizer):
    """Lead-aware, centrality-weighted, redundancy-free sentence extraction."""

    name = "extractive"

    def __init__(self, settings: Settings | None = None, weights: scoring.Weights = WEIGHTS) -> None:
        self.weights = weights

    def summarize(
        self, passages: Sequence[Passage], budget: Budget, topic: str = "", known: Sequence[Passage] = ()
    ) -> list[Picked]:
        """Pick sentences across `passages` within `budget` (see module doc)."""
        if topic.strip():
            return focused.select(passages, budget, topic, known=known)
        cands = scoring.candidates(passages)
        if not cands:
            return []
        vectors = scoring.tfidf_vectors(cands)
        return scoring.choose(cands, vectors, passages, budget, topic, self.weights)
