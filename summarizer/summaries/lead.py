"""Lead mode (and the Lead-3 baseline): the first sentences, as the splitter gives them.

With several passages it takes their leads in turn (first sentence of each, then the
second of each...), so a brief in this mode still draws on every chosen article.
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.config import Settings
from summarizer.summaries.base import Budget, Passage, Picked, Summarizer
from summarizer.summaries.scoring import clip


class LeadSummarizer(Summarizer):
    """The first `budget.sentences` sentences; no scoring at all."""

    name = "lead"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings

    def summarize(
        self, passages: Sequence[Passage], budget: Budget, topic: str = "", known: Sequence[Passage] = ()
    ) -> list[Picked]:
        """Leads in turn across `passages`, within the sentence, word and character budgets."""
        picked: list[tuple[int, int, str]] = []
        used = used_words = 0
        depth = max((len(p.sentences) for p in passages), default=0)
        for index in range(depth):
            for p_index, passage in enumerate(passages):
                if len(picked) >= budget.sentences or index >= len(passage.sentences):
                    continue
                text = passage.sentences[index].strip()
                length = len(text) + (1 if picked else 0)
                if budget.max_chars is not None and used + length > budget.max_chars:
                    if not picked:
                        picked.append((p_index, index, clip(text, budget.max_chars)))
                    return self._ordered(picked, passages)
                words = len(text.split())
                if budget.words is not None and used_words + words > budget.words:
                    return self._ordered(picked, passages)
                picked.append((p_index, index, text))
                used += length
                used_words += words
        return self._ordered(picked, passages)

    @staticmethod
    def _ordered(picked: list[tuple[int, int, str]], passages: Sequence[Passage]) -> list[Picked]:
        picked.sort()
        return [Picked(text, (passages[p].key,)) for p, _, text in picked]
