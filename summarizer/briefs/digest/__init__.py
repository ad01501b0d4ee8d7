"""Daily digests: channel subscriptions, their local-time schedule, composing and recording.

The engine side only (no Discord): the bot asks `due_digests` what to post, `compose_digest`
builds each one, `record_digest` claims it, and `mark_posted` / `release_digest` settle it.

The parts, one module each: `subscriptions` (who gets what, when), `schedule` (what is due),
`compose` (what a digest tells), `claims` (posted exactly once). Their public names are
re-exported here.
"""

from __future__ import annotations

from summarizer.briefs.digest.claims import (
    NONCE_KEY_CHARS,
    Claim,
    claim_of,
    clear_post_failures,
    digest_status,
    mark_posted,
    message_sent,
    record_digest,
    record_post_failure,
    release_digest,
    stalled_digests,
    take_over_digest,
)
from summarizer.briefs.digest.compose import (
    CANDIDATES,
    FIRST_DIGEST_WINDOW,
    LATE_PUBLISHED,
    NEAR_REPEAT_AT,
    REPEAT_CANDIDATES,
    REPEAT_WINDOW,
    SUMMARY_CHARS,
    SUMMARY_SENTENCES,
    Digest,
    DigestStory,
    EarlierPost,
    ToldStory,
    compose_digest,
    told_stories,
)
from summarizer.briefs.digest.schedule import (
    due_digests,
    next_run,
    scheduled_at,
)
from summarizer.briefs.digest.subscriptions import (
    MAX_STORIES_LIMIT,
    QUIET_CHOICES,
    Subscription,
    get_subscription,
    list_subscriptions,
    matching_timezones,
    parse_quiet,
    parse_time_of_day,
    resolve_timezone,
    subscribe,
    unsubscribe,
)

__all__ = [
    "CANDIDATES",
    "Claim",
    "Digest",
    "DigestStory",
    "EarlierPost",
    "FIRST_DIGEST_WINDOW",
    "LATE_PUBLISHED",
    "MAX_STORIES_LIMIT",
    "NEAR_REPEAT_AT",
    "NONCE_KEY_CHARS",
    "QUIET_CHOICES",
    "REPEAT_CANDIDATES",
    "REPEAT_WINDOW",
    "SUMMARY_CHARS",
    "SUMMARY_SENTENCES",
    "Subscription",
    "ToldStory",
    "claim_of",
    "clear_post_failures",
    "compose_digest",
    "digest_status",
    "due_digests",
    "get_subscription",
    "list_subscriptions",
    "mark_posted",
    "matching_timezones",
    "message_sent",
    "next_run",
    "parse_quiet",
    "parse_time_of_day",
    "record_digest",
    "record_post_failure",
    "release_digest",
    "resolve_timezone",
    "scheduled_at",
    "stalled_digests",
    "subscribe",
    "take_over_digest",
    "told_stories",
    "unsubscribe",
]
