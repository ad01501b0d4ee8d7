"""Digest claims that outlive their process (engine side, on SQLite and PostgreSQL): a claim
names its process and holds a lease; once the lease ran out, one other process takes it over,
with the stories and messages the claim recorded, the same nonces and the progress made.

Fixed clocks (no sleeping); the race runs real threads on their own store connections."""

from __future__ import annotations

import threading
from contextlib import closing
from datetime import UTC, datetime, timedelta

from summarizer.briefs.digest import (
    Claim,
    claim_of,
    compose_digest,
    digest_status,
    due_digests,
    get_subscription,
    mark_posted,
    message_sent,
    record_digest,
    stalled_digests,
    subscribe,
    take_over_digest,
)
from summarizer.config import Settings
from summarizer.models import Document
from summarizer.store import Store, open_store

GRACE = timedelta(hours=6)
LEASE = timedelta(minutes=2)
AT = datetime(2026, 6, 1, 8, 0, 30, tzinfo=UTC)
RENDERING = '[{"content": "first", "embeds": []}, {"content": "second", "embeds": []}]'


def _claimed(store: Store, owner: str = "bot-a", rendering: str | None = RENDERING) -> Claim:
    """A digest with one story, due at 08:00 UTC, claimed by `owner` at AT."""
    store.upsert(
        Document(
            url="https://gazette.example/bridge",
            title="Harbour bridge reopens",
            text="The harbour bridge reopened to traffic on Monday after repairs. "
            "Engineers replaced the cables.",
            published_at=AT - timedelta(hours=2),
        ),
        now=AT - timedelta(hours=2),
    )
    subscribe(store, "111", "222", "", "08:00", "UTC", 5, created_by="42", now=AT - timedelta(days=30))
    [(due, day)] = due_digests(store, AT, GRACE)
    digest = compose_digest(store, due, AT, Settings())
    assert len(digest.stories) == 1
    assert record_digest(store, due, day, digest, AT, owner=owner, lease=LEASE, rendering=rendering)
    claim = claim_of(store, due.id, day)
    assert claim is not None
    return claim


def test_a_claim_names_its_process_and_its_lease_and_keeps_its_rendering(store):
    claim = _claimed(store)
    assert (claim.claimed_by, claim.lease_until, claim.rendering) == (
        "bot-a",
        AT.replace(microsecond=0) + LEASE,
        RENDERING,
    )
    assert claim.messages_sent == 0
    # While the lease runs, nobody else may take it and the day is not due again.
    assert stalled_digests(store, AT + LEASE - timedelta(seconds=1)) == []
    assert take_over_digest(store, claim.id, "bot-b", AT + timedelta(seconds=30), LEASE) is None
    assert due_digests(store, AT + timedelta(minutes=5), GRACE) == []


def test_each_message_recorded_renews_the_lease_so_a_slow_post_is_not_taken_over(store):
    claim = _claimed(store)
    later = AT + timedelta(minutes=1, seconds=50)
    assert message_sent(store, claim.id, "bot-a", 0, later, LEASE, "https://discord.com/channels/1/2/3")
    assert stalled_digests(store, AT + LEASE + timedelta(seconds=1)) == []
    [(subscription, stalled)] = stalled_digests(store, later + LEASE + timedelta(seconds=1))
    assert (subscription.channel_id, stalled.messages_sent) == ("222", 1)
    assert stalled.jump_url == "https://discord.com/channels/1/2/3"


def test_a_dead_process_claim_is_taken_over_once_with_its_progress_nonces_and_stories(store):
    claim = _claimed(store)
    assert message_sent(store, claim.id, "bot-a", 0, AT, LEASE, "https://discord.com/channels/1/2/3")
    # bot-a is killed here, between its first and second message.
    after = AT + LEASE + timedelta(seconds=5)
    [(subscription, stalled)] = stalled_digests(store, after)
    taken = take_over_digest(store, stalled.id, "bot-b", after, LEASE)
    assert taken is not None
    assert (taken.claimed_by, taken.messages_sent, taken.rendering) == ("bot-b", 1, RENDERING)
    assert [taken.nonce(i) for i in (0, 1)] == [claim.nonce(0), claim.nonce(1)]  # what bot-a sent with
    assert take_over_digest(store, stalled.id, "bot-c", after, LEASE) is None  # taken once
    assert stalled_digests(store, after) == []
    # bot-a, were it only slow, learns it lost the claim and stops.
    assert not message_sent(store, claim.id, "bot-a", 1, after, LEASE)
    assert message_sent(store, claim.id, "bot-b", 1, after, LEASE, "https://discord.com/channels/1/2/4")
    mark_posted(store, subscription.id, taken.local_date, after)
    assert digest_status(store, subscription.id, taken.local_date) == "posted"
    assert stalled_digests(store, after + timedelta(hours=1)) == []
    jump = store.db.execute("SELECT jump_url FROM digest_posts WHERE id = ?", [claim.id]).fetchone()[0]
    assert jump == "https://discord.com/channels/1/2/3"  # the digest links its first message
    # Its stories stayed reserved: the next digest does not tell them again.
    tomorrow = AT + timedelta(days=1)
    [(due, _)] = due_digests(store, tomorrow, GRACE)
    assert compose_digest(store, due, tomorrow, Settings()).stories == []
    assert get_subscription(store, "222").last_digest_at is not None


def test_nonces_are_fixed_per_claim_and_message_within_discords_25_characters(store):
    claim = _claimed(store)
    again = claim_of(store, claim.subscription_id, claim.local_date)
    assert again is not None and again.nonce(3) == claim.nonce(3)
    assert len({claim.nonce(i) for i in range(12)}) == 12
    assert all(len(claim.nonce(i)) <= 25 for i in range(100))


def test_a_claim_without_a_rendering_is_never_taken_over(store):
    """Claims recorded before leases existed (or without messages to resend) stay as they were:
    at most once."""
    claim = _claimed(store, owner="", rendering=None)
    assert claim.lease_until is None
    assert stalled_digests(store, AT + timedelta(days=1)) == []


def test_two_processes_taking_over_at_once_one_wins(store, settings):
    claim = _claimed(store)
    after = AT + LEASE + timedelta(seconds=5)
    barrier = threading.Barrier(4)
    winners: list[str] = []
    errors: list[BaseException] = []

    def take(owner: str) -> None:
        try:
            with closing(open_store(settings.store_url)) as own:
                barrier.wait(timeout=30)
                if take_over_digest(own, claim.id, owner, after, LEASE) is not None:
                    winners.append(owner)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=take, args=(f"bot-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(winners) == 1
    held = claim_of(store, claim.subscription_id, claim.local_date)
    assert held is not None and held.claimed_by == winners[0]
