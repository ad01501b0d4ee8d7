"""Extractive mode: lead-aware sentence selection on word statistics; no ML, ~1 ms an article.

A sentence scores for coming early (the lead), for introducing what the rest of its
article elaborates (directed tf-idf centrality), for what the chosen articles share, for
sharing words with the title and the topic, and loses for looking like boilerplate or a
fragment (see `scoring.penalty`). Selection is greedy; a sentence is never told twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.config import Settings
from summarizer.summaries import scoring
from summarizer.summaries.base import Budget, Passage, Picked, Summarizer


class ExtractiveSummarizer(Summarizer):
    """Lead-aware, centrality-weighted, redundancy-free sentence extraction."""

    name = "extractive"

    def __init__(
        self, settings: Settings | None = None, weights: scoring.Weights = scoring.Weights()
    ) -> None:
        self.weights = weights

    def summarize(
        self, passages: Sequence[Passage], budget: Budget, topic: str = ""
    ) -> list[Picked]:
        """Pick up to `budget.sentences` sentences across `passages` (see module doc)."""
        cands = scoring.candidates(passages)
        if not cands:
            return []
        vectors = scoring.tfidf_vectors(cands)
        return scoring.choose(cands, vectors, passages, budget, topic, self.weights)
