"""The article store: one interface (`summarizer.store.base.Store`), two backends side by side.

- `summarizer.store.sqlite`: one SQLite file (the default; `sqlite:///path` or a bare path).
- `summarizer.store.postgres`: PostgreSQL (`postgresql://user:pass@host:5432/db`), through
  psycopg 3 and a connection pool, for several bot processes and pollers at once.

`open_store(url_or_path)` opens either (`open_store(url_or_path)` does the same). Full-text search
over it is `summarizer.store.search`, the safe query language it reads `summarizer.store.query`,
hybrid retrieval `summarizer.store.retrieve`, article vectors `summarizer.store.vectors`, and
moving a whole store between backends `summarizer.store.copy`.
"""

from __future__ import annotations

from pathlib import Path

from summarizer.store.base import (
    Store,
    is_postgres_url,
    parse_utc,
    required_utc,
    scope_condition,
    utc_iso,
    visible_scopes,
)
from summarizer.store.sqlite import SCHEMA_VERSION, SQLiteStore


def backend_class(url_or_path: str | Path) -> type[Store]:
    """The Store class for a URL: PostgreSQL for postgresql://, else SQLite."""
    if is_postgres_url(url_or_path):
        from summarizer.store.postgres import PostgresStore  # psycopg is loaded only when used

        return PostgresStore
    return SQLiteStore


def open_store(url_or_path: str | Path, migrate: bool = True) -> Store:
    """Open (creating, and migrating unless told not to) the store `url_or_path` names:
    `postgresql://...` for PostgreSQL, `sqlite:///path` or a bare path for SQLite."""
    return backend_class(url_or_path)(url_or_path, migrate=migrate)


__all__ = [
    "SCHEMA_VERSION",
    "Store",
    "backend_class",
    "is_postgres_url",
    "open_store",
    "parse_utc",
    "required_utc",
    "scope_condition",
    "utc_iso",
    "visible_scopes",
]
