"""Composing a digest: the new stories for a subscription, grouped and ranked, as updates.

New stories are told in one or two sentences; a story continuing one this channel was told
(`summarizer.briefs.stories.match_told`) is developing and told only by what it adds, with
the earlier digests that told it linked. Read-only: `summarizer.briefs.digest.claims`
records what is posted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from summarizer.briefs.digest.subscriptions import Subscription
from summarizer.briefs.stories import Story, group_stories, match_told, site_of
from summarizer.config import Settings
from summarizer.models import Article, Citation
from summarizer.sentences import split_sentences
from summarizer.store import Store, utc_iso
from summarizer.store.search import search
from summarizer.store.vectors import article_vectors
from summarizer.summaries import Budget, Passage, focused, get_summarizer
from summarizer.summaries.scoring import content_terms, strip_wire

FIRST_DIGEST_WINDOW = timedelta(hours=24)  # a first digest covers the last day
LATE_PUBLISHED = timedelta(hours=24)  # published this long before the window still counts
REPEAT_WINDOW = timedelta(days=7)  # stories posted this recently are checked for repeats
REPEAT_CANDIDATES = 200
CANDIDATES = 200  # new articles considered per digest
SUMMARY_SENTENCES = 2
SUMMARY_CHARS = 400
NEAR_REPEAT_AT = 0.6  # a sentence with this share of a told sentence's words repeats it


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
