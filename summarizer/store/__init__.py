"""The article store: the `Store` (SQLite, `summarizer.store.sqlite`), full-text search over
it (`summarizer.store.search`) and the safe query language search reads
(`summarizer.store.query`)."""

from summarizer.store.sqlite import (
    SCHEMA_VERSION,
    Store,
    parse_utc,
    required_utc,
    scope_condition,
    utc_iso,
    visible_scopes,
)

__all__ = [
    "SCHEMA_VERSION",
    "Store",
    "parse_utc",
    "required_utc",
    "scope_condition",
    "utc_iso",
    "visible_scopes",
]
