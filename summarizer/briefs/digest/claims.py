"""Recording digests exactly once: claims, leases, progress per message, take-over.

Exactly once (see `record_digest`): a digest is claimed in one transaction BEFORE it is
posted: the claim row (unique per subscription and local date) reserves its stories for the
channel, moves the subscription's `last_digest_at` and keeps the digest's messages as they
will be posted (`rendering`). Of two bots racing, one wins the claim. The claim names its
process (`claimed_by`) and holds a lease (`lease_until`) that the process renews with every
message it records as sent (`message_sent`). A process killed while posting leaves a claim
whose lease runs out: `stalled_digests` finds it and the process of the guild's shard
takes it over (`take_over_digest`) and sends the messages not yet recorded, the same ones,
each with the same Discord nonce (`Claim.nonce`, enforce_nonce): a message that reached
Discord before the kill is returned by Discord instead of posted twice (Discord remembers a
nonce for a few minutes; a restart slower than that may repeat that one message). A stalled
claim past the grace period with no message sent is released instead (its stories go in
the next digest). A posting that fails before any message went out releases the claim so a
later tick retries it within the grace period; one that fails later keeps the claim, and
the rest is sent once its lease ran out (or the poster settles it with `mark_posted` when
the channel is gone). Claims recorded before leases existed (schema 7) are never taken over.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from summarizer.briefs.digest.compose import Digest, DigestStory
from summarizer.briefs.digest.subscriptions import Subscription, list_subscriptions
from summarizer.store import Store, parse_utc, utc_iso

NONCE_KEY_CHARS = 20  # a claim's nonce stem; with ".index" within Discord's 25-character nonce


def record_digest(
    store: Store,
    subscription: Subscription,
    local_date: date,
    digest: Digest,
    now: datetime,
    *,
    owner: str = "",
    lease: timedelta | None = None,
    rendering: str | None = None,
) -> bool:
    """Claim the digest of `local_date` BEFORE posting it; True for the one caller that must
    post it, False when it was already claimed (by this or another bot, now or before) or
    the channel unsubscribed meanwhile.

    In one transaction: the (subscription, local date) row is inserted or ignored (unique
    index), the digest's stories are reserved for the channel, and the subscription's
    `last_digest_at` moves to `digest.until`. With `rendering` (the messages to post, as
    text the poster reads back), the claim is `owner`'s for `lease`, and another process
    takes it over once the lease runs out (module doc). Then post (`message_sent` after
    each message), then `mark_posted`; when posting fails before any message went out,
    `release_digest` undoes the claim.
    """
    with store.transaction():
        if not store.db.execute("SELECT 1 FROM subscriptions WHERE id = ?", [subscription.id]).fetchone():
            return False  # unsubscribed meanwhile
        claim = store.db.execute(
            "INSERT INTO digest_posts "
            "(subscription_id, local_date, posted_at, stories, status, previous_digest_at, "
            "claimed_by, lease_until, rendering, nonce_key) "
            "VALUES (?, ?, ?, ?, 'claimed', ?, ?, ?, ?, ?) "
            "ON CONFLICT (subscription_id, local_date) DO NOTHING RETURNING id",
            [
                subscription.id,
                local_date.isoformat(),
                utc_iso(now),
                len(digest.stories),
                utc_iso(subscription.last_digest_at) if subscription.last_digest_at else None,
                owner or None,
                utc_iso(now + lease) if rendering is not None and lease is not None else None,
                rendering,
                uuid.uuid4().hex[:NONCE_KEY_CHARS],
            ],
        ).fetchone()
        if claim is None:
            return False
        post_id = claim[0]
        for story in digest.stories:
            _record_story(store, subscription.channel_id, post_id, story, now)
        store.db.execute(
            "UPDATE subscriptions SET last_digest_at = ? WHERE id = ?",
            [utc_iso(digest.until), subscription.id],
        )
    return True


def _record_story(store: Store, channel_id: str, post_id: int, story: DigestStory, now: datetime) -> None:
    """Record one story a digest tells: its telling (in its thread), its sentences, and its
    articles reserved for the channel."""
    row = store.db.execute(
        "INSERT INTO digest_stories (channel_id, digest_post_id, number, thread_id, told_at) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        [channel_id, post_id, story.citation.number, story.thread, utc_iso(now)],
    ).fetchone()
    story_id = row[0]
    for position, sentence in enumerate(story.told_sentences):
        store.db.execute(
            "INSERT INTO posted_sentences (digest_story_id, position, text) VALUES (?, ?, ?)",
            [story_id, position, sentence],
        )
    for article_id in story.citation.article_ids:
        store.db.execute(
            "INSERT INTO posted_stories (channel_id, article_id, posted_at, digest_post_id, digest_story_id) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel_id, article_id) DO NOTHING",
            [channel_id, article_id, utc_iso(now), post_id, story_id],
        )


def mark_posted(
    store: Store, subscription_id: int, local_date: date, now: datetime, jump_url: str | None = None
) -> None:
    """Settle a claimed digest as posted (its messages went out); `jump_url` links its first
    message (None when nothing was posted: a quiet day skipped)."""
    with store.transaction():
        store.db.execute(
            "UPDATE digest_posts SET status = 'posted', posted_at = ?, "
            "jump_url = COALESCE(?, jump_url), lease_until = NULL "
            "WHERE subscription_id = ? AND local_date = ?",
            [utc_iso(now), jump_url, subscription_id, local_date.isoformat()],
        )


def release_digest(store: Store, subscription_id: int, local_date: date) -> bool:
    """Undo a claim whose posting failed before any message went out: its stories are free
    again, `last_digest_at` goes back, and the day is due again (within grace).

    True when a claim was released; a digest already marked posted is never released.
    """
    with store.transaction():
        row = store.db.execute(
            "SELECT id, previous_digest_at FROM digest_posts "
            "WHERE subscription_id = ? AND local_date = ? AND status = 'claimed'",
            [subscription_id, local_date.isoformat()],
        ).fetchone()
        if not row:
            return False
        post_id, previous = row
        store.db.execute("DELETE FROM posted_stories WHERE digest_post_id = ?", [post_id])
        store.db.execute(
            "DELETE FROM posted_sentences WHERE digest_story_id IN "
            "(SELECT id FROM digest_stories WHERE digest_post_id = ?)",
            [post_id],
        )
        store.db.execute("DELETE FROM digest_stories WHERE digest_post_id = ?", [post_id])
        store.db.execute(
            "UPDATE subscriptions SET last_digest_at = ? WHERE id = ?", [previous, subscription_id]
        )
        store.db.execute("DELETE FROM digest_posts WHERE id = ?", [post_id])
    return True


@dataclass(frozen=True)
class Claim:
    """A claimed digest being posted: its row, who holds it and until when, its messages
    (the rendering the poster stored) and how many of them went out."""

    id: int
    subscription_id: int
    local_date: date
    claimed_by: str
    lease_until: datetime | None
    rendering: str | None
    messages_sent: int
    nonce_key: str
    jump_url: str | None

    def nonce(self, index: int) -> str:
        """The Discord nonce of the claim's message `index`: the same on every attempt."""
        return f"{self.nonce_key}.{index}"


_CLAIM_COLUMNS = (
    "id, subscription_id, local_date, claimed_by, lease_until, rendering, messages_sent, nonce_key, jump_url"
)


def _row_to_claim(row: Sequence) -> Claim:
    return Claim(
        id=row[0],
        subscription_id=row[1],
        local_date=date.fromisoformat(row[2]),
        claimed_by=row[3] or "",
        lease_until=parse_utc(row[4]),
        rendering=row[5],
        messages_sent=row[6] or 0,
        nonce_key=row[7] or f"p{row[0]}",
        jump_url=row[8],
    )


def claim_of(store: Store, subscription_id: int, local_date: date) -> Claim | None:
    """The claim of a subscription's day while it is being posted (None once posted)."""
    row = store.db.execute(
        f"SELECT {_CLAIM_COLUMNS} FROM digest_posts "
        "WHERE subscription_id = ? AND local_date = ? AND status = 'claimed'",
        [subscription_id, local_date.isoformat()],
    ).fetchone()
    return _row_to_claim(row) if row else None


def stalled_digests(store: Store, now: datetime) -> list[tuple[Subscription, Claim]]:
    """Claimed digests whose lease ran out before `now` (their process is gone, or gave up
    after a partial post): each with its subscription, oldest claim first. Claims without a
    lease (recorded before schema 7) are not listed."""
    rows = store.db.execute(
        f"SELECT {_CLAIM_COLUMNS} FROM digest_posts WHERE status = 'claimed' "
        "AND lease_until IS NOT NULL AND lease_until < ? ORDER BY lease_until, id",
        [utc_iso(now)],
    ).fetchall()
    claims = [_row_to_claim(row) for row in rows]
    if not claims:
        return []
    by_id = {s.id: s for s in list_subscriptions(store)}
    return [(by_id[c.subscription_id], c) for c in claims if c.subscription_id in by_id]


def take_over_digest(store: Store, post_id: int, owner: str, now: datetime, lease: timedelta) -> Claim | None:
    """Take a stalled claim for `owner` until now + lease: the claim, or None when it is no
    longer stalled (another process took it first, or it was posted or released)."""
    with store.transaction():
        row = store.db.execute(
            "UPDATE digest_posts SET claimed_by = ?, lease_until = ? "
            "WHERE id = ? AND status = 'claimed' AND lease_until IS NOT NULL AND lease_until < ? "
            f"RETURNING {_CLAIM_COLUMNS}",
            [owner, utc_iso(now + lease), post_id, utc_iso(now)],
        ).fetchone()
    return _row_to_claim(row) if row else None


def message_sent(
    store: Store,
    post_id: int,
    owner: str,
    index: int,
    now: datetime,
    lease: timedelta,
    jump_url: str | None = None,
) -> bool:
    """Record that message `index` of a claimed digest went out (`jump_url` links it; the
    first one recorded is the digest's link) and renew `owner`'s lease. False when `owner`
    no longer holds the claim (taken over after its lease ran out): stop posting."""
    with store.transaction():
        cursor = store.db.execute(
            "UPDATE digest_posts SET messages_sent = ?, jump_url = COALESCE(jump_url, ?), lease_until = ? "
            "WHERE id = ? AND claimed_by = ? AND status = 'claimed'",
            [index + 1, jump_url, utc_iso(now + lease), post_id, owner],
        )
    return cursor.rowcount > 0


def record_post_failure(
    store: Store, subscription_id: int, reason: str, now: datetime, retire_after: int
) -> bool:
    """A post refused because the channel is gone or forbidden; after `retire_after` of them in
    a row the subscription is retired (never due again until subscribed anew). True when this
    failure retired it."""
    with store.transaction():
        store.db.execute(
            "UPDATE subscriptions SET post_failures = post_failures + 1 WHERE id = ? AND retired_at IS NULL",
            [subscription_id],
        )
        cursor = store.db.execute(
            "UPDATE subscriptions SET retired_at = ?, retired_reason = ? "
            "WHERE id = ? AND retired_at IS NULL AND post_failures >= ?",
            [utc_iso(now), reason, subscription_id, retire_after],
        )
    return cursor.rowcount > 0


def clear_post_failures(store: Store, subscription_id: int) -> None:
    """A post went through: earlier refusals no longer count toward retiring."""
    with store.transaction():
        store.db.execute("UPDATE subscriptions SET post_failures = 0 WHERE id = ?", [subscription_id])


def digest_status(store: Store, subscription_id: int, local_date: date) -> str | None:
    """'claimed', 'posted', or None when the day has no digest yet."""
    row = store.db.execute(
        "SELECT status FROM digest_posts WHERE subscription_id = ? AND local_date = ?",
        [subscription_id, local_date.isoformat()],
    ).fetchone()
    return row[0] if row else None
