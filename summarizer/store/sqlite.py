"""The article store: one SQLite file (sqlite-utils), WAL, FTS5, forward migrations.

Tables:
- `articles`: one row per article and scope, FTS5 index `articles_fts` over title and
  text (porter stemming, diacritics folded) kept in sync by triggers.
- `sources`: feeds that are polled, with their HTTP caching and back-off state.
- `subscriptions`, `digest_posts`, `posted_stories`: daily digests and what was posted;
  `digest_stories`, `posted_sentences`: each story a digest told and its sentences.
- `article_vectors`: one vector per article for hybrid retrieval (summarizer/store/vectors.py).
- `meta`: the schema version.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from summarizer.models import GLOBAL_SCOPE, Article, Document, Outcome
from summarizer.urls import canonical_url

FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
BUSY_TIMEOUT_MS = 5000


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


def _v1_initial(db: sqlite_utils.Database) -> None:
    db.table("articles").create(
        {
            "id": int,
            "url": str,
            "title": str,
            "source": str,
            "author": str,
            "published_at": str,
            "ingested_at": str,
            "content_hash": str,
            "word_count": int,
            "scope": str,
            "text": str,  # last: reading the short columns never touches its overflow pages
        },
        pk="id",
        not_null={"url", "title", "text", "content_hash", "scope", "ingested_at"},
        defaults={"scope": GLOBAL_SCOPE, "source": "", "author": "", "word_count": 0},
    )
    db.table("articles").create_index(["url", "scope"], unique=True)
    db.table("articles").create_index(["content_hash", "scope"])
    db.table("articles").create_index(["ingested_at"])
    db.table("articles").create_index(["published_at"])
    db.table("articles").enable_fts(["title", "text"], tokenize=FTS_TOKENIZER, create_triggers=True)

    db.table("sources").create(
        {
            "id": int,
            "url": str,
            "scope": str,
            "title": str,
            "etag": str,
            "last_modified": str,
            "added_at": str,
            "last_polled_at": str,
            "last_ok": str,
            "last_error": str,
            "consecutive_failures": int,
            "next_poll_at": str,
        },
        pk="id",
        not_null={"url", "scope"},
        defaults={"scope": GLOBAL_SCOPE, "title": "", "consecutive_failures": 0},
    )
    db.table("sources").create_index(["url", "scope"], unique=True)

    db.table("subscriptions").create(
        {
            "id": int,
            "guild_id": str,
            "channel_id": str,
            "topic": str,
            "time_of_day": str,  # "HH:MM", local to `timezone`
            "timezone": str,  # IANA name
            "max_stories": int,
            "created_by": str,
            "created_at": str,
            "last_digest_at": str,  # UTC; stories ingested after this go in the next digest
        },
        pk="id",
        not_null={"guild_id", "channel_id", "time_of_day", "timezone"},
        defaults={"topic": ""},
    )
    db.table("subscriptions").create_index(["channel_id"], unique=True)
    db.table("digest_posts").create(
        {"id": int, "subscription_id": int, "local_date": str, "posted_at": str, "stories": int},
        pk="id",
        foreign_keys=[("subscription_id", "subscriptions", "id")],
    )
    db.table("digest_posts").create_index(["subscription_id", "local_date"], unique=True)
    db.table("posted_stories").create(
        {"channel_id": str, "article_id": int, "posted_at": str},
        pk=("channel_id", "article_id"),
    )


def _v2_digest_claims(db: sqlite_utils.Database) -> None:
    """Digests are claimed before they are posted (see summarizer/briefs/digest.py).

    - `subscriptions.updated_at`: when the schedule last changed (a changed time never
      triggers a digest for an earlier moment of the same day).
    - `digest_posts.status`: 'claimed' (committed to post, stories reserved) or 'posted';
      `previous_digest_at` lets a claim whose posting failed be released cleanly.
    - `posted_stories.digest_post_id`: which digest reserved the story (for a release).
    """
    db.table("subscriptions").add_column("updated_at", str)
    db.table("digest_posts").add_column("status", str, not_null_default="posted")
    db.table("digest_posts").add_column("previous_digest_at", str)
    db.table("posted_stories").add_column("digest_post_id", int)
    db.table("posted_stories").create_index(["digest_post_id"])


def _v3_bot_state(db: sqlite_utils.Database) -> None:
    """What the Discord bot keeps across restarts.

    - `brief_requests`: what a posted /brief asked for (its buttons carry the row id, the
      mode and the length in their custom ids, so they work after a restart).
    - `subscriptions.post_failures` / `retired_at` / `retired_reason`: a digest whose channel
      is gone or forbidden is retired after a few failed posts instead of retried forever.
    - `sources.added_in_channel`: where a feed was added (told there if it gets disabled);
      `disabled_at` / `disabled_reason`: a feed failing too often is no longer polled.
    """
    db.table("brief_requests").create(
        {
            "id": int,
            "topic": str,
            "articles": int,
            "since": str,
            "scope": str,
            "user_id": str,
            "created_at": str,
        },
        pk="id",
        not_null={"topic", "scope", "user_id", "created_at"},
    )
    db.table("brief_requests").create_index(["created_at"])
    db.table("subscriptions").add_column("post_failures", int, not_null_default=0)
    db.table("subscriptions").add_column("retired_at", str)
    db.table("subscriptions").add_column("retired_reason", str)
    db.table("sources").add_column("added_in_channel", str)
    db.table("sources").add_column("disabled_at", str)
    db.table("sources").add_column("disabled_reason", str)


def _v4_article_vectors(db: sqlite_utils.Database) -> None:
    """Article vectors for hybrid retrieval (see summarizer/store/vectors.py).

    - `article_vectors`: one float32 vector per article, the model that made it, and `seq`
      (grows with every write: readers load what is new).
    - `vector_queue`: articles waiting for a vector, filled by triggers when an article is
      added or its title or text changes (the changed article's old vector is deleted), so
      the catch-up never scans the whole store. Articles already stored are queued here.
    """
    db.execute(
        """CREATE TABLE article_vectors (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            seq INTEGER NOT NULL,
            vector BLOB NOT NULL
        )"""
    )
    db.execute("CREATE INDEX article_vectors_seq ON article_vectors(seq)")
    db.execute("CREATE TABLE vector_queue (article_id INTEGER PRIMARY KEY)")
    db.execute("INSERT INTO vector_queue (article_id) SELECT id FROM articles")
    db.execute(
        """CREATE TRIGGER articles_vector_new AFTER INSERT ON articles
        BEGIN INSERT OR IGNORE INTO vector_queue (article_id) VALUES (new.id); END"""
    )
    db.execute(
        """CREATE TRIGGER articles_vector_stale AFTER UPDATE OF title, text ON articles
        BEGIN
            DELETE FROM article_vectors WHERE article_id = old.id;
            INSERT OR IGNORE INTO vector_queue (article_id) VALUES (old.id);
        END"""
    )


def _v5_digest_updates(db: sqlite_utils.Database) -> None:
    """Digests that are updates (see summarizer/briefs/digest.py).

    - `digest_stories`: each story a digest told in a channel: its digest and number, and
      `thread_id`, the `digest_stories` row of the story's first telling (NULL: this one), so
      a developing story finds everything the channel was told about it.
    - `posted_sentences`: the sentences each told story was told by, in order.
    - `posted_stories.digest_story_id`: the told story an article was part of.
    - `digest_posts.jump_url`: the link to the posted digest (a developing story links it).
    - `subscriptions.quiet`: a day with nothing new says so ('say') or posts nothing ('skip').
    - `brief_requests.new_since`: an update brief's moment (what is new since then).
    """
    db.execute(
        """CREATE TABLE digest_stories (
            id INTEGER PRIMARY KEY,
            channel_id TEXT NOT NULL,
            digest_post_id INTEGER NOT NULL,
            number INTEGER NOT NULL,
            thread_id INTEGER,
            told_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX digest_stories_channel ON digest_stories(channel_id, told_at)")
    db.execute("CREATE INDEX digest_stories_post ON digest_stories(digest_post_id)")
    db.execute(
        """CREATE TABLE posted_sentences (
            digest_story_id INTEGER NOT NULL,
            position INTEGER NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (digest_story_id, position)
        )"""
    )
    db.execute("ALTER TABLE posted_stories ADD COLUMN digest_story_id INTEGER")
    db.execute("CREATE INDEX posted_stories_story ON posted_stories(digest_story_id)")
    db.execute("ALTER TABLE digest_posts ADD COLUMN jump_url TEXT")
    db.execute("ALTER TABLE subscriptions ADD COLUMN quiet TEXT NOT NULL DEFAULT 'say'")
    db.execute("ALTER TABLE brief_requests ADD COLUMN new_since TEXT")


def _v6_poll_leases(db: sqlite_utils.Database) -> None:
    """A due feed is polled by one process at a time (summarizer/sources/poll.py).

    - `sources.leased_until`: until when a poller holds the feed (UTC; an expired lease, a
      killed poller's, is free again); `leased_by`: which poller holds it.
    """
    db.table("sources").add_column("leased_until", str)
    db.table("sources").add_column("leased_by", str)


# Forward migrations: MIGRATIONS[i] takes the schema from version i to i + 1. Append only.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_initial,
    _v2_digest_claims,
    _v3_bot_state,
    _v4_article_vectors,
    _v5_digest_updates,
    _v6_poll_leases,
]
SCHEMA_VERSION = len(MIGRATIONS)


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


def visible_scopes(scope: str | None) -> tuple[str, ...]:
    """Scopes a reader in `scope` may see: global articles, plus the guild's own."""
    if not scope or scope == GLOBAL_SCOPE:
        return (GLOBAL_SCOPE,)
    return (GLOBAL_SCOPE, scope)


def scope_condition(scope: str | None, column: str = "scope") -> tuple[str, tuple[str, ...]]:
    """SQL keeping the rows a reader in `scope` may see, and its parameters."""
    scopes = visible_scopes(scope)
    return f"{column} IN ({','.join('?' * len(scopes))})", scopes


class Store:
    """The article store. Open one per thread; SQLite handles the locking (WAL)."""

    # Appended to a claiming sub-SELECT (poll leases): PostgreSQL's backend sets it to
    # " FOR UPDATE SKIP LOCKED"; SQLite needs none (a write transaction holds the whole file).
    skip_locked = ""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if self.path != ":memory:":
            self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        # A 64 MiB page cache and in-memory temp tables: FTS5 index merges during bulk
        # ingestion touch many pages (measured ~10% faster ingestion at 30k articles).
        self.db.execute("PRAGMA cache_size = -65536")
        self.db.execute("PRAGMA temp_store = MEMORY")
        self.db.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    # -- schema -------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """How many migrations this database has had (0 for a new file)."""
        if not self.db["meta"].exists():
            return 0
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        with self.transaction():
            self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            version = self.schema_version
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema version {version}, newer than this briefbot "
                    f"({SCHEMA_VERSION}): upgrade briefbot"
                )
            for migration in MIGRATIONS[version:]:
                migration(self.db)
            self.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                [str(SCHEMA_VERSION)],
            )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one transaction (much faster for batches); rolls back on error."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        conn.commit()

    def close(self) -> None:
        """Close the SQLite connection."""
        self.db.close()

    # -- articles -----------------------------------------------------------------

    def upsert(self, doc: Document, now: datetime | None = None) -> tuple[Outcome, int]:
        """Store a document once: same canonical URL or same text in a scope is one article.

        A changed text at a known URL updates that article. Returns the outcome and the id.
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
            conn = self.db.conn
            row = conn.execute(
                "SELECT id, content_hash, title FROM articles WHERE url = ? AND scope = ?",
                [url, doc.scope],
            ).fetchone()
            if row:
                article_id, old_hash, old_title = row
                if old_hash == digest and old_title == fields["title"]:
                    return Outcome.DUPLICATE, article_id
                assignments = ", ".join(f"{k} = :{k}" for k in fields)
                conn.execute(
                    f"UPDATE articles SET {assignments} WHERE id = :id", {**fields, "id": article_id}
                )
                return Outcome.UPDATED, article_id
            row = conn.execute(
                "SELECT id FROM articles WHERE content_hash = ? AND scope = ?", [digest, doc.scope]
            ).fetchone()
            if row:
                return Outcome.DUPLICATE, row[0]
            columns = [*fields, "ingested_at"]
            cursor = conn.execute(
                f"INSERT INTO articles ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})",
                {**fields, "ingested_at": now_iso},
            )
            assert cursor.lastrowid is not None  # set by the INSERT above
            return Outcome.ADDED, cursor.lastrowid

    def get(self, article_id: int) -> Article | None:
        """The article with this id, or None."""
        rows = list(self.db.query("SELECT * FROM articles WHERE id = ?", [article_id]))
        return _row_to_article(rows[0]) if rows else None

    def get_many(self, article_ids: Iterable[int]) -> list[Article]:
        """Articles by id, in the order given (unknown ids are left out)."""
        ids = list(article_ids)
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        found = {
            row["id"]: _row_to_article(row)
            for row in self.db.query(f"SELECT * FROM articles WHERE id IN ({marks})", ids)
        }
        return [found[i] for i in ids if i in found]

    def count(self, scope: str | None = GLOBAL_SCOPE) -> int:
        """How many articles a reader in `scope` can see."""
        condition, scopes = scope_condition(scope)
        return self.db.execute(f"SELECT count(*) FROM articles WHERE {condition}", scopes).fetchone()[0]

    def ingested_since(
        self, since: datetime, scope: str | None = GLOBAL_SCOPE, limit: int = 500
    ) -> list[Article]:
        """Articles ingested after `since`, newest first (what a digest may cover)."""
        condition, scopes = scope_condition(scope)
        rows = self.db.query(
            f"SELECT * FROM articles WHERE ingested_at > ? AND {condition} "
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
        existing = self.get_source(url, scope)
        if existing:
            return existing, False
        with self.transaction():
            self.db.table("sources").insert(
                {
                    "url": url,
                    "scope": scope,
                    "title": title,
                    "added_at": utc_iso(datetime.now(UTC)),
                    "consecutive_failures": 0,
                }
            )
        added = self.get_source(url, scope)
        assert added is not None  # inserted above
        return added, True

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

    def update_source(self, source_id: int, **changes) -> None:
        """Record a poll's result on a source row."""
        with self.transaction():
            self.db.table("sources").update(source_id, changes)
