"""The SQLite backend of the store: one file (sqlite-utils), WAL, FTS5, forward migrations.

Tables (the same logical schema as summarizer/store/postgres.py, at the same version):
- `articles`: one row per article and scope, FTS5 index `articles_fts` over title and
  text (porter stemming, diacritics folded) kept in sync by triggers.
- `sources`: feeds that are polled, with their HTTP caching and back-off state.
- `subscriptions`, `digest_posts`, `posted_stories`: daily digests and what was posted;
  `digest_stories`, `posted_sentences`: each story a digest told and its sentences.
- `article_vectors`: one vector per article for hybrid retrieval (summarizer/store/vectors.py).
- `meta`: the schema version.

What is SQLite's own here: the migrations, FTS5 matching ranked by bm25, and the
transaction (BEGIN IMMEDIATE: one writer at a time, so `upsert` needs no other lock).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlite_utils

from summarizer.models import GLOBAL_SCOPE
from summarizer.store.base import BODY_WEIGHT, TITLE_WEIGHT, Store, sqlite_path, utc_iso
from summarizer.store.query import Query

FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
BUSY_TIMEOUT_MS = 5000


class SQLiteDatabase(sqlite_utils.Database):
    """`store.db` on SQLite: sqlite-utils' Database (execute, query) plus executemany."""

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> sqlite3.Cursor:
        """Run one statement for every row of parameters."""
        return self.conn.executemany(sql, rows)


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
    """Digests are claimed before they are posted (see summarizer/briefs/digest/claims.py).

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
    """Digests that are updates (see summarizer/briefs/digest/compose.py).

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


def _v7_digest_leases(db: sqlite_utils.Database) -> None:
    """A claimed digest is posted exactly once even when its process dies while posting it
    (summarizer/briefs/digest/claims.py).

    - `digest_posts.claimed_by` / `lease_until`: the process posting the claim and until when
      (UTC) it holds it; a claim whose lease ran out (its process is gone) is taken over.
    - `digest_posts.rendering`: the digest's messages as the bot posts them (JSON), so a
      taken-over digest is posted with the same content; `messages_sent`: how many of them
      went out, in order; `nonce_key`: the Discord message nonces' stem (one per message).
    Claims recorded before this version have no lease: they stay as they are.
    """
    db.execute("ALTER TABLE digest_posts ADD COLUMN claimed_by TEXT")
    db.execute("ALTER TABLE digest_posts ADD COLUMN lease_until TEXT")
    db.execute("ALTER TABLE digest_posts ADD COLUMN rendering TEXT")
    db.execute("ALTER TABLE digest_posts ADD COLUMN messages_sent INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE digest_posts ADD COLUMN nonce_key TEXT")
    db.execute("CREATE INDEX digest_posts_claims ON digest_posts(status, lease_until)")


def _v8_disabled_notices(db: sqlite_utils.Database) -> None:
    """The channel that added a feed is told once when the feed is disabled, whichever process
    disabled it (a `briefbot poll` worker, or the bot; bot/tasks.py).

    - `sources.disabled_announced_at`: when a bot process took the telling on itself (NULL: a
      disabled feed not told yet). Feeds disabled before this version count as told.
    """
    db.table("sources").add_column("disabled_announced_at", str)
    db.execute("UPDATE sources SET disabled_announced_at = disabled_at WHERE disabled_at IS NOT NULL")


def _v9_scope_index(db: sqlite_utils.Database) -> None:
    """PostgreSQL's version 9 indexes `articles.scope` (counting what a reader can see read
    the whole (url, scope) index there); SQLite counts from an existing covering index, and
    without statistics its planner would take a scope index for the digests' time-range
    queries: nothing to change here, the versions stay aligned for `briefbot copy`."""


# Forward migrations: MIGRATIONS[i] takes the schema from version i to i + 1. Append only.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _v1_initial,
    _v2_digest_claims,
    _v3_bot_state,
    _v4_article_vectors,
    _v5_digest_updates,
    _v6_poll_leases,
    _v7_digest_leases,
    _v8_disabled_notices,
    _v9_scope_index,
]
SCHEMA_VERSION = len(MIGRATIONS)


class SQLiteStore(Store):
    """The store on one SQLite file. Open one per thread; SQLite handles the locking (WAL)."""

    one_writer_at_a_time = True  # BEGIN IMMEDIATE

    def __init__(self, path: str | Path, migrate: bool = True):
        self.path = sqlite_path(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        self.db = SQLiteDatabase(conn)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if self.path != ":memory:":
            self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        # A 64 MiB page cache and in-memory temp tables: FTS5 index merges during bulk
        # ingestion touch many pages (measured ~10% faster ingestion at 30k articles).
        self.db.execute("PRAGMA cache_size = -65536")
        self.db.execute("PRAGMA temp_store = MEMORY")
        self.db.execute("PRAGMA foreign_keys = ON")
        if migrate:
            self.migrate()

    # -- schema -------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """How many migrations this database has had (0 for a new file)."""
        if not self.db["meta"].exists():
            return 0
        row = self.db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def migrate(self) -> tuple[int, int]:
        """Bring the file to SCHEMA_VERSION (run when the store opens); returns (from, to)."""
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
        return version, SCHEMA_VERSION

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

    def table_columns(self, table: str) -> list[str]:
        """The columns of `table`, in order."""
        return [row[1] for row in self.db.execute(f"PRAGMA table_info({table})").fetchall()]

    def lock(self, key: str) -> None:
        """Nothing to do: BEGIN IMMEDIATE already lets one writer in at a time."""

    # -- full-text search (FTS5) ------------------------------------------------------

    def match(
        self, query: Query, where: str, params: Sequence, now: datetime, limit: int, ranked: bool = True
    ) -> list[tuple[int, float, float]]:
        """FTS5 matches, newest rowid first (FTS5 walks its index that way and stops at
        `limit`); the score is -bm25 with the title TITLE_WEIGHT times the body (0.0 unless
        `ranked`)."""
        if query.empty:
            return []
        score = f"-bm25(articles_fts, {TITLE_WEIGHT}, {BODY_WEIGHT})" if ranked else "0.0"
        return self.db.execute(
            f"""
            SELECT f.rowid, {score},
                   max(0, julianday(?) - julianday(coalesce(a.published_at, a.ingested_at))) * 24
            FROM articles_fts f JOIN articles a ON a.id = f.rowid
            WHERE articles_fts MATCH ? AND {where}
            ORDER BY f.rowid DESC LIMIT {int(limit)}
            """,
            [utc_iso(now), query.to_fts(), *params],
        ).fetchall()

    def match_ids(self, query: Query, among: Sequence[int] | None = None) -> set[int]:
        """Ids matching `query` from the FTS5 index alone (one index read per term)."""
        if query.empty:
            return set()
        if among is None:
            rows = self.db.execute(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", [query.to_fts()]
            )
        else:
            if not among:
                return set()
            marks = ",".join("?" * len(among))
            rows = self.db.execute(
                f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid IN ({marks})",
                [query.to_fts(), *among],
            )
        return {row[0] for row in rows}

    def match_count(self, query: Query) -> int:
        """FTS5 counts a term's matches from its index."""
        if query.empty:
            return 0
        return self.db.execute(
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [query.to_fts()]
        ).fetchone()[0]
