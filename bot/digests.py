"""`/digest` commands and the scheduler that posts each channel's daily digest on time.

Commands (guild only; every command and option described):
- `/digest subscribe [topic] [time] [timezone] [max_stories] [quiet]`, `/digest unsubscribe`: need
  Manage Server. Discord ignores default permissions on subcommands (only a top-level command
  carries them, and `/digest list`/`preview` are for everyone), so the check runs at run
  time (bot.checks.require_manage_guild) and refuses with a clear ephemeral message.
- `/digest list`: the server's digests and when each runs next.
- `/digest preview`: this channel's next digest as it would look now (ephemeral; nothing
  is recorded).

A digest is an update: New stories, then Developing stories (ones this channel was told
before, told only by what they add, with a link to the digest that told them). A day with
nothing new says so in one line, or posts nothing when the subscription is `quiet: skip`
(claimed all the same, so the day is settled once).

Scheduler: a discord.ext.tasks loop every `settings.digest_check_interval` (first run at
start, which is the catch-up within `digest_grace`). Each due digest is composed in a worker
thread, rendered, and claimed in the store with its rendering BEFORE it is posted (exactly
once across restarts and racing bots: see summarizer/briefs/digest.py), posted with mentions
off, each message recorded as sent (renewing the claim's `DIGEST_LEASE`), then marked posted.
Every message carries a nonce fixed by its claim and index (discord.py sends it with
`enforce_nonce`), so a resent message that reached Discord before is not posted twice. A
digest whose process was killed while posting it is taken over, once its lease ran out, by
the process of its guild's shard, which sends the messages not yet recorded. A posting
that fails before any message went out releases the claim and is retried a little later
within the grace period; one that fails after a message keeps its claim and is finished
after the retry wait (unless the channel is gone or forbidden: then it stays as it went
out). A channel that is deleted (10003) or forbids the bot (50001, 50013) counts as a
refusal; after DIGEST_RETIRE_AFTER refusals in a row the digest is retired (logged once,
shown in `/digest list`, never retried) until someone subscribes the channel again.
A process posts the digests of the guilds on its own shards only (bot.serves_guild); the
other shards' processes post the rest.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import uuid
from datetime import date, datetime, timedelta

import discord
from discord import app_commands
from discord.ext import commands, tasks

from summarizer.briefs import digest as engine
from summarizer.errors import BriefbotError

from .app import NO_MENTIONS, BriefBot
from .checks import require_manage_guild
from .render import (
    BRIEF_COLOR,
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    TITLE_LIMIT,
    escape,
    link,
    message_batches,
    safe_url,
    split_text,
    timestamp,
    truncate,
)

log = logging.getLogger(__name__)

RETRY_AFTER_FAILURE = timedelta(minutes=10)  # a channel we could not post to waits this long
STOP_WAIT_SECONDS = 20.0  # at shutdown, how long a digest being posted may take to finish
SUMMARY_CHARS = 1500  # a story's summary in its embed (1-2 sentences are far shorter)
ALSO_SOURCES = 5  # other sources linked under a story
EARLIER_LINKS = 3  # earlier digests linked under a developing story (the latest ones)
# Discord error codes meaning the channel itself is unusable: Unknown Channel, Missing Access,
# Missing Permissions. Anything else (rate limits, outages) is retried without counting.
CHANNEL_GONE = {
    10003: "the channel was deleted",
    50001: "the bot cannot see the channel",
    50013: "the bot may not post in the channel",
}


def _earlier_line(story: engine.DigestStory) -> str:
    """'Earlier: Mon 1 Jun, Tue 2 Jun' linking the digests that told a developing story."""
    shown = [
        link(post.local_date.strftime("%a %d %b"), post.jump_url) for post in story.earlier[-EARLIER_LINKS:]
    ]
    return "Earlier: " + ", ".join(shown) if shown else ""


def _story_embed(story: engine.DigestStory) -> discord.Embed:
    """One story: its linked title, its 1-2 sentences, its source and the other sources (and,
    when developing, the earlier digests that told it)."""
    citation = story.citation
    title = truncate(f"{citation.number}. {escape(citation.title or citation.site)}", TITLE_LIMIT)
    details = [link(citation.site or "source", citation.url)]
    if citation.published_at:
        details.append(timestamp(citation.published_at))
    lines = [truncate(escape(story.summary), SUMMARY_CHARS)] if story.summary else []
    line = " · ".join(details)
    if citation.also:
        line += " · also: " + ", ".join(
            link(site or "link", url) for site, url in citation.also[:ALSO_SOURCES]
        )
    lines.append(line)
    if story.developing and story.earlier:
        lines.append(_earlier_line(story))
    return discord.Embed(
        title=title,
        description=truncate("\n".join(lines), DESCRIPTION_LIMIT),
        colour=BRIEF_COLOR,
        url=safe_url(citation.url),
    )


def digest_messages(digest: engine.Digest, local_date: date, *, preview: bool = False) -> list[dict]:
    """The digest as messages (`content`, `embeds` keyword arguments for send): a header,
    the New stories, then the Developing stories, one embed per story, batched within
    Discord's per-message limits. A digest with nothing new is one line (none at all when
    the subscription skips quiet days, except in a preview, which says so)."""
    subscription = digest.subscription
    about = f" about **{escape(subscription.topic)}**" if subscription.topic else ""
    heading = f"**Daily digest**{about} · {local_date.strftime('%A %d %B %Y')}"  # bold never nested
    if preview:
        heading = f"Preview (nothing is posted) · {heading}"
    if digest.empty:
        if subscription.quiet == "skip" and not preview:
            return []
        text = f"{heading} · No new stories since {timestamp(digest.since, 'f')}."
        if preview and subscription.quiet == "skip":
            text += " (This channel skips such days: nothing would be posted.)"
        return [{"content": truncate(text, CONTENT_LIMIT)}]
    counts = []
    for stories, word in ((digest.new_stories, "new"), (digest.developing_stories, "developing")):
        if stories:
            counts.append(f"{len(stories)} {word} stor{'y' if len(stories) == 1 else 'ies'}")
    heading += f"\n{' and '.join(counts)} since {timestamp(digest.since, 'f')}"
    messages: list[dict] = []
    for stories, title in (
        (digest.new_stories, "New stories"),
        (digest.developing_stories, "Developing stories"),
    ):
        if not stories:
            continue
        batches = message_batches([_story_embed(story) for story in stories])
        section: list[dict] = [{"embeds": batch} for batch in batches]
        section[0]["content"] = f"**{title}**"
        messages += section
    messages[0]["content"] = truncate(f"{heading}\n{messages[0]['content']}", CONTENT_LIMIT)
    return messages


def rendering_of(messages: list[dict]) -> str:
    """Digest messages (`digest_messages`) as the text a claim keeps, so that a process taking
    the claim over posts exactly these messages."""
    return json.dumps(
        [
            {
                "content": message.get("content"),
                "embeds": [embed.to_dict() for embed in message.get("embeds", [])],
            }
            for message in messages
        ]
    )


def messages_of(rendering: str) -> list[dict]:
    """The messages (`content`, `embeds` keyword arguments for send) a claim's rendering holds."""
    messages = []
    for stored in json.loads(rendering):
        message: dict = {}
        if stored["embeds"]:
            message["embeds"] = [discord.Embed.from_dict(embed) for embed in stored["embeds"]]
        if stored["content"] is not None:
            message["content"] = stored["content"]
        messages.append(message)
    return messages


def _describe(subscription: engine.Subscription, now: datetime) -> str:
    topic = f"about **{escape(subscription.topic)}**" if subscription.topic else "of all new stories"
    schedule = (
        f"<#{subscription.channel_id}>: up to {subscription.max_stories} stories {topic}, daily "
        f"at {subscription.time_of_day} {subscription.timezone}"
    )
    if subscription.quiet == "skip":
        schedule += " (nothing posted on a day with no news)"
    if subscription.retired_at is not None:
        return (
            f"{schedule}; **retired** {timestamp(subscription.retired_at, 'R')} "
            f"({escape(subscription.retired_reason)}): `/digest subscribe` there starts it again"
        )
    upcoming = engine.next_run(subscription, now)
    return f"{schedule}; next {timestamp(upcoming, 'f')} ({timestamp(upcoming, 'R')})"


class DigestCommands(app_commands.Group):
    """`/digest ...`: the group registered on the bot's tree."""

    def __init__(self, bot: BriefBot):
        super().__init__(
            name="digest", description="Daily news digests posted in this channel", guild_only=True
        )
        self.bot = bot

    @app_commands.command(name="subscribe", description="Post a daily digest in this channel (Manage Server)")
    @app_commands.describe(
        topic="Only stories about this (leave empty for every new story)",
        time="Local time of day to post, 24-hour HH:MM (default from the bot's settings)",
        timezone="Your time zone, e.g. Europe/Berlin (daylight saving is followed)",
        max_stories="At most this many stories a day (1-10)",
        quiet="A day with nothing new: say so in one line, or skip posting (default: say)",
    )
    @app_commands.choices(quiet=[app_commands.Choice(name=q, value=q) for q in engine.QUIET_CHOICES])
    @require_manage_guild("subscribe this channel to a daily digest")
    async def subscribe(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 0, 100] | None = None,
        time: app_commands.Range[str, 1, 8] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        max_stories: app_commands.Range[int, 1, engine.MAX_STORIES_LIMIT] | None = None,
        quiet: str | None = None,
    ) -> None:
        settings, now = self.bot.settings, self.bot.clock()
        try:
            subscription, created = await self.bot.in_store(
                engine.subscribe,
                str(interaction.guild_id),
                str(interaction.channel_id),
                topic,
                time,
                timezone,
                max_stories,
                created_by=str(interaction.user.id),
                now=now,
                settings=settings,
                quiet=quiet,
                quick=True,
            )
        except BriefbotError as error:
            await interaction.response.send_message(str(error), ephemeral=True, allowed_mentions=NO_MENTIONS)
            return
        verb = "Subscribed" if created else "Updated the digest:"
        await interaction.response.send_message(
            f"{verb} {_describe(subscription, now)}", allowed_mentions=NO_MENTIONS
        )

    @subscribe.autocomplete("timezone")
    async def _timezone_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=zone, value=zone)
            for zone in engine.matching_timezones(current, limit=25)
        ]

    @app_commands.command(name="unsubscribe", description="Stop this channel's daily digest (Manage Server)")
    @require_manage_guild("stop this channel's daily digest")
    async def unsubscribe(self, interaction: discord.Interaction) -> None:
        removed = await self.bot.in_store(engine.unsubscribe, str(interaction.channel_id), quick=True)
        text = (
            "This channel's daily digest is stopped."
            if removed
            else "This channel has no daily digest to stop."
        )
        await interaction.response.send_message(text, ephemeral=not removed, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="list", description="This server's daily digests and when each runs next")
    async def list_digests(self, interaction: discord.Interaction) -> None:
        now = self.bot.clock()
        found = await self.bot.in_store(engine.list_subscriptions, str(interaction.guild_id), quick=True)
        if not found:
            pages = ["No channel in this server has a daily digest. Start one with `/digest subscribe`."]
        else:  # every digest shown: pages of at most 2,000 characters, never cut silently
            pages = split_text("\n".join(f"• {_describe(s, now)}" for s in found), CONTENT_LIMIT)
        await interaction.response.send_message(pages[0], ephemeral=True, allowed_mentions=NO_MENTIONS)
        for page in pages[1:]:
            await interaction.followup.send(page, ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(
        name="preview", description="See this channel's digest as it would be now (only you see it)"
    )
    async def preview(self, interaction: discord.Interaction) -> None:
        subscription = await self.bot.in_store(
            engine.get_subscription, str(interaction.channel_id), quick=True
        )
        if subscription is None:
            await interaction.response.send_message(
                "This channel has no daily digest yet: a member with Manage Server can start "
                "one with `/digest subscribe`.",
                ephemeral=True,
                allowed_mentions=NO_MENTIONS,
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock()
        digest = await self.bot.in_store(engine.compose_digest, subscription, now, self.bot.settings)
        local_date = now.astimezone(subscription.zone).date()
        for message in digest_messages(digest, local_date, preview=True):
            await interaction.followup.send(**message, ephemeral=True, allowed_mentions=NO_MENTIONS)


class DigestScheduler(commands.Cog):
    """Posts due digests: a tasks.loop that runs at start and every check interval."""

    def __init__(self, bot: BriefBot):
        self.bot = bot
        self._held: dict[tuple[int, date], datetime] = {}  # failed posts wait before a retry
        self._busy = asyncio.Lock()  # held while a tick runs
        # Who holds the claims this process makes (a digest's lease names it).
        self.owner = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        interval = bot.settings.digest_check_interval_delta.total_seconds()
        self.loop = tasks.loop(seconds=max(interval, 0.05))(self.tick)
        self.loop.before_loop(self.bot.wait_until_ready)

    async def cog_load(self) -> None:
        self.loop.start()

    async def cog_unload(self) -> None:
        """Stop the loop, letting a digest being posted finish (bounded) so it gets recorded."""
        try:
            async with asyncio.timeout(STOP_WAIT_SECONDS):
                await self._busy.acquire()
        except TimeoutError:
            log.warning("stopping while a digest is being posted; its rest follows after its lease")
        self.loop.cancel()

    async def tick(self) -> None:
        """Post every digest due now; one failing digest never stops the others or the loop."""
        async with self._busy:
            await self._post_due()

    async def _post_due(self) -> None:
        now = self.bot.clock()
        grace = self.bot.settings.digest_grace_delta
        try:
            due = await self.bot.in_store(engine.due_digests, now, grace, background=True)
        except Exception:
            log.exception("could not read due digests")
            return
        self._held = {key: until for key, until in self._held.items() if until > now}
        try:
            stalled = await self.bot.in_store(engine.stalled_digests, now, background=True)
        except Exception:
            log.exception("could not read stalled digests")
            stalled = []
        for subscription, claim in stalled:
            if not self.bot.serves_guild(subscription.guild_id):
                continue  # another shard's process takes it over
            if (subscription.id, claim.local_date) in self._held:
                continue
            try:
                await self.resume(subscription, claim, now)
            except Exception:
                log.exception("taking over the digest for channel %s failed", subscription.channel_id)
        for subscription, local_date in due:
            if not self.bot.serves_guild(subscription.guild_id):
                continue  # another shard's process posts it
            key = (subscription.id, local_date)
            if key in self._held:
                continue
            try:
                await self.post(subscription, local_date, now)
            except Exception:
                log.exception("digest for channel %s failed", subscription.channel_id)

    async def post(self, subscription: engine.Subscription, local_date: date, now: datetime) -> bool:
        """Compose, claim, post and settle one digest. True when it was posted by this call."""
        bot, settings = self.bot, self.bot.settings
        digest = await bot.in_store(engine.compose_digest, subscription, now, settings, background=True)
        claimed = await bot.in_store(
            engine.record_digest,
            subscription,
            local_date,
            digest,
            now,
            owner=self.owner,
            lease=settings.digest_lease_delta,
            rendering=rendering_of(digest_messages(digest, local_date)),
            background=True,
        )
        if not claimed:
            return False
        claim = await bot.in_store(engine.claim_of, subscription.id, local_date, background=True)
        if claim is None:
            return False  # unsubscribed meanwhile
        if not await self._deliver(subscription, claim, now):
            return False
        log.info(
            "posted the %s digest to channel %s (%d new, %d developing stories%s)",
            local_date,
            subscription.channel_id,
            len(digest.new_stories),
            len(digest.developing_stories),
            "" if claim.rendering != "[]" else "; nothing new, so no message",
        )
        return True

    async def resume(self, subscription: engine.Subscription, stalled: engine.Claim, now: datetime) -> bool:
        """Take over a digest whose process died while posting it (its lease ran out) and post
        what it had not sent, the same messages with the same nonces. Past the grace period
        with nothing sent, release it instead (its stories go in the next digest). True when
        this call finished posting it."""
        bot, settings = self.bot, self.bot.settings
        claim = await bot.in_store(
            engine.take_over_digest, stalled.id, self.owner, now, settings.digest_lease_delta, background=True
        )
        if claim is None:
            return False  # another process took it first
        late = now - engine.scheduled_at(subscription, claim.local_date) > settings.digest_grace_delta
        if late and claim.messages_sent == 0:
            await bot.in_store(engine.release_digest, subscription.id, claim.local_date, background=True)
            log.info(
                "released the %s digest of channel %s, claimed by %s and never posted: its stories "
                "go in the next digest",
                claim.local_date,
                subscription.channel_id,
                stalled.claimed_by,
            )
            return False
        if not await self._deliver(subscription, claim, now):
            return False
        log.info(
            "posted the %s digest to channel %s, taken over from %s after %d of its messages",
            claim.local_date,
            subscription.channel_id,
            stalled.claimed_by,
            claim.messages_sent,
        )
        return True

    async def _deliver(self, subscription: engine.Subscription, claim: engine.Claim, now: datetime) -> bool:
        """Send the claim's messages not yet recorded as sent, each with its own nonce (Discord
        returns a message it already has rather than posting it twice), recording each, then
        mark the digest posted. False when it was not (all) posted: released when nothing went
        out; when part went out, kept and finished after the retry wait, or settled as it is
        when the channel is gone or forbids the bot (a refusal, as for a first message)."""
        bot, settings = self.bot, self.bot.settings
        local_date = claim.local_date
        messages = messages_of(claim.rendering or "[]")
        channel = bot.get_partial_messageable(
            int(subscription.channel_id), guild_id=int(subscription.guild_id)
        )
        jump_url = claim.jump_url
        for index in range(claim.messages_sent, len(messages)):
            try:
                posted = await channel.send(
                    **messages[index], nonce=claim.nonce(index), allowed_mentions=NO_MENTIONS
                )
            except (discord.HTTPException, OSError) as error:
                self._held[(subscription.id, local_date)] = now + RETRY_AFTER_FAILURE
                if index > 0 and await self._refused(subscription, error, now):
                    # The channel is gone or forbidden: the rest cannot follow; settle it as is.
                    await bot.in_store(
                        engine.mark_posted,
                        subscription.id,
                        local_date,
                        bot.clock(),
                        jump_url,
                        background=True,
                    )
                    return False
                if index > 0:
                    log.warning(
                        "digest to channel %s only partly posted (%d of %d messages): %s; the rest "
                        "follows after the retry wait",
                        subscription.channel_id,
                        index,
                        len(messages),
                        error,
                    )
                    return False
                await bot.in_store(engine.release_digest, subscription.id, local_date, background=True)
                if await self._refused(subscription, error, now):
                    return False
                log.warning(
                    "could not post the digest to channel %s (%s); retrying later",
                    subscription.channel_id,
                    error,
                )
                return False
            jump_url = jump_url or posted.jump_url
            kept = await bot.in_store(
                engine.message_sent,
                claim.id,
                self.owner,
                index,
                bot.clock(),
                settings.digest_lease_delta,
                posted.jump_url,
                background=True,
            )
            if not kept:
                log.warning(
                    "lost the %s digest of channel %s to another process after %d messages",
                    local_date,
                    subscription.channel_id,
                    index + 1,
                )
                return False
        await bot.in_store(
            engine.mark_posted, subscription.id, local_date, bot.clock(), jump_url, background=True
        )
        if subscription.post_failures:
            await bot.in_store(engine.clear_post_failures, subscription.id, background=True)
        return True

    async def _refused(self, subscription: engine.Subscription, error: BaseException, now: datetime) -> bool:
        """Count a post refused because the channel is gone or forbidden, retiring the digest
        after DIGEST_RETIRE_AFTER in a row (logged once). False for any other failure."""
        code = getattr(error, "code", None)
        if code not in CHANNEL_GONE:
            return False
        retired = await self.bot.in_store(
            engine.record_post_failure,
            subscription.id,
            CHANNEL_GONE[code],
            now,
            self.bot.settings.digest_retire_after,
            background=True,
        )
        if retired:
            log.warning(
                "retired the digest of channel %s: %s (%d posts refused in a row)",
                subscription.channel_id,
                CHANNEL_GONE[code],
                self.bot.settings.digest_retire_after,
            )
        else:
            log.info(
                "the digest of channel %s was refused: %s; retrying later",
                subscription.channel_id,
                CHANNEL_GONE[code],
            )
        return True


async def setup(bot: BriefBot) -> None:
    """discord.py extension entry point: register `/digest` and start the scheduler."""
    bot.tree.add_command(DigestCommands(bot))
    await bot.add_cog(DigestScheduler(bot))
