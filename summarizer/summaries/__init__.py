"""Summary modes behind one interface: `get_summarizer(name, settings)`, `MODES`."""

from summarizer.summaries.base import MODES, Budget, Passage, Picked, Summarizer, get_summarizer

__all__ = ["MODES", "Budget", "Passage", "Picked", "Summarizer", "get_summarizer"]
