"""Health of a deployment, for `briefbot status` (and a Docker HEALTHCHECK or a monitor):
what the store holds, when feeds were last polled and a digest last posted, and how old the
running bot's heartbeat is.

The bot refreshes its heartbeat file every HEARTBEAT_INTERVAL once it has connected
(bot/heartbeat.py); a heartbeat older than STALE_AFTER_INTERVALS intervals means the bot is
down or its event loop is stuck. The file is one JSON object written atomically:
`{"at": "2026-12-06T10:00:00.000Z", "pid": 4242, "guilds": 3}`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from summarizer.config import Settings, parse_duration
from summarizer.errors import BriefbotError
from summarizer.store import is_postgres_url, parse_utc, utc_iso

STALE_AFTER_INTERVALS = 3


@dataclass(frozen=True)
class Heartbeat:
    """The last heartbeat the bot wrote."""

    at: datetime
    pid: int
    guilds: int


@dataclass(frozen=True)
class StoreHealth:
    """What the store file holds, read without changing it."""

    path: str
    schema_version: int
    articles: int
    feeds: int
    failing_feeds: int
    last_poll: datetime | None
    last_digest: datetime | None


@dataclass(frozen=True)
class Status:
    """`briefbot status`: the store, and the bot's heartbeat judged against its interval."""

    store: StoreHealth
    heartbeat_file: str
    heartbeat: Heartbeat | None
    heartbeat_age: timedelta | None
    stale_after: timedelta

    @property
    def bot_alive(self) -> bool:
        """True when the bot wrote a heartbeat recently enough."""
        return self.heartbeat_age is not None and self.heartbeat_age <= self.stale_after

    def to_dict(self) -> dict:
        """JSON-ready: times as ISO 8601 UTC, ages in seconds."""

        def plain(value: Any) -> Any:
            if isinstance(value, datetime):
                return utc_iso(value)
            if isinstance(value, timedelta):
                return round(value.total_seconds(), 1)
            if isinstance(value, dict):
                return {key: plain(item) for key, item in value.items()}
            return value

        return plain(
            {
                "store": asdict(self.store),
                "heartbeat_file": self.heartbeat_file,
                "heartbeat": asdict(self.heartbeat) if self.heartbeat else None,
                "heartbeat_age_seconds": self.heartbeat_age,
                "stale_after_seconds": self.stale_after,
                "bot_alive": self.bot_alive,
            }
        )


def heartbeat_path(settings: Settings) -> Path:
    """HEARTBEAT_FILE, or beside the database when it is empty (briefbot.db.heartbeat); a
    process running some shards only has its own (briefbot.db.shard0.heartbeat for SHARD_IDS=0),
    so shard processes on one machine never overwrite each other's."""
    if settings.heartbeat_file:
        return Path(settings.heartbeat_file)
    shards = f".shard{settings.shard_ids.replace(',', '-')}" if settings.shard_ids else ""
    return Path(f"{settings.database_path}{shards}.heartbeat")


def heartbeat_interval(settings: Settings) -> timedelta:
    """HEARTBEAT_INTERVAL as a timedelta."""
    return parse_duration(settings.heartbeat_interval)


def write_heartbeat(path: Path, *, guilds: int, now: datetime | None = None) -> None:
    """Replace the heartbeat file in one step (a reader never sees half a file)."""
    at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    record = {"at": at, "pid": os.getpid(), "guilds": guilds}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(record, file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_heartbeat(path: Path) -> Heartbeat | None:
    """The heartbeat in `path`, or None when there is none or it cannot be read."""
    try:
        record = json.loads(path.read_text())
        at = parse_utc(record["at"])
        pid, guilds = int(record["pid"]), int(record["guilds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Heartbeat(at=at, pid=pid, guilds=guilds) if at else None


def _scalar(db: sqlite3.Connection, sql: str) -> Any:
    return db.execute(sql).fetchone()[0]


def _postgres_health(url: str) -> StoreHealth:
    """The same figures from a PostgreSQL store, opened without migrating it."""
    import psycopg
    import psycopg_pool

    from summarizer.store import open_store

    try:
        store = open_store(url, migrate=False)
    except (psycopg.Error, psycopg_pool.PoolTimeout) as error:
        raise BriefbotError(f"cannot open the store: {' '.join(str(error).split())}") from None
    try:
        version = store.schema_version
        if version == 0:
            raise BriefbotError(f"no store at {store.path} (DATABASE_URL): run `briefbot migrate`")
        feeds = store.db.execute(
            "SELECT count(*), count(last_error), max(last_polled_at) FROM sources"
        ).fetchone()
        last_digest = store.db.execute("SELECT max(posted_at) FROM digest_posts WHERE status = 'posted'")
        return StoreHealth(
            path=store.path,
            schema_version=version,
            articles=store.count_all(),
            feeds=feeds[0],
            failing_feeds=feeds[1],
            last_poll=parse_utc(feeds[2]),
            last_digest=parse_utc(last_digest.fetchone()[0]),
        )
    finally:
        store.close()


def store_health(database_path: str) -> StoreHealth:
    """Read the store without creating or migrating it (SQLite read-only mode; a PostgreSQL
    URL is read through the store)."""
    if is_postgres_url(database_path):
        return _postgres_health(database_path)
    path = Path(database_path)
    if not path.is_file():
        raise BriefbotError(f"no store at {database_path} (DATABASE_PATH): nothing has been ingested there")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BriefbotError(f"cannot open {database_path}: {error}") from error
    try:
        version = int(_scalar(db, "SELECT value FROM meta WHERE key = 'schema_version'") or 0)
        # Schema 2 added claims: a digest counts once it is 'posted'.
        last_digest_sql = "SELECT max(posted_at) FROM digest_posts"
        if version >= 2:
            last_digest_sql += " WHERE status = 'posted'"
        feeds = db.execute("SELECT count(*), count(last_error), max(last_polled_at) FROM sources").fetchone()
        return StoreHealth(
            path=database_path,
            schema_version=version,
            articles=int(_scalar(db, "SELECT count(*) FROM articles")),
            feeds=feeds[0],
            failing_feeds=feeds[1],
            last_poll=parse_utc(feeds[2]),
            last_digest=parse_utc(_scalar(db, last_digest_sql)),
        )
    except sqlite3.Error as error:
        raise BriefbotError(f"{database_path} is not a briefbot store ({error})") from error
    finally:
        db.close()


def status(settings: Settings, now: datetime | None = None) -> Status:
    """The deployment's health under these settings."""
    now = now or datetime.now(UTC)
    path = heartbeat_path(settings)
    heartbeat = read_heartbeat(path)
    return Status(
        store=store_health(settings.store_url),
        heartbeat_file=str(path),
        heartbeat=heartbeat,
        heartbeat_age=max(now - heartbeat.at, timedelta(0)) if heartbeat else None,
        stale_after=STALE_AFTER_INTERVALS * heartbeat_interval(settings),
    )
