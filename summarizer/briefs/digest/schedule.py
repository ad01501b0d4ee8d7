"""When digests are due: the local-time schedule of each subscription.

Schedule rules (zoneinfo, DST-correct):
- A digest runs at `time_of_day` on the wall clock of `timezone` each local day, so a 08:00
  Europe/Berlin digest is 07:00 UTC in winter and 06:00 UTC in summer.
- A time inside a spring-forward gap (02:30 on the night clocks jump from 02:00 to 03:00)
  runs at the same distance after the gap (03:30): the instant the local time would have
  been without the jump (PEP 495, fold=0). It still runs once that day.
- A time that happens twice (fall-back fold, 02:30 when clocks go from 03:00 back to 02:00)
  runs at its first occurrence (fold=0), and only once: a digest is keyed by its local date.
- A digest missed while the bot was down is due when the bot is back within the grace
  period after its scheduled time; later than that, the day is skipped (the next digest
  still covers every story since the last one posted).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from summarizer.briefs.digest.subscriptions import Subscription, list_subscriptions
from summarizer.store import Store


def scheduled_at(subscription: Subscription, local_date: date) -> datetime:
    """The UTC instant of the subscription's digest on a local date (DST rules: module doc)."""
    hour, minute = (int(part) for part in subscription.time_of_day.split(":"))
    # fold=0: a gap time maps to the pre-transition offset (later wall time), a fold time
    # to its first occurrence; astimezone(UTC) applies exactly that.
    local = datetime.combine(local_date, time(hour, minute), tzinfo=subscription.zone)
    return local.astimezone(UTC)


def _latest_occurrence(subscription: Subscription, now: datetime) -> tuple[date, datetime]:
    """The most recent scheduled digest at or before `now`: (local date, UTC instant)."""
    today = now.astimezone(subscription.zone).date()
    for local_date in (today, today - timedelta(days=1), today - timedelta(days=2)):
        moment = scheduled_at(subscription, local_date)
        if moment <= now:
            return local_date, moment
    raise AssertionError("a day always holds one scheduled time")


def next_run(subscription: Subscription, now: datetime) -> datetime:
    """The next scheduled digest strictly after `now`, in UTC."""
    today = now.astimezone(subscription.zone).date()
    for offset in range(0, 3):
        moment = scheduled_at(subscription, today + timedelta(days=offset))
        if moment > now:
            return moment
    raise AssertionError("a day always holds one scheduled time")


def due_digests(store: Store, now: datetime, grace: timedelta) -> list[tuple[Subscription, date]]:
    """Digests to post now: (subscription, local date) whose scheduled time has passed by at
    most `grace`, that the subscription's current schedule covers, and not yet claimed."""
    due = []
    for subscription in list_subscriptions(store):
        if subscription.retired_at is not None:
            continue
        local_date, moment = _latest_occurrence(subscription, now)
        if moment < subscription.effective_since or now - moment > grace:
            continue
        claimed = store.db.execute(
            "SELECT 1 FROM digest_posts WHERE subscription_id = ? AND local_date = ?",
            [subscription.id, local_date.isoformat()],
        ).fetchone()
        if not claimed:
            due.append((subscription, local_date))
    return due
