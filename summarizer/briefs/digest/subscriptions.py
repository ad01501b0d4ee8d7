"""Digest subscriptions: one per channel (topic, local time, time zone, quiet days), their
validation and the rows they are stored as."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from summarizer.config import Settings
from summarizer.errors import DigestError
from summarizer.store import Store, parse_utc, required_utc, utc_iso

MAX_STORIES_LIMIT = 10  # a digest beyond ten stories stops being a digest
_COMMON_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
)
QUIET_CHOICES = ("say", "skip")
_TIME = re.compile(r"^\s*(\d{1,2})[:.h](\d{2})\s*$")
# Files of the system's zoneinfo folder that are no IANA zone: zoneinfo reads them (localtime is
# a link to /etc/localtime, the server's own zone), but they mean nothing to a user elsewhere.
_NOT_IANA = {"localtime", "posixrules", "factory"}


@dataclass(frozen=True)
class Subscription:
    """One channel's daily digest."""

    id: int
    guild_id: str
    channel_id: str
    topic: str  # "" = every story
    time_of_day: str  # "HH:MM" on the wall clock of `timezone`
    timezone: str  # IANA name
    max_stories: int
    created_by: str
    created_at: datetime
    updated_at: datetime | None
    last_digest_at: datetime | None
    post_failures: int = 0  # posts refused in a row because the channel is gone or forbidden
    retired_at: datetime | None = None  # no longer posted (see retire_after in record_post_failure)
    retired_reason: str = ""
    quiet: str = "say"  # a day with nothing new: 'say' so in one line, or 'skip' posting

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def effective_since(self) -> datetime:
        """When the current schedule took effect: no digest is due for an earlier moment."""
        return max(self.created_at, self.updated_at or self.created_at)


def _row_to_subscription(row: dict) -> Subscription:
    return Subscription(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        topic=row["topic"] or "",
        time_of_day=row["time_of_day"],
        timezone=row["timezone"],
        max_stories=row["max_stories"],
        created_by=row["created_by"] or "",
        created_at=required_utc(row["created_at"]),
        updated_at=parse_utc(row["updated_at"]),
        last_digest_at=parse_utc(row["last_digest_at"]),
        post_failures=row.get("post_failures") or 0,
        retired_at=parse_utc(row.get("retired_at")),
        retired_reason=row.get("retired_reason") or "",
        quiet=row.get("quiet") or "say",
    )


# -- validation ---------------------------------------------------------------------


def parse_time_of_day(text: str) -> str:
    """'8:00', '08:00', '8.30', '20h15' -> 'HH:MM'. Raises DigestError with a readable message."""
    match = _TIME.match(text or "")
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return f"{hour:02d}:{minute:02d}"
    raise DigestError(f"{text!r} is not a time of day: use 24-hour HH:MM, e.g. 08:00 or 17:30.")


def resolve_timezone(name: str) -> str:
    """An IANA time zone name, matched case-insensitively ('europe/berlin' -> 'Europe/Berlin').

    Raises DigestError naming the problem when there is no such zone.
    """
    cleaned = (name or "").strip().replace(" ", "_")
    if cleaned and cleaned.lower() not in _NOT_IANA:
        by_lower = {zone.lower(): zone for zone in available_timezones()}
        found = by_lower.get(cleaned.lower())
        if found:
            return found
        if cleaned.upper() == "UTC":
            return "UTC"
        try:  # zones the tz database knows but does not list (e.g. legacy links)
            ZoneInfo(cleaned)
            return cleaned
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise DigestError(
        f"{name!r} is not a time zone I know: use an IANA name such as Europe/Berlin, "
        "America/New_York or UTC."
    )


def parse_quiet(text: str) -> str:
    """'say' or 'skip' (what a day with nothing new does). Raises DigestError otherwise."""
    cleaned = (text or "").strip().lower()
    if cleaned not in QUIET_CHOICES:
        raise DigestError(
            f"quiet must be 'say' (one line saying nothing is new) or 'skip' (no post) (got {text!r})."
        )
    return cleaned


def _check_max_stories(value: int) -> int:
    if not 1 <= value <= MAX_STORIES_LIMIT:
        raise DigestError(f"max_stories must be between 1 and {MAX_STORIES_LIMIT} (got {value}).")
    return value


def matching_timezones(text: str, limit: int = 25) -> list[str]:
    """Time zone names containing `text` (case-insensitive), prefix matches first (autocomplete)."""
    needle = (text or "").strip().lower().replace(" ", "_")
    zones = sorted(z for z in available_timezones() if z.lower() not in _NOT_IANA)
    if not needle:
        return [zone for zone in _COMMON_ZONES if zone in zones][:limit]
    starts = [z for z in zones if z.lower().startswith(needle)]
    parts = [
        z for z in zones if z not in starts and any(part.startswith(needle) for part in z.lower().split("/"))
    ]
    contains = [z for z in zones if needle in z.lower() and z not in starts and z not in parts]
    return (starts + parts + contains)[:limit]


# -- subscriptions -------------------------------------------------------------------


def subscribe(
    store: Store,
    guild_id: str,
    channel_id: str,
    topic: str | None = None,
    time_of_day: str | None = None,
    timezone: str | None = None,
    max_stories: int | None = None,
    created_by: str = "",
    now: datetime | None = None,
    settings: Settings | None = None,
    quiet: str | None = None,
) -> tuple[Subscription, bool]:
    """Subscribe a channel to a daily digest, or change its subscription (one per channel).

    Missing values come from settings (digest_time, digest_timezone, digest_max_stories,
    digest_quiet); a change that leaves `quiet` out keeps the channel's. Returns
    (subscription, created). Raises DigestError on a bad time, zone, count or quiet value.
    A changed subscription keeps its history: a day already posted is not posted again.
    """
    settings = settings or Settings()
    now = now or datetime.now(UTC)
    fields = {
        "guild_id": str(guild_id),
        "channel_id": str(channel_id),
        "topic": " ".join((topic or "").split())[:200],
        "time_of_day": parse_time_of_day(time_of_day or settings.digest_time),
        "timezone": resolve_timezone(timezone or settings.digest_timezone),
        "max_stories": _check_max_stories(
            settings.digest_max_stories if max_stories is None else int(max_stories)
        ),
    }
    chosen_quiet = parse_quiet(quiet) if quiet is not None else None
    with store.transaction():
        # Two subscribes of one channel at once (two processes): the second waits for the
        # first and then changes its row, instead of failing on the one-per-channel index.
        store.lock(f"subscribe {channel_id}")
        existing = get_subscription(store, channel_id)
        if existing:  # subscribing again also brings a retired digest back
            store.update_row(
                "subscriptions",
                existing.id,
                {
                    **fields,
                    "quiet": chosen_quiet or existing.quiet,
                    "updated_at": utc_iso(now),
                    "post_failures": 0,
                    "retired_at": None,
                    "retired_reason": None,
                },
            )
        else:
            store.insert_row(
                "subscriptions",
                {
                    **fields,
                    "quiet": chosen_quiet or parse_quiet(settings.digest_quiet),
                    "created_by": str(created_by),
                    "created_at": utc_iso(now),
                },
            )
    subscription = get_subscription(store, channel_id)
    assert subscription is not None  # inserted or updated above
    return subscription, existing is None


def get_subscription(store: Store, channel_id: str) -> Subscription | None:
    """The channel's subscription, or None."""
    rows = list(store.db.query("SELECT * FROM subscriptions WHERE channel_id = ?", [str(channel_id)]))
    return _row_to_subscription(rows[0]) if rows else None


def unsubscribe(store: Store, channel_id: str) -> bool:
    """Stop a channel's digest. True when there was one. Stories already posted stay recorded,
    so subscribing again never repeats them."""
    with store.transaction():
        existing = get_subscription(store, channel_id)
        if not existing:
            return False
        store.db.execute("DELETE FROM digest_posts WHERE subscription_id = ?", [existing.id])
        store.db.execute("DELETE FROM subscriptions WHERE id = ?", [existing.id])
    return True


def list_subscriptions(store: Store, guild_id: str | None = None) -> list[Subscription]:
    """A guild's subscriptions (every one when guild_id is None), by channel."""
    if guild_id is None:
        rows = store.db.query("SELECT * FROM subscriptions ORDER BY id")
    else:
        rows = store.db.query("SELECT * FROM subscriptions WHERE guild_id = ? ORDER BY id", [str(guild_id)])
    return [_row_to_subscription(row) for row in rows]
