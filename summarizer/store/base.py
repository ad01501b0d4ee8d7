"""The store's interface: what the engine and the bot call, written once in portable SQL.

Two backends implement it side by side: `summarizer.store.sqlite` (one SQLite file, the
default) and `summarizer.store.postgres` (PostgreSQL through a psycopg connection pool).
`open_store(url_or_path)` (or `open_store(url_or_path)`, the same) picks one by the URL.

`store.db` is the call shape every module uses, on both backends:
`store.db.execute(sql, params)` (a cursor-like with fetchone/fetchall/rowcount),
`store.db.query(sql, params)` (dict rows) and `store.db.executemany(sql, rows)`. SQL given
to it keeps to the subset both databases read: `?` placeholders, `INSERT ... ON CONFLICT
... DO NOTHING / DO UPDATE`, `RETURNING id` (never lastrowid), no SQLite-only functions.

What each database does its own way lives in its backend module only: the schema and its
forward migrations (the same logical schema at the same version number on both), full-text
matching and its ranking (FTS5 bm25; tsvector + ts_rank), the transaction primitive, and
the lock that keeps two writers from storing one text twice.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from summarizer.models import GLOBAL_SCOPE, Article, Document, Outcome
from summarizer.store.query import Query
from summarizer.urls import canonical_url

# Every table of the store, parents before children (the order `briefbot copy` writes them).
TABLES = (
    "meta",
    "articles",
    "sources",
    "subscriptions",
    "digest_posts",
    "posted_stories",
    "digest_stories",
    "posted_sentences",
    "brief_requests",
    "article_vectors",
    "vector_queue",
)
# The columns of an article row, in the order `_row_to_article` reads (never the FTS column).
ARTICLE_COLUMNS = (
    "id, url, title, source, author, published_at, ingested_at, content_hash, word_count, scope, text"
)
# Full-text ranking on both backends: a title match counts TITLE_WEIGHT times a body match.
TITLE_WEIGHT = 10.0
BODY_WEIGHT = 1.0
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def utc_iso(moment: datetime) -> str:
    """A datetime as the store writes it: UTC, second precision, 'Z' suffix."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str | None) -> datetime | None:
    """Read a timestamp written by `utc_iso` (or any ISO 8601 form) as an aware UTC datetime."""
    if not text:
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def required_utc(text: str) -> datetime:
    """`parse_utc` for a column that always holds a timestamp (written with `utc_iso`)."""
    moment = parse_utc(text)
    if moment is None:
        raise ValueError(f"a timestamp was expected, found {text!r}")
    return moment


def content_hash(text: str) -> str:
    """Hash of the text with case and whitespace normalised: equal stories hash equal."""
    normalised = " ".join(text.split()).lower()
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def visible_scopes(scope: str | None) -> tuple[str, ...]:
    """Scopes a reader in `scope` may see: global articles, plus the guild's own."""
    if not scope or scope == GLOBAL_SCOPE:
        return (GLOBAL_SCOPE,)
    return (GLOBAL_SCOPE, scope)


def scope_condition(scope: str | None, column: str = "scope") -> tuple[str, tuple[str, ...]]:
    """SQL keeping the rows a reader in `scope` may see, and its parameters."""
    scopes = visible_scopes(scope)
    return f"{column} IN ({','.join('?' * len(scopes))})", scopes


def is_postgres_url(url_or_path: str | Path) -> bool:
    """True for a postgresql:// (or postgres://) URL, False for a SQLite path or sqlite:/// URL."""
    return str(url_or_path).startswith(("postgresql://", "postgres://"))


def sqlite_path(url_or_path: str | Path) -> str:
    """The file a `sqlite:///path` URL or a bare path names (':memory:' stays as it is)."""
    text = str(url_or_path)
    if text.startswith("sqlite:///"):
        return text.removeprefix("sqlite:///") or ":memory:"
    if text.startswith("sqlite://"):
        return text.removeprefix("sqlite://") or ":memory:"
    return text


def redact(url: str) -> str:
    """The URL without its password (for messages and `store.path`)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _row_to_article(row: dict) -> Article:
    return Article(
        id=row["id"],
        url=row["url"],
        title=row["title"],
        text=row["text"],
        source=row["source"] or "",
        author=row["author"] or "",
        published_at=parse_utc(row["published_at"]),
        ingested_at=required_utc(row["ingested_at"]),
        content_hash=row["content_hash"],
        word_count=row["word_count"] or 0,
        scope=row["scope"],
    )


class Store(ABC):
    """The article store's interface: the shared logic, in SQL both backends accept, over the
    primitives each backend implements (`SQLiteStore`, `PostgresStore`). `open_store(url_or_path)`
    opens the backend the URL names; open one per thread (SQLite connections are one-thread;
    the PostgreSQL backend shares a pool and is safe either way)."""

    db: Any  # execute / executemany / query (module docstring); each backend's own class
    one_writer_at_a_time: bool  # True when a write transaction excludes every other writer
    # Appended to a claiming sub-SELECT (poll leases): PostgreSQL's backend sets it to
    # " FOR UPDATE SKIP LOCKED"; SQLite needs none (a write transaction holds the whole file).
    skip_locked = ""
    # How retrieval learns which of its candidates hold which topic word: False reads each
    # word's whole posting list once (match_ids; FTS5 serves it from its index in
    # microseconds), True checks only the candidates, all words in one query (match_each;
    # PostgreSQL, whose posting lists cost a heap visit per matching article).
    checks_candidates = False
    path: str  # the SQLite file, or the PostgreSQL URL without its password

    # -- backend primitives ----------------------------------------------------------

    @abstractmethod
    def __init__(self, url_or_path: str | Path, migrate: bool = True) -> None:
        """Open the store (created when new; its schema migrated unless `migrate` is False)."""

    @property
    @abstractmethod
    def schema_version(self) -> int:
        """How many migrations this database has had (0 for a new one)."""

    @abstractmethod
    def migrate(self) -> tuple[int, int]:
        """Bring the schema to SCHEMA_VERSION; returns (version before, version after)."""

    @abstractmethod
    def table_columns(self, table: str) -> list[str]:
        """The columns of `table` that take values, in order (what `briefbot copy` moves)."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Group writes into one transaction (faster for batches); rolls back on error. Nested
        calls join the outer transaction."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection (or the pool)."""

    @abstractmethod
    def match(
        self, query: Query, where: str, params: Sequence, now: datetime, limit: int, ranked: bool = True
    ) -> list[tuple[int, float, float]]:
        """Full-text matches of `query` passing `where` (SQL over `articles AS a`, `?`
        parameters), the `limit` most recently stored: (id, lexical score (higher is
        better; title weighted above the body; 0.0 unless `ranked`), hours since published
        or ingested)."""

    @abstractmethod
    def match_ids(self, query: Query, among: Sequence[int] | None = None) -> set[int]:
        """Ids of every article matching `query` (only those in `among` when given)."""

    def match_each(self, words: Sequence[str], among: Sequence[int]) -> dict[str, set[int]]:
        """For each word (or phrase), the ids among `among` that match it."""
        return {word: self.match_ids(Query(groups=[[word]]), among=among) for word in words}

    @abstractmethod
    def match_count(self, query: Query) -> int:
        """How many articles match `query` (document frequency, for idf)."""

    @abstractmethod
    def lock(self, key: str) -> None:
        """Inside a transaction: wait until no other transaction holds `key`, and hold it
        until this one ends (writers of one text in `upsert`; vector writers, whose `seq`
        must grow in commit order)."""

    def reset_sequences(self) -> None:
        """After rows came with their ids (`briefbot copy`): new ids start past them. Nothing
        to do on SQLite (a new rowid is one past the largest); PostgreSQL moves its sequences."""
        return None

    # -- meta ------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        """A value kept in the `meta` table, or None."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Keep `value` under `key` in the `meta` table."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    # -- articles -----------------------------------------------------------------

    def upsert(self, doc: Document, now: datetime | None = None) -> tuple[Outcome, int]:
        """Store a document once: same canonical URL or same text in a scope is one article.

        A changed text at a known URL updates that article. Returns the outcome and the id.
        Two writers storing the same article at once store it once: the URL is unique per
        scope (INSERT ... ON CONFLICT DO NOTHING), a new text waits on `lock`.
        """
        url = canonical_url(doc.url)
        digest = content_hash(doc.text)
        now_iso = utc_iso(now or datetime.now(UTC))
        published = utc_iso(doc.published_at) if doc.published_at else None
        fields = {
            "url": url,
            "title": doc.title.strip() or url,
            "source": doc.source,
            "author": doc.author,
            "published_at": published,
            "text": doc.text,
            "content_hash": digest,
            "word_count": len(doc.text.split()),
            "scope": doc.scope,
        }
        with self.transaction():
            known = self._stored_as(fields)
            if known is None and not self.one_writer_at_a_time:
                # URLs are unique by constraint; equal texts at two URLs are not: a new text
                # waits here for another writer storing it, then looks again. (Only new texts
                # lock: two batches holding each other's known texts would deadlock.)
                self.lock(f"content:{doc.scope}:{digest}")
                known = self._stored_as(fields)
            if known is not None:
                return known
            columns = [*fields, "ingested_at"]
            row = self.db.execute(
                f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
                "ON CONFLICT (url, scope) DO NOTHING RETURNING id",
                [*fields.values(), now_iso],
            ).fetchone()
            if row:
                return Outcome.ADDED, row[0]
        # Another writer stored this URL between our look and our insert: it is that article.
        existing = self.db.execute(
            "SELECT id FROM articles WHERE url = ? AND scope = ?", [url, doc.scope]
        ).fetchone()
        return Outcome.DUPLICATE, existing[0]

    def _stored_as(self, fields: dict[str, Any]) -> tuple[Outcome, int] | None:
        """`upsert`'s outcome when the article is already stored (by URL, or by text in its
        scope), the changed article updated; None when it is new."""
        row = self.db.execute(
            "SELECT id, content_hash, title FROM articles WHERE url = ? AND scope = ?",
            [fields["url"], fields["scope"]],
        ).fetchone()
        if row:
            article_id, old_hash, old_title = row
            if old_hash == fields["content_hash"] and old_title == fields["title"]:
                return Outcome.DUPLICATE, article_id
            assignments = ", ".join(f"{k} = ?" for k in fields)
            self.db.execute(f"UPDATE articles SET {assignments} WHERE id = ?", [*fields.values(), article_id])
            return Outcome.UPDATED, article_id
        row = self.db.execute(
            "SELECT id FROM articles WHERE content_hash = ? AND scope = ?",
            [fields["content_hash"], fields["scope"]],
        ).fetchone()
        return (Outcome.DUPLICATE, row[0]) if row else None

    def get(self, article_id: int) -> Article | None:
        """The article with this id, or None."""
        rows = list(self.db.query(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?", [article_id]))
        return _row_to_article(rows[0]) if rows else None

    def get_many(self, article_ids: Iterable[int]) -> list[Article]:
        """Articles by id, in the order given (unknown ids are left out)."""
        ids = list(article_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        found = {
            row["id"]: _row_to_article(row)
            for row in self.db.query(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id IN ({marks})", ids)
        }
        return [found[i] for i in ids if i in found]

    def count(self, scope: str | None = GLOBAL_SCOPE) -> int:
        """How many articles a reader in `scope` can see."""
        condition, scopes = scope_condition(scope)
        return self.db.execute(f"SELECT count(*) FROM articles WHERE {condition}", scopes).fetchone()[0]

    def count_all(self) -> int:
        """How many articles the store holds, in every scope."""
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    def ingested_since(
        self, since: datetime, scope: str | None = GLOBAL_SCOPE, limit: int = 500
    ) -> list[Article]:
        """Articles ingested after `since`, newest first (what a digest may cover)."""
        condition, scopes = scope_condition(scope)
        rows = self.db.query(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE ingested_at > ? AND {condition} "
            "ORDER BY ingested_at DESC, id DESC LIMIT ?",
            [utc_iso(since), *scopes, limit],
        )
        return [_row_to_article(row) for row in rows]

    def recent_titles(self, scope: str | None = GLOBAL_SCOPE, limit: int = 200) -> list[str]:
        """Titles of the newest articles (for autocomplete)."""
        condition, scopes = scope_condition(scope)
        rows = self.db.execute(
            f"SELECT title FROM articles WHERE {condition} "
            "ORDER BY coalesce(published_at, ingested_at) DESC LIMIT ?",
            [*scopes, limit],
        ).fetchall()
        return [row[0] for row in rows]

    # -- sources (polled feeds) -----------------------------------------------------

    def add_source(self, url: str, scope: str = GLOBAL_SCOPE, title: str = "") -> tuple[dict, bool]:
        """Register a feed to poll. Returns (source row, created?)."""
        url = canonical_url(url)
        with self.transaction():
            created = self.db.execute(
                "INSERT INTO sources (url, scope, title, added_at, consecutive_failures) "
                "VALUES (?, ?, ?, ?, 0) ON CONFLICT (url, scope) DO NOTHING RETURNING id",
                [url, scope, title, utc_iso(datetime.now(UTC))],
            ).fetchone()
        added = self.get_source(url, scope)
        assert added is not None  # inserted above, or there already
        return added, created is not None

    def get_source(self, url: str, scope: str = GLOBAL_SCOPE) -> dict | None:
        """The `sources` row of feed `url` (canonicalised) in `scope`, or None."""
        rows = list(
            self.db.query("SELECT * FROM sources WHERE url = ? AND scope = ?", [canonical_url(url), scope])
        )
        return rows[0] if rows else None

    def list_sources(self, scope: str | None = None) -> list[dict]:
        """Feeds in one scope, or all of them when scope is None."""
        if scope is None:
            return list(self.db.query("SELECT * FROM sources ORDER BY id"))
        return list(self.db.query("SELECT * FROM sources WHERE scope = ? ORDER BY id", [scope]))

    def remove_source(self, url: str, scope: str = GLOBAL_SCOPE) -> bool:
        """Stop polling a feed (its articles stay). True when it was there."""
        with self.transaction():
            cursor = self.db.execute(
                "DELETE FROM sources WHERE url = ? AND scope = ?", [canonical_url(url), scope]
            )
        return cursor.rowcount > 0

    def due_sources(self, now: datetime) -> list[dict]:
        """Feeds whose next poll time has come (or that were never polled); disabled feeds
        are never due."""
        return list(
            self.db.query(
                "SELECT * FROM sources WHERE disabled_at IS NULL "
                "AND (next_poll_at IS NULL OR next_poll_at <= ?) ORDER BY id",
                [utc_iso(now)],
            )
        )

    def update_source(self, source_id: int, **changes: Any) -> None:
        """Record a poll's result on a source row."""
        self.update_row("sources", source_id, changes)

    def update_row(self, table: str, row_id: int, changes: dict[str, Any]) -> None:
        """Set columns of the row `row_id` of `table` (names come from code, never from users)."""
        if not changes:
            return
        for name in (table, *changes):
            if not _IDENTIFIER.match(name):
                raise ValueError(f"not a column or table name: {name!r}")
        assignments = ", ".join(f"{name} = ?" for name in changes)
        with self.transaction():
            self.db.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*changes.values(), row_id])

    def insert_row(self, table: str, values: dict[str, Any]) -> int:
        """Insert one row into `table` (names come from code); returns its id."""
        for name in (table, *values):
            if not _IDENTIFIER.match(name):
                raise ValueError(f"not a column or table name: {name!r}")
        with self.transaction():
            row = self.db.execute(
                f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))}) "
                "RETURNING id",
                list(values.values()),
            ).fetchone()
        return int(row[0])
