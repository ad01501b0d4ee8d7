"""briefbot's errors: each carries a message a user can read as is (CLI, Discord, logs).

Catch `BriefbotError` at the edges (CLI commands, bot handlers) and show `str(error)`.
"""

from __future__ import annotations


class BriefbotError(Exception):
    """Base of every error briefbot reports to a user; `str(error)` is the readable message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ExtractionError(BriefbotError):
    """A page or file holds no article text (empty, binary, only navigation...)."""


class FetchError(BriefbotError):
    """A URL could not be fetched (network error, refused address, too large, wrong type...)."""


class FeedError(BriefbotError):
    """A feed could not be read or parsed."""


class QueryError(BriefbotError):
    """A search or brief request is malformed (bad topic, bad 'since', unknown source...)."""


class ModelError(BriefbotError):
    """A summarization model could not be loaded or run."""


class DigestError(BriefbotError):
    """A digest subscription request is malformed (bad time, unknown time zone, bad count...)."""


class SettingsError(BriefbotError, ValueError):
    """A setting (environment, `.env`) has a value briefbot cannot use."""
