"""Daily digests: channel subscriptions, their local-time schedule, composing and recording.

The engine side only (no Discord): the bot asks `due_digests` what to post, `compose_digest`
builds each one, `record_digest` claims it, and `mark_posted` / `release_digest` settle it.

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

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from summarizer.briefs.stories import Story, group_stories, match_told, site_of
from summarizer.config import Settings
from summarizer.errors import DigestError
from summarizer.models import Article, Citation
from summarizer.sentences import split_sentences
from summarizer.store import Store, parse_utc, required_utc, utc_iso
from summarizer.store.search import search
from summarizer.store.vectors import article_vectors
from summarizer.summaries import Budget, Passage, focused, get_summarizer
from summarizer.summaries.scoring import content_terms, strip_wire

MAX_STORIES_LIMIT = 10  # a digest beyond ten stories stops being a digest
FIRST_DIGEST_WINDOW = timedelta(hours=24)  # a first digest covers the last day
LATE_PUBLISHED = timedelta(hours=24)  # published this long before the window still counts
REPEAT_WINDOW = timedelta(days=7)  # stories posted this recently are checked for repeats
REPEAT_CANDIDATES = 200
CANDIDATES = 200  # new articles considered per digest
SUMMARY_SENTENCES = 2
SUMMARY_CHARS = 400
NONCE_KEY_CHARS = 20  # a claim's nonce stem; with ".index" within Discord's 25-character nonce
NEAR_REPEAT_AT = 0.6  # a sentence with this share of a told sentence's words repeats it
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


# -- schedule ------------------------------------------------------------------------


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


# -- composing -----------------------------------------------------------------------


@dataclass(frozen=True)
class EarlierPost:
    """A digest that told a story before: its local date and its link (None when unknown)."""

    local_date: date
    jump_url: str | None


@dataclass
class DigestStory:
    """One story of a digest: its citation (every source), its 1–2 sentence summary.

    A developing story continues one this channel was told before: its summary holds only
    what the channel was not told, and `earlier` are the digests that told it, oldest
    first."""

    citation: Citation
    summary: str
    score: float
    sentences: tuple[str, ...] = ()  # the summary's sentences, recorded as told
    developing: bool = False
    thread: int | None = None  # developing: the digest_stories id of the story's first telling
    earlier: tuple[EarlierPost, ...] = ()

    @property
    def told_sentences(self) -> tuple[str, ...]:
        return self.sentences or tuple(split_sentences(self.summary))


@dataclass
class Digest:
    """A composed digest: the stories ingested in (since, until] for one subscription."""

    subscription: Subscription
    since: datetime
    until: datetime  # becomes the subscription's last_digest_at once recorded
    stories: list[DigestStory] = field(default_factory=list)
    matched: int = 0  # new articles that matched before grouping and ranking

    @property
    def empty(self) -> bool:
        return not self.stories

    @property
    def new_stories(self) -> list[DigestStory]:
        return [story for story in self.stories if not story.developing]

    @property
    def developing_stories(self) -> list[DigestStory]:
        return [story for story in self.stories if story.developing]

    @property
    def article_ids(self) -> list[int]:
        """Every article the digest tells (all sources of every story)."""
        return [i for story in self.stories for i in story.citation.article_ids]


@dataclass
class ToldStory:
    """A story this channel was told (over one or more digests): its articles, the sentences
    it was told by, and the digests that told it."""

    thread: int | None  # the digest_stories id of its first telling (None: recorded before threads)
    story: Story
    sentences: list[str] = field(default_factory=list)
    earlier: list[EarlierPost] = field(default_factory=list)


def _posted_article_ids(store: Store, channel_id: str) -> set[int]:
    rows = store.db.execute(
        "SELECT article_id FROM posted_stories WHERE channel_id = ?", [channel_id]
    ).fetchall()
    return {row[0] for row in rows}


def _marks(values: Sequence) -> str:
    return ",".join("?" * len(values))


def told_stories(store: Store, channel_id: str, until: datetime) -> list[ToldStory]:
    """The stories told in the channel within REPEAT_WINDOW before `until`, each with all its
    tellings (also older ones): articles, sentences and digests. Stories posted before
    tellings were recorded are grouped from their articles, without sentences or links."""
    start = utc_iso(until - REPEAT_WINDOW)
    recent = store.db.execute(
        "SELECT DISTINCT COALESCE(thread_id, id) FROM digest_stories WHERE channel_id = ? AND told_at >= ?",
        [channel_id, start],
    ).fetchall()
    threads = [row[0] for row in recent]
    found: dict[int, ToldStory] = {}
    if threads:
        tellings = store.db.execute(
            "SELECT s.id, COALESCE(s.thread_id, s.id), p.local_date, p.jump_url "
            "FROM digest_stories s LEFT JOIN digest_posts p ON p.id = s.digest_post_id "
            f"WHERE s.channel_id = ? AND COALESCE(s.thread_id, s.id) IN ({_marks(threads)}) "
            "ORDER BY s.told_at, s.id",
            [channel_id, *threads],
        ).fetchall()
        thread_of = {}
        for story_id, thread, local_date, jump_url in tellings:
            thread_of[story_id] = thread
            entry = found.setdefault(thread, ToldStory(thread, Story()))
            if local_date:
                entry.earlier.append(EarlierPost(date.fromisoformat(local_date), jump_url))
        ids = list(thread_of)
        articles = store.db.execute(
            "SELECT digest_story_id, article_id FROM posted_stories "
            f"WHERE digest_story_id IN ({_marks(ids)}) ORDER BY digest_story_id, article_id",
            ids,
        ).fetchall()
        by_id = {a.id: a for a in store.get_many(row[1] for row in articles)}
        for story_id, article_id in articles:
            if article_id in by_id:
                found[thread_of[story_id]].story.articles.append(by_id[article_id])
        for story_id, text in store.db.execute(
            f"SELECT digest_story_id, text FROM posted_sentences WHERE digest_story_id IN ({_marks(ids)}) "
            "ORDER BY digest_story_id, position",
            ids,
        ).fetchall():
            found[thread_of[story_id]].sentences.append(text)
    legacy = store.db.execute(
        "SELECT article_id FROM posted_stories WHERE channel_id = ? AND posted_at >= ? "
        "AND digest_story_id IS NULL ORDER BY posted_at DESC LIMIT ?",
        [channel_id, start, REPEAT_CANDIDATES],
    ).fetchall()
    told = [t for t in found.values() if t.story.articles]  # (articles deleted since: nothing to match)
    return told + [
        ToldStory(None, story) for story in group_stories(store.get_many(row[0] for row in legacy))
    ]


def _candidates(
    store: Store,
    subscription: Subscription,
    since: datetime,
    until: datetime,
    now: datetime,
    settings: Settings,
) -> list[tuple[Article, float]]:
    """New articles for the digest with their relevance (0 without a topic).

    New = ingested in (since, until] and published at most LATE_PUBLISHED before `since`
    (a feed polled late still counts; an old page ingested today is not news).
    """
    fresh_from = since - LATE_PUBLISHED
    if subscription.topic:
        hits = search(
            store,
            subscription.topic,
            scope=subscription.guild_id,
            since=fresh_from,
            limit=CANDIDATES,
            now=now,
            settings=settings,
        )
        scored = [(hit.article, hit.score) for hit in hits]
    else:
        scored = [
            (article, 0.0)
            for article in store.ingested_since(since, subscription.guild_id, CANDIDATES)
            if (article.published_at or article.ingested_at) >= fresh_from
        ]
    return [(a, score) for a, score in scored if since < a.ingested_at <= until]


def _summary(article: Article, topic: str, settings: Settings) -> list[str]:
    """One or two sentences telling the article (extractive: fast, always from the text)."""
    passage = Passage(key=0, title=article.title, sentences=tuple(split_sentences(article.text)))
    picked = get_summarizer("extractive", settings).summarize(
        [passage], Budget(sentences=SUMMARY_SENTENCES, max_chars=SUMMARY_CHARS), topic=topic
    )
    return [p.text for p in picked]


def _update(story: Story, told: ToldStory, topic: str) -> list[str]:
    """One or two sentences of what `story` adds to the told story: the focused selection with
    everything the channel was told about it (its sentences and articles) as known."""
    passages = [Passage(0, a.title, tuple(split_sentences(a.text))) for a in story.articles]
    known = [Passage(-1, a.title, tuple(split_sentences(a.text))) for a in told.story.articles]
    known.append(Passage(-1, "", tuple(told.sentences)))
    picked = focused.select(
        passages, Budget(sentences=SUMMARY_SENTENCES, max_chars=SUMMARY_CHARS), topic, known=known
    )
    return [p.text for p in picked]


def _terms(sentence: str) -> frozenset[str]:
    return frozenset(content_terms(strip_wire(sentence)))


def _seen(sentence: str, told: Sequence[frozenset[str]]) -> bool:
    """A sentence most of whose words one told sentence already had: a repeat, or a
    near-repeat (reworded, reordered), of what the channel was told."""
    terms = _terms(sentence)
    return not terms or any(len(terms & other) / len(terms) >= NEAR_REPEAT_AT for other in told)


def compose_digest(store: Store, subscription: Subscription, now: datetime, settings: Settings) -> Digest:
    """The subscription's digest at `now`: an update on what the channel was told.

    New articles matching its topic (every new article without one) are grouped (one story,
    all its sources) and ranked. A story that continues one the channel was told (the same
    event: `stories.match_told`, on the store's article vectors) is developing: told only
    by what it adds (`_update`), with the digests that told it; one that adds nothing is
    left out. Any other story is new, told in 1–2 sentences. No sentence repeats (or nearly
    repeats) one the channel was told. Read-only: `record_digest` claims it."""
    # Whole seconds, one behind now: an article stored during this second goes in the next
    # digest rather than falling between two (the store keeps second precision).
    until = now.astimezone(UTC).replace(microsecond=0) - timedelta(seconds=1)
    since = subscription.last_digest_at or until - FIRST_DIGEST_WINDOW
    posted = _posted_article_ids(store, subscription.channel_id)
    scored = [
        (a, s) for a, s in _candidates(store, subscription, since, until, now, settings) if a.id not in posted
    ]
    relevance = {a.id: s for a, s in scored}
    told = told_stories(store, subscription.channel_id, until)
    told_terms = [_terms(sentence) for t in told for sentence in t.sentences]
    new = group_stories([a for a, _ in scored])
    ranked = []
    ids = [a.id for story in [*new, *(t.story for t in told)] for a in story.articles]
    matches = match_told(new, [t.story for t in told], vectors=article_vectors(store, ids), settings=settings)
    for story, match in zip(new, matches, strict=True):
        # The story is told (and cited first) by its most relevant, then freshest, article.
        story.articles.sort(
            key=lambda a: (relevance.get(a.id, 0.0), a.published_at or a.ingested_at), reverse=True
        )
        continued = told[match] if match is not None else None
        if continued is None:
            sentences = _summary(story.lead, subscription.topic, settings)
        else:
            sentences = _update(story, continued, subscription.topic)
        fresh = [s for s in sentences if not _seen(s, told_terms)]
        if not fresh and (continued is not None or sentences):
            continue  # nothing the channel was not told
        sentences = fresh
        newest = max(a.published_at or a.ingested_at for a in story.articles)
        sites = {site_of(a) for a in story.articles}
        score = max(relevance.get(a.id, 0.0) for a in story.articles)
        ranked.append(((score, len(sites), newest), story, sentences, continued))
    ranked.sort(key=lambda entry: entry[0], reverse=True)
    chosen = ranked[: subscription.max_stories]
    # New stories first, then developing ones, each section by rank; numbered in that order.
    chosen.sort(key=lambda entry: entry[3] is not None)
    stories = []
    for number, (key, story, sentences, continued) in enumerate(chosen, start=1):
        stories.append(
            DigestStory(
                story.citation(number),
                " ".join(sentences),
                key[0],
                tuple(sentences),
                developing=continued is not None,
                thread=continued.thread if continued else None,
                earlier=tuple(continued.earlier) if continued else (),
            )
        )
    return Digest(subscription, since, until, stories, matched=len(scored))


# -- recording (exactly once) --------------------------------------------------------


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
