"""The PostgreSQL backend of the store: psycopg 3, a connection pool, tsvector search.

For installs where several bot processes and feed pollers share one store. The logical
schema is SQLite's (summarizer/store/sqlite.py), version for version: the same tables and
columns, timestamps as the same ISO 8601 'Z' text, integer ids from identity columns (so
`briefbot copy` keeps them). What is PostgreSQL's own here:

- full-text search: `articles.fts`, a generated tsvector (title weight A, body weight B,
  English stemming, accents folded with `unaccent` where the server has it) with a GIN
  index, matched with the tsquery the safe query language compiles to
  (summarizer/store/query.py) and ranked by ts_rank, the title TITLE_WEIGHT times the body;
- transactions: one pooled connection held for the block (`transaction()`); a nested block
  is a savepoint, so one failing record of a batch undoes only its own writes;
- concurrent writers: URLs are unique per scope (INSERT ... ON CONFLICT DO NOTHING), and a
  transaction-scoped advisory lock on (scope, content hash), taken only for a text not yet
  stored, makes two writers of the same text at two URLs store it once;
- article vectors stay a BYTEA column loaded into the numpy index (summarizer/store/vectors.py):
  pgvector is not required.

`store.db` takes the portable SQL every module writes (`?` placeholders) and runs it with
psycopg's `%s`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from summarizer.models import GLOBAL_SCOPE
from summarizer.store.base import BODY_WEIGHT, TITLE_WEIGHT, Store, redact, utc_iso
from summarizer.store.query import Query

POOL_MAX = 8  # connections per process and database: its Stores share one pool (_SharedPools)
CONNECT_TIMEOUT_S = 10
TS_CONFIG = "briefbot_english"
# `match` reads the newest ids in windows: the first WINDOW_FIRST times the matches
# wanted (a word in a quarter of the articles fills it), the next ones sized to hold
# WINDOW_MARGIN times the matches still missing at the share of ids matched so far.
WINDOW_FIRST = 4
WINDOW_MARGIN = 1.5
# Its plans: bitmap scans only (see `match`).
_BITMAP_ONLY = {"enable_indexscan": "off", "enable_seqscan": "off"}
# Any fixed number: the advisory lock that lets one process at a time migrate a database.
_MIGRATION_LOCK = 7_231_560_912
_SQL_TOKEN = re.compile(r"'(?:[^']|'')*'|\?|%")


@lru_cache(maxsize=2048)
def to_psycopg(sql: str) -> str:
    """Portable SQL with `?` placeholders as psycopg wants it: `%s` (a ? inside a string
    literal stays), and every literal % doubled."""
    return _SQL_TOKEN.sub(lambda m: "%s" if m.group() == "?" else m.group().replace("%", "%%"), sql)


def with_search_path(url: str, schema: str) -> str:
    """`url` with its tables in `schema` (PostgreSQL's search_path): one database can hold
    several stores (a test's own, a benchmark's)."""
    option = "options=" + quote(f"-csearch_path={schema}")
    return url + ("&" if "?" in url else "?") + option


class Result:
    """What `store.db.execute` returns on PostgreSQL: the rows, read before the connection
    went back to the pool, and how many rows a write changed."""

    def __init__(self, rows: list[tuple], rowcount: int, description: list[tuple] | None = None):
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.description = description  # (name, type) per column, as DB-API's; None for no rows

    def fetchone(self) -> tuple | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[tuple]:
        rows, self._next = self._rows[self._next :], len(self._rows)
        return rows

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.fetchall())


def _params(parameters: Sequence | dict | None) -> Sequence | dict:
    # Always a container: psycopg reads %% as % only when there are parameters.
    if parameters is None:
        return []
    return parameters if isinstance(parameters, dict) else list(parameters)


class PostgresDatabase:
    """`store.db` on PostgreSQL: execute / executemany / query over the store's connection."""

    def __init__(self, store: PostgresStore):
        self._store = store

    def execute(self, sql: str, parameters: Sequence | dict | None = None) -> Result:
        """Run one statement; its rows are read at once."""
        with self._store.connection() as conn, conn.cursor() as cursor:
            cursor.execute(to_psycopg(sql), _params(parameters))
            if cursor.description is None:
                return Result([], cursor.rowcount)
            columns = [(column.name, column.type_code) for column in cursor.description]
            return Result(cursor.fetchall(), cursor.rowcount, columns)

    def executemany(self, sql: str, rows: Iterable[Sequence]) -> Result:
        """Run one statement for every row of parameters."""
        batch = [list(row) for row in rows]
        if not batch:
            return Result([], 0)
        with self._store.connection() as conn, conn.cursor() as cursor:
            cursor.executemany(to_psycopg(sql), batch)
            return Result([], cursor.rowcount)

    def query(self, sql: str, params: Sequence | dict | None = None) -> Iterator[dict]:
        """Rows as dicts."""
        with self._store.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            cursor.execute(to_psycopg(sql), _params(params))
            rows = cursor.fetchall()
        return iter(rows)


def _text_search_config(conn: psycopg.Connection) -> list[str]:
    """English stemming (Snowball) with no stop words, like FTS5's porter tokenizer ("the"
    is searchable), and accents folded with unaccent (a contrib extension most servers have;
    without it, accents count)."""
    unaccent = ""
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
        unaccent = "public.unaccent, "
    except psycopg.Error:
        pass
    return [
        f"CREATE TEXT SEARCH DICTIONARY {TS_CONFIG}_stem (TEMPLATE = snowball, Language = english)",
        f"CREATE TEXT SEARCH CONFIGURATION {TS_CONFIG} (COPY = english)",
        f"ALTER TEXT SEARCH CONFIGURATION {TS_CONFIG} "
        f"ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, hword, hword_part, word "
        f"WITH {unaccent}{TS_CONFIG}_stem",
    ]


def _v1_initial(conn: psycopg.Connection) -> list[str]:
    scope = f"'{GLOBAL_SCOPE}'"
    return [
        *_text_search_config(conn),
        f"""CREATE TABLE articles (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            url TEXT NOT NULL,
            title TEXT NOT NULL,
            source TEXT DEFAULT '',
            author TEXT DEFAULT '',
            published_at TEXT,
            ingested_at TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            word_count BIGINT DEFAULT 0,
            scope TEXT NOT NULL DEFAULT {scope},
            text TEXT NOT NULL,
            fts tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('{TS_CONFIG}', coalesce(title, '')), 'A')
                || setweight(to_tsvector('{TS_CONFIG}', coalesce(text, '')), 'B')
            ) STORED
        )""",
        "CREATE UNIQUE INDEX idx_articles_url_scope ON articles (url, scope)",
        "CREATE INDEX idx_articles_content_hash_scope ON articles (content_hash, scope)",
        "CREATE INDEX idx_articles_ingested_at ON articles (ingested_at)",
        "CREATE INDEX idx_articles_published_at ON articles (published_at)",
        "CREATE INDEX idx_articles_fts ON articles USING GIN (fts)",
        f"""CREATE TABLE sources (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            url TEXT NOT NULL,
            scope TEXT NOT NULL DEFAULT {scope},
            title TEXT DEFAULT '',
            etag TEXT,
            last_modified TEXT,
            added_at TEXT,
            last_polled_at TEXT,
            last_ok TEXT,
            last_error TEXT,
            consecutive_failures BIGINT DEFAULT 0,
            next_poll_at TEXT
        )""",
        "CREATE UNIQUE INDEX idx_sources_url_scope ON sources (url, scope)",
        """CREATE TABLE subscriptions (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            guild_id TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            topic TEXT DEFAULT '',
            time_of_day TEXT NOT NULL,
            timezone TEXT NOT NULL,
            max_stories BIGINT,
            created_by TEXT,
            created_at TEXT,
            last_digest_at TEXT
        )""",
        "CREATE UNIQUE INDEX idx_subscriptions_channel_id ON subscriptions (channel_id)",
        """CREATE TABLE digest_posts (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            subscription_id BIGINT REFERENCES subscriptions(id),
            local_date TEXT,
            posted_at TEXT,
            stories BIGINT
        )""",
        "CREATE UNIQUE INDEX idx_digest_posts_subscription_id_local_date "
        "ON digest_posts (subscription_id, local_date)",
        """CREATE TABLE posted_stories (
            channel_id TEXT,
            article_id BIGINT,
            posted_at TEXT,
            PRIMARY KEY (channel_id, article_id)
        )""",
    ]


def _v2_digest_claims(conn: psycopg.Connection) -> list[str]:
    return [
        "ALTER TABLE subscriptions ADD COLUMN updated_at TEXT",
        "ALTER TABLE digest_posts ADD COLUMN status TEXT NOT NULL DEFAULT 'posted'",
        "ALTER TABLE digest_posts ADD COLUMN previous_digest_at TEXT",
        "ALTER TABLE posted_stories ADD COLUMN digest_post_id BIGINT",
        "CREATE INDEX idx_posted_stories_digest_post_id ON posted_stories (digest_post_id)",
    ]


def _v3_bot_state(conn: psycopg.Connection) -> list[str]:
    return [
        """CREATE TABLE brief_requests (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            topic TEXT NOT NULL,
            articles BIGINT,
            since TEXT,
            scope TEXT NOT NULL,
            user_id TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX idx_brief_requests_created_at ON brief_requests (created_at)",
        "ALTER TABLE subscriptions ADD COLUMN post_failures BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE subscriptions ADD COLUMN retired_at TEXT",
        "ALTER TABLE subscriptions ADD COLUMN retired_reason TEXT",
        "ALTER TABLE sources ADD COLUMN added_in_channel TEXT",
        "ALTER TABLE sources ADD COLUMN disabled_at TEXT",
        "ALTER TABLE sources ADD COLUMN disabled_reason TEXT",
    ]


def _v4_article_vectors(conn: psycopg.Connection) -> list[str]:
    return [
        """CREATE TABLE article_vectors (
            article_id BIGINT PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            seq BIGINT NOT NULL,
            vector BYTEA NOT NULL
        )""",
        "CREATE INDEX article_vectors_seq ON article_vectors (seq)",
        "CREATE TABLE vector_queue (article_id BIGINT PRIMARY KEY)",
        "INSERT INTO vector_queue (article_id) SELECT id FROM articles",
        """CREATE FUNCTION articles_vector_new() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO vector_queue (article_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER articles_vector_new AFTER INSERT ON articles
        FOR EACH ROW EXECUTE FUNCTION articles_vector_new()""",
        """CREATE FUNCTION articles_vector_stale() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM article_vectors WHERE article_id = OLD.id;
            INSERT INTO vector_queue (article_id) VALUES (OLD.id) ON CONFLICT DO NOTHING;
            RETURN NULL;
        END $$""",
        """CREATE TRIGGER articles_vector_stale AFTER UPDATE OF title, text ON articles
        FOR EACH ROW EXECUTE FUNCTION articles_vector_stale()""",
    ]


def _v5_digest_updates(conn: psycopg.Connection) -> list[str]:
    return [
        """CREATE TABLE digest_stories (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            channel_id TEXT NOT NULL,
            digest_post_id BIGINT NOT NULL,
            number BIGINT NOT NULL,
            thread_id BIGINT,
            told_at TEXT NOT NULL
        )""",
        "CREATE INDEX digest_stories_channel ON digest_stories (channel_id, told_at)",
        "CREATE INDEX digest_stories_post ON digest_stories (digest_post_id)",
        """CREATE TABLE posted_sentences (
            digest_story_id BIGINT NOT NULL,
            position BIGINT NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (digest_story_id, position)
        )""",
        "ALTER TABLE posted_stories ADD COLUMN digest_story_id BIGINT",
        "CREATE INDEX posted_stories_story ON posted_stories (digest_story_id)",
        "ALTER TABLE digest_posts ADD COLUMN jump_url TEXT",
        "ALTER TABLE subscriptions ADD COLUMN quiet TEXT NOT NULL DEFAULT 'say'",
        "ALTER TABLE brief_requests ADD COLUMN new_since TEXT",
    ]


def _v6_poll_leases(conn: psycopg.Connection) -> list[str]:
    return [
        "ALTER TABLE sources ADD COLUMN leased_until TEXT",
        "ALTER TABLE sources ADD COLUMN leased_by TEXT",
    ]


def _v7_digest_leases(conn: psycopg.Connection) -> list[str]:
    return [
        "ALTER TABLE digest_posts ADD COLUMN claimed_by TEXT",
        "ALTER TABLE digest_posts ADD COLUMN lease_until TEXT",
        "ALTER TABLE digest_posts ADD COLUMN rendering TEXT",
        "ALTER TABLE digest_posts ADD COLUMN messages_sent BIGINT NOT NULL DEFAULT 0",
        "ALTER TABLE digest_posts ADD COLUMN nonce_key TEXT",
        "CREATE INDEX digest_posts_claims ON digest_posts (status, lease_until)",
    ]


def _v8_disabled_notices(conn: psycopg.Connection) -> list[str]:
    return [
        "ALTER TABLE sources ADD COLUMN disabled_announced_at TEXT",
        "UPDATE sources SET disabled_announced_at = disabled_at WHERE disabled_at IS NOT NULL",
    ]


def _v9_scope_index(conn: psycopg.Connection) -> list[str]:
    # Counting what a reader can see (each brief) read the whole (url, scope) index, 4x
    # slower at 100,000 articles; one deduplicated value per scope is a tiny index.
    return ["CREATE INDEX idx_articles_scope ON articles (scope)"]


# Forward migrations, version for version those of summarizer/store/sqlite.py:
# MIGRATIONS[i] gives the statements taking the schema from version i to i + 1. Append only.
MIGRATIONS = [
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


class _SharedPools:
    """One connection pool per database URL in a process, shared by every PostgresStore opened
    on it and closed with the last of them: a bot opens a Store per worker thread, and a pool
    each kept up to 5 x 4 connections per process open on the server (max_connections is 100
    by default, and every shard and poller is a process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pools: dict[str, tuple[ConnectionPool, int]] = {}

    def acquire(self, url: str) -> ConnectionPool:
        """The URL's pool, opened on first use; one more Store uses it."""
        with self._lock:
            pool, users = self._pools.get(url, (None, 0))
            if pool is None:
                pool = ConnectionPool(
                    url,
                    min_size=1,
                    max_size=POOL_MAX,
                    kwargs={"autocommit": True},
                    open=False,
                    name=f"briefbot-{len(self._pools)}",
                )
                pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
            self._pools[url] = (pool, users + 1)
            return pool

    def release(self, url: str) -> None:
        """One Store less on the URL's pool; the last one closes it."""
        with self._lock:
            pool, users = self._pools[url]
            if users > 1:
                self._pools[url] = (pool, users - 1)
                return
            del self._pools[url]
        pool.close()


_POOLS = _SharedPools()


class PostgresStore(Store):
    """The store on a PostgreSQL database, through the process's pool of up to POOL_MAX
    connections to it (shared by its Stores). Safe to share between threads; each thread's
    `transaction()` holds its own connection."""

    one_writer_at_a_time = False
    skip_locked = " FOR UPDATE SKIP LOCKED"  # concurrent pollers skip each other's feeds
    checks_candidates = True  # a posting list costs a heap visit per article (BENCHMARKS.md)

    def __init__(self, url: str, migrate: bool = True):
        self.url = url
        self.path = redact(url)
        self._local = threading.local()
        self.db = PostgresDatabase(self)
        with self._connect() as conn:  # a connection of its own: a clear error when the server is not there
            if migrate:
                self._migrate(conn)
        self.pool = _POOLS.acquire(url)
        self._holds_pool = True

    def _connect(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)

    # -- connections and transactions -------------------------------------------------

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """The connection this thread's transaction holds, else one from the pool (autocommit)."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        with self.pool.connection() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One pooled connection held for the block, committed at its end (rolled back on an
        error); a nested block is a savepoint."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            with held.transaction():
                yield
            return
        with self.pool.connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    yield
            finally:
                self._local.conn = None

    def close(self) -> None:
        """Give the pool back (its connections close with the process's last Store on it)."""
        if getattr(self, "_holds_pool", False):
            self._holds_pool = False
            _POOLS.release(self.url)

    # -- schema -------------------------------------------------------------------

    @staticmethod
    def _version(conn: psycopg.Connection) -> int:
        if conn.execute("SELECT to_regclass('meta')").fetchone() == (None,):
            return 0
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    @property
    def schema_version(self) -> int:
        """How many migrations this database has had (0 for a new one)."""
        with self.connection() as conn:
            return self._version(conn)

    def migrate(self) -> tuple[int, int]:
        """Bring the database to SCHEMA_VERSION in one transaction, one process at a time;
        returns (version before, version after)."""
        with self._connect() as conn:
            return self._migrate(conn)

    def _migrate(self, conn: psycopg.Connection) -> tuple[int, int]:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [_MIGRATION_LOCK])
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
            version = self._version(conn)
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"{self.path} has schema version {version}, newer than this briefbot "
                    f"({SCHEMA_VERSION}): upgrade briefbot"
                )
            for migration in MIGRATIONS[version:]:
                for statement in migration(conn):
                    conn.execute(statement)  # no parameters: run as written
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [str(SCHEMA_VERSION)],
            )
        return version, SCHEMA_VERSION

    def lock(self, key: str) -> None:
        """A transaction-scoped advisory lock on `key` (released at commit or rollback)."""
        self.db.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", [key])

    def reset_sequences(self) -> None:
        """Move every id sequence past the largest id stored (after rows came with their ids)."""
        with self.transaction():
            for table in (
                "articles",
                "sources",
                "subscriptions",
                "digest_posts",
                "brief_requests",
                "digest_stories",
            ):
                self.db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )

    def table_columns(self, table: str) -> list[str]:
        """The columns of `table` that take values (not the generated `fts`), in order."""
        rows = self.db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? AND is_generated = 'NEVER' ORDER BY ordinal_position",
            [table],
        )
        return [row[0] for row in rows]

    # -- full-text search (tsvector) ----------------------------------------------------

    def match(
        self, query: Query, where: str, params: Sequence, now: datetime, limit: int, ranked: bool = True
    ) -> list[tuple[int, float, float]]:
        """tsvector matches, the newest `limit` ids, ranked by ts_rank (title weight A counts
        TITLE_WEIGHT times body weight B; 0.0 when not `ranked`: ts_rank reads the row's
        tsvector from TOAST, most of the cost of a common word).

        The newest matches are read in windows of ids, newest first, each window the GIN
        index's matches ANDed with the id range in a bitmap, so only matches in the window
        leave the index; the next window is sized from the share of ids that matched so far.
        The planner's own choice for a common word, an index scan backwards by id checking
        each row's tsvector, was 2-4x slower (BENCHMARKS.md): hence bitmap scans only, in
        this transaction.
        """
        expression = query.to_tsquery()
        if not expression or limit <= 0:
            return []
        weights = f"{{0, 0, {BODY_WEIGHT / TITLE_WEIGHT}, 1}}"  # D, C, B (body), A (title)
        score = f"ts_rank('{weights}', a.fts, to_tsquery('{TS_CONFIG}', ?))" if ranked else "0"
        found: list[tuple[int, float, float]] = []
        with self.transaction():
            newest = self.db.execute("SELECT max(id) FROM articles").fetchone()[0]  # by index: first
            before = self._plan_settings(_BITMAP_ONLY)
            upper, size = (newest or 0) + 1, WINDOW_FIRST * limit
            while upper > 1 and len(found) < limit:
                lower = upper - size
                span = f"a.id < {upper}" + (f" AND a.id >= {lower}" if lower > 1 else "")
                # ts_rank outside the LIMIT: only the rows kept read their tsvector (2x faster).
                found += self.db.execute(
                    f"""
                    SELECT id, {score}::float8, hours FROM (
                        SELECT a.id, a.fts, greatest(0, extract(epoch FROM ?::timestamptz
                            - coalesce(a.published_at, a.ingested_at)::timestamptz) / 3600)::float8 AS hours
                        FROM articles a WHERE a.fts @@ to_tsquery('{TS_CONFIG}', ?) AND {span} AND {where}
                        ORDER BY a.id DESC LIMIT {int(limit) - len(found)}
                    ) a ORDER BY id DESC
                    """,
                    [*([expression] if ranked else []), utc_iso(now), expression, *params],
                ).fetchall()
                share = max(len(found), 1) / (newest + 1 - lower)  # matches per id read so far
                upper, size = lower, max(int(WINDOW_MARGIN * (limit - len(found)) / share), limit)
            self._plan_settings(before)  # an enclosing transaction goes on with its own plans
        return found

    def _plan_settings(self, settings: dict[str, str]) -> dict[str, str]:
        """Set planner settings until the end of the transaction; returns those they replace."""
        names = list(settings)
        reads, writes = ["current_setting(?)"] * len(names), ["set_config(?, ?, true)"] * len(names)
        row = self.db.execute(
            "SELECT " + ", ".join(reads + writes),
            [*names, *[value for name in names for value in (name, settings[name])]],
        ).fetchone()
        return dict(zip(names, row[: len(names)], strict=True))

    def match_ids(self, query: Query, among: Sequence[int] | None = None) -> set[int]:
        """Ids matching `query` (the GIN index), among `among` when given."""
        expression = query.to_tsquery()
        if not expression or (among is not None and not among):
            return set()
        sql = f"SELECT id FROM articles WHERE fts @@ to_tsquery('{TS_CONFIG}', ?)"
        params: list[Any] = [expression]
        if among is not None:
            sql += " AND id = ANY(?)"
            params.append(list(among))
        return {row[0] for row in self.db.execute(sql, params)}

    def match_each(self, words: Sequence[str], among: Sequence[int]) -> dict[str, set[int]]:
        """For each word (or phrase), the ids among `among` that match it: one query, each
        candidate's tsvector read once."""
        expressions = [Query(groups=[[word]]).to_tsquery() for word in words]
        if not among or not any(expressions):
            return {word: set() for word in words}
        checks = ", ".join(f"fts @@ to_tsquery('{TS_CONFIG}', ?)" if e else "false" for e in expressions)
        rows = self.db.execute(
            f"SELECT id, {checks} FROM articles WHERE id = ANY(?)", [*filter(None, expressions), list(among)]
        ).fetchall()
        return {word: {row[0] for row in rows if row[1 + n]} for n, word in enumerate(words)}

    def match_count(self, query: Query) -> int:
        """How many articles match (counted from the GIN index)."""
        expression = query.to_tsquery()
        if not expression:
            return 0
        return self.db.execute(
            f"SELECT count(*) FROM articles WHERE fts @@ to_tsquery('{TS_CONFIG}', ?)", [expression]
        ).fetchone()[0]
