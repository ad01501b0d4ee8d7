"""Feed polling: fetch the feeds that are due, store their new items, back off on failure.

Due feeds are downloaded and parsed at the same time (POLL_FETCHERS threads, each fetch cut
off at its overall deadline), so a slow feed never holds up the others; their items are then
stored one feed at a time, as each download ends, through the caller's store.

Several pollers may share one store (bot shards, `briefbot poll` workers): a poller first
leases the due feeds it takes (`claim_due`, one atomic UPDATE), so each due feed is polled
by one of them; the lease is released when the poll ends, and expires after POLL_LEASE so
the feeds of a poller killed mid-poll are polled again by another.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from summarizer.config import Settings
from summarizer.errors import BriefbotError, FeedError
from summarizer.models import GLOBAL_SCOPE, IngestResult, Outcome
from summarizer.sources.feeds import Feed, advertised_feed, looks_like_feed, parse_feed
from summarizer.sources.fetch import FetchResult, fetch
from summarizer.sources.ingest import ingest_feed
from summarizer.store import Store, utc_iso

log = logging.getLogger(__name__)

# Feeds downloaded at once by one poll: enough that a few slow sites do not queue the rest,
# few enough to stay polite and light on a small machine.
POLL_FETCHERS = 4

# Due feeds leased per claim: a few rounds of the fetchers, so a lease covers a short batch
# (each fetch is cut off at its deadline) and other pollers can take the rest meanwhile.
CLAIM_BATCH = POLL_FETCHERS * 2

# What downloading one feed gives: the fetch, and the parsed feed (None on a 304).
Download = Callable[[], tuple[FetchResult, Feed | None]]


@dataclass
class PollReport:
    """What one poll of one feed did."""

    source_id: int
    url: str
    scope: str
    title: str
    ok: bool
    not_modified: bool = False  # the server answered 304: nothing new
    error: str = ""  # why the poll failed, readable
    results: list[IngestResult] = field(default_factory=list)
    next_poll_at: datetime | None = None
    failures: int = 0  # consecutive failed polls, this one included

    def count(self, outcome: Outcome) -> int:
        """How many items ended with this outcome."""
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def added(self) -> int:
        return self.count(Outcome.ADDED)

    def describe(self) -> str:
        """One line for a person: what this poll stored, or why it failed, and what is next."""
        when = f"{self.next_poll_at:%Y-%m-%d %H:%M} UTC" if self.next_poll_at else "later"
        if not self.ok:
            return f"{self.title}: failed ({self.error}); {self.failures} in a row, retry at {when}"
        if self.not_modified:
            return f"{self.title}: no change since the last poll; next at {when}"
        counts = ", ".join(f"{self.count(outcome)} {outcome.value}" for outcome in Outcome)
        failed = [r for r in self.results if r.outcome is Outcome.FAILED]
        detail = f" (first failure: {failed[0].item}: {failed[0].reason})" if failed else ""
        return f"{self.title}: {counts}{detail}; next at {when}"


def backoff_delay(settings: Settings, failures: int) -> timedelta:
    """Wait after `failures` consecutive failures: interval * 2**failures, capped."""
    interval = settings.poll_interval_delta
    if failures <= 0:
        return interval
    # The exponent is bounded so that a long outage cannot overflow timedelta.
    return min(interval * 2 ** min(failures, 20), settings.poll_max_backoff_delta)


def select_entries(feed: Feed, settings: Settings, first_poll: bool, now: datetime) -> Feed:
    """The entries to store: newest first, at most poll_max_items; on a first poll, recent ones.

    Entries without a date sort last and are kept on a first poll (their age is unknown).
    """
    oldest = datetime.min.replace(tzinfo=UTC)
    entries = sorted(feed.entries, key=lambda e: e.published_at or oldest, reverse=True)
    if first_poll:
        cutoff = now - settings.poll_first_max_age_delta
        entries = [e for e in entries if e.published_at is None or e.published_at >= cutoff]
    return Feed(
        url=feed.url, title=feed.title, entries=entries[: settings.poll_max_items], warning=feed.warning
    )


def _download(source: dict, settings: Settings) -> tuple[FetchResult, Feed | None]:
    """Fetch one feed (conditionally) and parse it; no store access, so it runs in any thread."""
    fetched = fetch(source["url"], settings, etag=source["etag"], last_modified=source["last_modified"])
    if fetched.not_modified:
        return fetched, None
    if not looks_like_feed(fetched.content, fetched.content_type):
        raise FeedError(
            f"no longer a feed: {source['url']} now serves {fetched.content_type or 'something else'}"
        )
    return fetched, parse_feed(fetched.content, fetched.url)


def poll_source(
    store: Store, source: dict, settings: Settings, now: datetime, download: Download | None = None
) -> PollReport:
    """Poll one feed (a row of the `sources` table) and record the result on the row.

    `download` gives the feed already being fetched (poll_due's threads); by default it is
    fetched here. Its errors are this feed's failure, never the caller's.
    """
    report = PollReport(
        source_id=source["id"],
        url=source["url"],
        scope=source["scope"] or GLOBAL_SCOPE,
        title=source["title"] or source["url"],
        ok=False,
    )
    changes: dict = {"last_polled_at": utc_iso(now)}
    try:
        fetched, feed = download() if download else _download(source, settings)
        if feed is None:
            report.not_modified = True  # keep the stored validators
        else:
            report.title = source["title"] or feed.title
            first_poll = source["last_ok"] is None
            selected = select_entries(feed, settings, first_poll, now)
            report.results = ingest_feed(store, selected, settings, report.scope)
            changes.update(title=report.title, etag=fetched.etag, last_modified=fetched.last_modified)
    except BriefbotError as exc:
        report.error = str(exc)
    except Exception as exc:  # one broken feed must never stop the others
        log.exception("polling %s failed", source["url"])
        report.error = f"unexpected error: {exc.__class__.__name__}: {exc}"
    if report.error:
        failures = (source["consecutive_failures"] or 0) + 1
        report.next_poll_at = now + backoff_delay(settings, failures)
        report.failures = failures
        changes.update(last_error=report.error, consecutive_failures=failures)
    else:
        report.ok = True
        report.next_poll_at = now + settings.poll_interval_delta
        changes.update(last_ok=utc_iso(now), last_error=None, consecutive_failures=0)
    changes["next_poll_at"] = utc_iso(report.next_poll_at)
    store.update_source(source["id"], **changes)
    return report


def poller_name() -> str:
    """Who holds a lease: host, process and a random part (unique across restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_due(store: Store, now: datetime, poller: str, until: datetime, limit: int) -> list[dict]:
    """Lease up to `limit` due feeds that no live lease holds to `poller` until `until`, in one
    atomic statement; returns their rows (with the lease), oldest id first.

    Due: not disabled, next poll time come (or never polled). A lease whose time has passed
    (its poller died or hung) is free. PostgreSQL adds `store.skip_locked` so concurrent
    claimers skip each other's rows instead of waiting.
    """
    with store.transaction():
        cursor = store.db.execute(
            "UPDATE sources SET leased_until = ?, leased_by = ? WHERE id IN ("
            "SELECT id FROM sources WHERE disabled_at IS NULL "
            "AND (next_poll_at IS NULL OR next_poll_at <= ?) "
            "AND (leased_until IS NULL OR leased_until < ?) "
            f"ORDER BY id LIMIT ?{store.skip_locked}) RETURNING *",
            [utc_iso(until), poller, utc_iso(now), utc_iso(now), limit],
        )
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return sorted(rows, key=lambda row: row["id"])


def release_leases(store: Store, poller: str) -> None:
    """Give back every feed `poller` still holds (its poll ended)."""
    with store.transaction():
        store.db.execute(
            "UPDATE sources SET leased_until = NULL, leased_by = NULL WHERE leased_by = ?", [poller]
        )


def poll_due(store: Store, settings: Settings, now: datetime | None = None) -> list[PollReport]:
    """Poll every feed whose next poll time has come and that no other poller holds; one
    report per feed, oldest feed first.

    Due feeds are leased CLAIM_BATCH at a time (POLL_LEASE long) and released once polled.
    Each batch is downloaded concurrently (POLL_FETCHERS at a time); each feed is stored as
    soon as its download ends, in this thread (the store is not shared with the threads).
    """
    now = now or datetime.now(UTC)
    poller = poller_name()
    reports: list[PollReport] = []
    polled: set[int] = set()
    while True:
        # Lease from the wall clock (an injected `now` may be the past), whichever is later.
        lease_from = max(now, datetime.now(UTC))
        due = claim_due(store, now, poller, lease_from + settings.poll_lease_delta, CLAIM_BATCH)
        try:
            # A feed due again at once (an interval under the store's one-second precision)
            # waits for the next poll: each feed is polled once per call.
            due = [source for source in due if source["id"] not in polled]
            if not due:
                return reports
            polled.update(source["id"] for source in due)
            reports.extend(_poll_batch(store, due, settings, now))
        finally:
            release_leases(store, poller)


def _poll_batch(store: Store, due: list[dict], settings: Settings, now: datetime) -> list[PollReport]:
    """Poll leased feeds: downloads in threads, stored here as each ends; reports in `due`'s order."""
    reports: list[PollReport | None] = [None] * len(due)
    with ThreadPoolExecutor(
        max_workers=min(POLL_FETCHERS, len(due)), thread_name_prefix="poll-fetch"
    ) as pool:
        downloads = {pool.submit(_download, source, settings): index for index, source in enumerate(due)}
        for download in as_completed(downloads):
            index = downloads[download]
            reports[index] = poll_source(store, due[index], settings, now, download.result)
    return [report for report in reports if report is not None]


def disable_source(store: Store, source_id: int, reason: str, now: datetime) -> dict | None:
    """Stop polling a feed (it failed FEED_DISABLE_AFTER polls in a row); returns its row when
    this call disabled it (None if it already was)."""
    with store.transaction():
        cursor = store.db.execute(
            "UPDATE sources SET disabled_at = ?, disabled_reason = ?, disabled_announced_at = NULL "
            "WHERE id = ? AND disabled_at IS NULL",
            [utc_iso(now), reason, source_id],
        )
    if cursor.rowcount == 0:
        return None
    rows = list(store.db.query("SELECT * FROM sources WHERE id = ?", [source_id]))
    return rows[0] if rows else None


def unannounced_disabled_sources(store: Store) -> list[dict]:
    """Feeds disabled (by any process) whose channel has not been told yet, oldest first."""
    return list(
        store.db.query(
            "SELECT * FROM sources WHERE disabled_at IS NOT NULL AND disabled_announced_at IS NULL "
            "ORDER BY disabled_at, id"
        )
    )


def claim_disabled_announcement(store: Store, source_id: int, now: datetime) -> bool:
    """Take on telling that feed `source_id` was disabled: True for the one caller (of every
    process on the store) that gets it, False when another already did or it was resumed."""
    cursor = store.db.execute(
        "UPDATE sources SET disabled_announced_at = ? "
        "WHERE id = ? AND disabled_at IS NOT NULL AND disabled_announced_at IS NULL",
        [utc_iso(now), source_id],
    )
    return cursor.rowcount == 1


def add_feed(store: Store, url: str, settings: Settings, scope: str = GLOBAL_SCOPE) -> tuple[dict, bool]:
    """Check that `url` is a readable feed, then register it for polling.

    A web page that advertises its feed (`<link rel="alternate" type="application/rss+xml">`)
    registers that feed. Returns (source row, created?). Raises FetchError or FeedError with a
    readable message. Nothing is ingested here: the first poll stores the feed's recent items.
    """
    fetched = fetch(url, settings)
    if "html" in fetched.content_type and not looks_like_feed(fetched.content, fetched.content_type):
        discovered = advertised_feed(fetched.text, fetched.url)
        if discovered:
            fetched = fetch(discovered, settings)
    if not looks_like_feed(fetched.content, fetched.content_type):
        kind = "a web page" if "html" in fetched.content_type else (fetched.content_type or "not RSS or Atom")
        raise FeedError(f"not a feed: {url} is {kind}; give the address of its RSS or Atom feed")
    feed = parse_feed(fetched.content, fetched.url)
    return store.add_source(fetched.url, scope=scope, title=feed.title)
