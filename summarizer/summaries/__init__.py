"""Summary modes behind one interface: `get_summarizer(name, settings)`, `MODES`,
`ready_modes(settings)`."""

from summarizer.summaries.base import (
    MODES,
    Budget,
    Passage,
    Picked,
    Summarizer,
    get_summarizer,
    ready_modes,
)

__all__ = ["MODES", "Budget", "Passage", "Picked", "Summarizer", "get_summarizer", "ready_modes"]
