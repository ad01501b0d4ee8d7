"""The one interface every summary mode implements, and the registry that picks one by name.

A mode receives passages (one per article or story, its sentences split once by
`summarizer.sentences.split_sentences`) and a budget, and returns the sentences of the
summary, each with the passages it came from, in reading order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from summarizer.config import Settings
from summarizer.errors import QueryError


@dataclass(frozen=True)
class Passage:
    """One article ready to summarize: its title and its sentences."""

    key: int  # the caller's reference (index of the story or article)
    title: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Budget:
    """How long a summary may be: at most `sentences` sentences and `max_chars` characters,
    or, when `words` is set, as many sentences as fit in `words` words."""

    sentences: int = 3
    max_chars: int | None = None
    words: int | None = None

    def __post_init__(self) -> None:
        if self.sentences < 1:
            raise QueryError("A summary needs at least 1 sentence.")
        if self.max_chars is not None and self.max_chars < 1:
            raise QueryError("A summary needs a character budget of at least 1.")
        if self.words is not None and self.words < 1:
            raise QueryError("A summary needs a word budget of at least 1.")


@dataclass(frozen=True)
class Picked:
    """A summary sentence and the keys of the passages that carry it."""

    text: str
    keys: tuple[int, ...]


class Summarizer(ABC):
    """A summary mode. Implementations are stateless apart from lazily loaded models."""

    name: str = ""

    def prepare(self) -> None:  # noqa: B027 (an optional hook, not abstract: most modes load nothing)
        """Load what this mode needs (a model) ahead of the first summary; blocking, so call
        it from a worker thread. Modes with nothing to load do nothing."""

    @abstractmethod
    def summarize(
        self, passages: Sequence[Passage], budget: Budget, topic: str = "", known: Sequence[Passage] = ()
    ) -> list[Picked]:
        """Summarize `passages` within `budget`; `topic` (briefs) favours relevant sentences.
        `known` (an update) are articles the reader was already told: modes that can, leave
        out what they say; the others ignore it."""


def _registry() -> dict[str, Callable[[Settings], Summarizer]]:
    # Imported here so that `base` stays importable by the modes themselves.
    from summarizer.summaries.abstractive import AbstractiveSummarizer
    from summarizer.summaries.extractive import ExtractiveSummarizer
    from summarizer.summaries.lead import LeadSummarizer
    from summarizer.summaries.semantic import SemanticSummarizer

    return {
        "extractive": ExtractiveSummarizer,
        "semantic": SemanticSummarizer,
        "abstractive": AbstractiveSummarizer,
        "lead": LeadSummarizer,
    }


MODES: tuple[str, ...] = ("extractive", "semantic", "abstractive", "lead")


def ready_modes(settings: Settings) -> tuple[str, ...]:
    """The modes that can run with these settings: abstractive needs SUMMARIZER_MODEL."""
    return tuple(mode for mode in MODES if mode != "abstractive" or settings.summarizer_model)


def get_summarizer(name: str | None, settings: Settings) -> Summarizer:
    """The summarizer for mode `name` (default: `settings.default_mode`).

    Raises QueryError naming the known modes when `name` is not one of them.
    """
    chosen = (name or settings.default_mode or "extractive").strip().lower()
    registry = _registry()
    if chosen not in registry:
        raise QueryError(f"Unknown summary mode {name!r}: choose one of {', '.join(MODES)}.")
    return registry[chosen](settings)
