"""A Discord double for tests: real HTTP (REST under /api/v10) and a real gateway WebSocket
on 127.0.0.1, that the real discord.py client logs into.

Why hand-written: no library simulates Discord's interaction flow and limits; this one is
built from Discord's documented behaviour (see ../shared/docs/discord-wire-notes.md).

What it enforces (answering as Discord does):
- `Authorization: Bot <token>` on REST (401 code 0 otherwise); IDENTIFY with the same token
  (close 4004 otherwise); privileged intents refused unless allowed (close 4014).
- Message limits (content 2,000; 10 embeds; 6,000 characters over all embeds; embed title
  256, description 4,096, 25 fields, field name 256 / value 1,024, footer 2,048, author 256;
  http(s) embed URLs; 5 action rows of 5 buttons, custom_id 1-100, label 80; an empty
  message) -> 400 code 50035 (50006 for an empty message).
- Application commands (name 1-32 lower case, description 1-100, 25 options, 25 choices,
  required options before optional ones) -> 400 code 50035.
- Interactions: the first response later than 3 s after INTERACTION_CREATE -> 404 code 10062;
  a second initial response -> 400 code 40060; follow-ups and edits only after the first
  response and for 15 minutes (401 code 50027 afterwards); autocomplete answers with at most
  25 choices (names 1-100, string values 100).
- 429 on demand: `rate_limit("POST /channels/{channel_id}/messages", times=1)` answers the
  next N calls of that route with 429, a `Via` header and JSON `retry_after`.
- Message nonces: a nonce longer than 25 characters -> 400 code 50035; with `enforce_nonce`,
  a channel message whose nonce the same author used in the same channel within
  NONCE_WINDOW is not posted again: the earlier message is returned (`nonce_hits` counts
  these), as Discord documents for enforce_nonce.
- A post held on demand: `hold_post(channel_id, nth=1, created=True)` holds the nth next
  message posted to a channel, after creating it (the poster never hears back: a process
  killed then did reach Discord) or before (`created=False`: it never did, and is dropped
  if its poster is gone when released); `held` lists the posts held so far,
  `release_posts()` lets them finish. `refuse_post(channel_id, nth=1, status=403, code=50013)`
  answers the nth next message posted to a channel with that error (default Missing
  Permissions; 503 is an outage discord.py does not retry), creating nothing.

What it records: `calls` (every REST call, with its JSON body and the status answered),
`gateway_log` (every gateway frame both ways), `messages` (every message as it now looks),
`commands` (the synced command schema, per scope).

Usage (inside an async test; tests import it as `from discord_double import ...`, like
http_server):

    async with DiscordDouble() as double:
        settings = bot_settings(settings, double)    # token, DISCORD_API_BASE, GATEWAY_URL
        async with running_bot(settings, clock=None) as bot:   # the real bot, ready
            ix = await double.slash("brief", {"topic": "energy"})
            message = await ix.wait_original(lambda m: m.embeds)
            ix2 = await double.click(message, "brief:longer")
            ...
        double.drop_gateway()      # the client RESUMEs (double.resumes counts them)

Shards (discord.py's AutoShardedClient): `DiscordDouble(guilds={guild: channels, ...},
shard_count=2)` serves several guilds; IDENTIFY with `shard: [id, count]` gets READY and
GUILD_CREATE for that shard's guilds only (`shard_of`, Discord's `(guild_id >> 22) % count`);
several gateway connections (one per shard, from one or several processes) are up at once,
and each dispatch goes to the shard of its guild (DMs to shard 0). `GET /gateway/bot`
recommends `shard_count` shards. A shard id outside its count is closed with 4010.

`double.advance(seconds)` moves the double's clock (interaction deadlines and token
lifetimes) without waiting. Every wait is bounded; the double stops by itself after
`max_lifetime` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from summarizer.config import Settings
from summarizer.embeddings import model_cache_dir

API_PREFIX = "/api/v10"
INITIAL_RESPONSE_DEADLINE = 3.0  # seconds, Discord's documented limit
TOKEN_LIFETIME = 15 * 60.0  # seconds an interaction token stays valid for follow-ups
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content
NONCE_WINDOW = 5 * 60.0  # seconds Discord remembers a message nonce ("a few minutes")
NONCE_LIMIT = 25  # characters
EPHEMERAL = 1 << 6
LOADING = 1 << 7

MANAGE_GUILD = 1 << 5
# What an ordinary member may do: view channels, send messages, embed links, use commands.
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 31)

_COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")


class Rejected(Exception):
    """A request Discord would refuse: HTTP status, Discord error code, message."""

    def __init__(self, status: int, code: int, message: str, errors: dict | None = None):
        super().__init__(f"{status} {code} {message} {errors or ''}")
        self.status, self.code, self.message, self.errors = status, code, message, errors or {}


def _invalid(path: str, problem: str) -> Rejected:
    return Rejected(400, 50035, "Invalid Form Body", {path: problem})


def shard_of(guild_id: str | int, shard_count: int) -> int:
    """The shard a guild belongs to, as Discord assigns it."""
    return (int(guild_id) >> 22) % shard_count


@dataclass
class GatewaySession:
    """One shard's gateway session: its connection (None while disconnected) and the
    dispatches sent in it (replayed on RESUME)."""

    shard_id: int
    shard_count: int
    session_id: str
    ws: web.WebSocketResponse | None = None
    sequence: int = 0
    sent_events: list[dict] = field(default_factory=list)

    def serves(self, guild_id: str) -> bool:
        return shard_of(guild_id, self.shard_count) == self.shard_id


@dataclass
class Call:
    """One REST call as the double saw it and answered it."""

    method: str
    path: str  # without the /api/v10 prefix
    route: str  # the route template, e.g. "POST /channels/{channel_id}/messages"
    query: dict[str, str]
    body: Any
    status: int = 0
    answer: Any = None
    at: float = 0.0

    @property
    def error_code(self) -> int | None:
        return self.answer.get("code") if isinstance(self.answer, dict) and self.status >= 400 else None


@dataclass
class Message:
    """A message as it now looks on the double's Discord."""

    id: str
    channel_id: str
    content: str = ""
    embeds: list[dict] = field(default_factory=list)
    components: list[dict] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: Any = None
    interaction_id: str | None = None
    edits: int = 0
    nonce: str | None = None
    created_at: float = 0.0  # on the double's clock

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(self.flags & LOADING)

    @property
    def custom_ids(self) -> list[str]:
        """custom_id of every component on the message, in order."""
        return [c.get("custom_id", "") for row in self.components for c in row.get("components", [])]

    def custom_id_of(self, label: str) -> str:
        """The custom_id of the button labelled `label` (LookupError when there is none)."""
        for row in self.components:
            for component in row.get("components", []):
                if component.get("label") == label:
                    return component.get("custom_id", "")
        raise LookupError(f"no button {label!r} on the message (has {self.custom_ids})")

    def button(self, custom_id: str) -> dict | None:
        for row in self.components:
            for component in row.get("components", []):
                if component.get("custom_id") == custom_id:
                    return component
        return None

    def text(self) -> str:
        """All visible text: content, embed titles, descriptions, fields and footers."""
        parts = [self.content]
        for embed in self.embeds:
            parts += [embed.get("title", ""), embed.get("description", "")]
            for f in embed.get("fields", []):
                parts += [f.get("name", ""), f.get("value", "")]
            parts.append((embed.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)


@dataclass
class HeldPost:
    """A channel post held by `hold_post`: its channel and, when created, its message."""

    channel_id: str
    message: Message | None


@dataclass
class Interaction:
    """An interaction the double sent to the bot, and what the bot answered."""

    double: DiscordDouble
    id: str
    token: str
    type: int
    payload: dict
    created: float
    response_type: int | None = None
    response: dict | None = None
    original_id: str | None = None  # the message the interaction's token edits as @original
    followups: list[str] = field(default_factory=list)
    responded: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def original(self) -> Message | None:
        return self.double.messages.get(self.original_id) if self.original_id else None

    @property
    def choices(self) -> list[dict]:
        """Autocomplete choices answered (type 8)."""
        return (self.response or {}).get("data", {}).get("choices", [])

    def calls(self) -> list[Call]:
        """REST calls made with this interaction's id or token."""
        return [c for c in self.double.calls if self.token in c.path or f"/{self.id}/" in c.path]

    async def wait_response(self, timeout: float = 10.0) -> dict:
        """The bot's first response (the callback body); raises TimeoutError when none came."""
        await asyncio.wait_for(self.responded.wait(), timeout)
        assert self.response is not None  # set before `responded`
        return self.response

    async def wait_original(
        self, predicate: Callable[[Message], Any] = lambda m: not m.loading, timeout: float = 20.0
    ) -> Message:
        """Wait until the original message exists and `predicate(message)` holds."""

        def check() -> Message | None:
            message = self.original
            return message if message is not None and predicate(message) else None

        return await self.double.wait_for(check, timeout)

    async def wait_followups(self, count: int, timeout: float = 20.0) -> list[Message]:
        """Wait until `count` follow-up messages were sent (a first follow-up after a defer
        fills the original message and counts)."""
        await self.double.wait_for(lambda: len(self.followups) >= count or None, timeout)
        return [self.double.messages[mid] for mid in self.followups]


class DiscordDouble:
    """Discord's REST API and gateway on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self,
        *,
        token: str = "test-token.double.0123456789",
        guild_id: str = "100000000000000001",
        channel_ids: tuple[str, ...] = ("200000000000000001", "200000000000000002"),
        guilds: dict[str, tuple[str, ...]] | None = None,
        shard_count: int = 1,
        allowed_intents: int = 0,
        max_lifetime: float = 180.0,
        heartbeat_interval_ms: int = 41250,
    ):
        self.token = token
        # guild id -> its channel ids; the first guild is `guild_id` (commands' default guild)
        self.guilds = dict(guilds) if guilds else {guild_id: channel_ids}
        self.guild_id = next(iter(self.guilds))
        self.channel_ids = self.guilds[self.guild_id]
        self.shard_count = shard_count  # what GET /gateway/bot recommends
        self.application_id = "300000000000000001"
        self.bot_user = {
            "id": self.application_id,
            "username": "briefbot",
            "discriminator": "0",
            "global_name": None,
            "avatar": None,
            "bot": True,
        }
        self.allowed_intents = allowed_intents
        self.max_lifetime = max_lifetime
        self.heartbeat_interval_ms = heartbeat_interval_ms

        self.calls: list[Call] = []
        self.gateway_log: list[tuple[str, dict]] = []  # ("in"|"out", frame)
        self.messages: dict[str, Message] = {}
        self.commands: dict[str, list[dict]] = {}  # "global" or a guild id -> synced commands
        self.interactions: dict[str, Interaction] = {}
        self.identifies = 0
        self.resumes = 0
        self.identify_payloads: list[dict] = []

        self._ids = itertools.count(400000000000000001)
        self._clock_offset = 0.0
        self._rate_limits: dict[str, list] = {}  # route -> [times left, retry_after]
        self.nonce_hits: list[Message] = []  # earlier messages returned for a repeated nonce
        self.held: list[HeldPost] = []  # channel posts held so far (hold_post)
        self._holds: dict[str, list] = {}  # channel id -> [posts to let through first, created]
        self._refusals: dict[str, list] = {}  # channel id -> [posts to let through, status, code]
        self._release = asyncio.Event()
        self.sessions: dict[int, GatewaySession] = {}  # shard id -> its latest session
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._watchdog: asyncio.Task | None = None
        self._port = 0

    # -- lifecycle ------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def api_base(self) -> str:
        """What DISCORD_API_BASE should be."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """What DISCORD_GATEWAY_URL should be."""
        return f"ws://127.0.0.1:{self._port}/gateway"

    async def start(self) -> DiscordDouble:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self._watchdog = asyncio.get_running_loop().create_task(self._stop_later())
        return self

    async def _stop_later(self) -> None:
        await asyncio.sleep(self.max_lifetime)
        await self.stop()

    @property
    def _ws(self) -> web.WebSocketResponse | None:
        """Shard 0's connection (the only one of an unsharded bot)."""
        session = self.sessions.get(0)
        return session.ws if session else None

    def connected_shards(self) -> list[int]:
        """Shard ids with a gateway connection up now."""
        return sorted(i for i, s in self.sessions.items() if s.ws is not None and not s.ws.closed)

    def guilds_of_shard(self, shard_id: int, shard_count: int) -> list[str]:
        return [guild for guild in self.guilds if shard_of(guild, shard_count) == shard_id]

    def guild_of_channel(self, channel_id: str) -> str | None:
        return next((g for g, channels in self.guilds.items() if channel_id in channels), None)

    async def stop(self) -> None:
        """Close the gateway connections and the HTTP server (idempotent)."""
        self._release.set()
        for session in list(self.sessions.values()):
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=1001)
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        if self._watchdog is not None and self._watchdog is not asyncio.current_task():
            self._watchdog.cancel()

    async def __aenter__(self) -> DiscordDouble:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    # -- clock and waiting ------------------------------------------------------------

    def now(self) -> float:
        """The double's clock (monotonic seconds, plus what `advance` added)."""
        return time.monotonic() + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass for deadlines and token lifetimes, without waiting."""
        self._clock_offset += seconds

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, check: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Wait until `check()` returns something truthy (re-checked on every change)."""

        async def loop() -> Any:
            async with self._changed:
                while True:
                    result = check()
                    if result:
                        return result
                    await self._changed.wait()

        return await asyncio.wait_for(loop(), timeout)

    # -- test controls ------------------------------------------------------------------

    def rate_limit(self, route: str, times: int = 1, retry_after: float = 0.2) -> None:
        """Answer the next `times` calls of `route` ("POST /channels/{channel_id}/messages")
        with 429, as Discord does (Via header, JSON retry_after)."""
        self._rate_limits[route] = [times, retry_after]

    def hold_post(self, channel_id: str, nth: int = 1, created: bool = True) -> None:
        """Hold the `nth` next message posted to `channel_id` without answering it until
        `release_posts`: created first (`created`: the message is on Discord, its poster
        never hears so), or not (it is created only if released)."""
        self._holds[channel_id] = [nth - 1, created]

    def refuse_post(self, channel_id: str, nth: int = 1, status: int = 403, code: int = 50013) -> None:
        """Refuse the `nth` next message posted to `channel_id` with `status` and `code`, once."""
        self._refusals[channel_id] = [nth - 1, status, code]

    def release_posts(self) -> None:
        """Let every post held so far finish (a later hold waits for a later release)."""
        self._release.set()
        self._release = asyncio.Event()

    async def drop_gateway(self, code: int = 4000, shard_id: int = 0) -> None:
        """Close a shard's gateway connection (code 4000, 'unknown error'): the client should
        reconnect to READY's resume_gateway_url and RESUME."""
        session = self.sessions.get(shard_id)
        if session is not None and session.ws is not None:
            await session.ws.close(code=code)

    def calls_to(self, route: str) -> list[Call]:
        """Recorded calls of one route template, e.g. 'PUT /applications/{app}/commands'."""
        return [c for c in self.calls if c.route == route]

    def channel_messages(self, channel_id: str) -> list[Message]:
        """Messages posted in a channel (not interaction replies), oldest first."""
        return [m for m in self.messages.values() if m.channel_id == channel_id and not m.interaction_id]

    def message_calls(self) -> list[Call]:
        """Successful calls that created or edited a message (and so carry message data)."""
        out = []
        for call in self.calls:
            if call.status >= 300 or not isinstance(call.body, dict):
                continue
            if call.route.startswith("POST /interactions"):
                if call.body.get("type") in (4, 7):
                    out.append(call)
            elif "messages" in call.route or call.route.startswith("POST /webhooks"):
                out.append(call)
        return out

    # -- interactions the test injects --------------------------------------------------

    def member(self, *, manage_guild: bool = False, user_id: str = "500000000000000001") -> dict:
        """A guild member payload: an ordinary member, or one with Manage Server."""
        permissions = MEMBER_PERMISSIONS | (MANAGE_GUILD if manage_guild else 0)
        return {
            "user": {
                "id": user_id,
                "username": f"user{user_id[-3:]}",
                "discriminator": "0",
                "global_name": None,
                "avatar": None,
            },
            "roles": [],
            "permissions": str(permissions),
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
        }

    def _find_command(self, name: str, guild_id: str | None) -> dict:
        scopes = ([guild_id] if guild_id else []) + ["global"]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return command
        raise LookupError(f"/{name} was not synced (synced: {self.command_names()})")

    def command_names(self) -> list[str]:
        return sorted({c["name"] for cmds in self.commands.values() for c in cmds})

    def _build_options(self, schema: list[dict], values: dict, focused: str | None) -> list[dict]:
        by_name = {o["name"]: o for o in schema}
        unknown = set(values) - set(by_name)
        if unknown:
            raise LookupError(f"unknown options {sorted(unknown)}; the command has {sorted(by_name)}")
        missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
        if missing and focused is None:
            raise LookupError(f"required options missing: {missing}")
        options = []
        for name, value in values.items():
            option = by_name[name]
            kind = option["type"]
            if option.get("choices") and name != focused:
                allowed = [c["value"] for c in option["choices"]]
                if value not in allowed:
                    raise LookupError(f"{name}={value!r} is not one of the choices {allowed}")
            if kind == 4 and name != focused:
                low, high = option.get("min_value"), option.get("max_value")
                if (low is not None and value < low) or (high is not None and value > high):
                    raise LookupError(f"{name}={value} is outside {low}..{high}")
            if kind in (6, 7, 8):
                value = str(value)
            entry = {"name": name, "type": kind, "value": value}
            if name == focused:
                entry["focused"] = True
            options.append(entry)
        return options

    def _command_data(self, path: str, values: dict, guild_id: str | None, focused: str | None) -> dict:
        names = path.split()
        command = self._find_command(names[0], guild_id)
        data = {"id": command["id"], "name": command["name"], "type": 1}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        schema, holder = command.get("options", []), data
        for sub in names[1:]:
            match = next((o for o in schema if o["name"] == sub and o["type"] in (1, 2)), None)
            if match is None:
                raise LookupError(f"/{path}: no subcommand {sub!r}")
            entry = {"name": sub, "type": match["type"], "options": []}
            holder["options"] = [entry]
            holder, schema = entry, match.get("options", [])
        holder["options"] = self._build_options(schema, values, focused)
        return data

    def _channel(self, channel_id: str, guild_id: str | None) -> dict:
        if guild_id is None:
            return {"id": channel_id, "type": 1, "recipients": []}
        return {
            "id": channel_id,
            "type": 0,
            "name": f"news-{channel_id[-1]}",
            "position": 0,
            "guild_id": guild_id,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        }

    async def _inject(
        self,
        kind: int,
        data: dict,
        *,
        member: dict | None,
        guild_id: str | None,
        channel_id: str | None,
        message: Message | None = None,
    ) -> Interaction:
        interaction_id = str(next(self._ids))
        token = f"itoken-{interaction_id}-" + "x" * 40
        channel_id = channel_id or self.guilds.get(guild_id or "", self.channel_ids)[0]
        payload: dict[str, Any] = {
            "id": interaction_id,
            "application_id": self.application_id,
            "type": kind,
            "token": token,
            "version": 1,
            "data": data,
            "channel_id": channel_id,
            "channel": self._channel(channel_id, guild_id),
            "locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 8 * 1024 * 1024,
            "authorizing_integration_owners": {"0": guild_id} if guild_id else {"1": "500000000000000001"},
            "app_permissions": str(MEMBER_PERMISSIONS),
            "context": 0 if guild_id else 1,
        }
        if guild_id:
            payload["guild_id"] = guild_id
            payload["guild_locale"] = "en-US"
            payload["guild"] = {"id": guild_id, "locale": "en-US", "features": []}
            payload["member"] = member or self.member()
        else:
            payload["user"] = (member or self.member())["user"]
        if message is not None:
            payload["message"] = self._message_payload(message)
        record = Interaction(self, interaction_id, token, kind, payload, created=self.now())
        if message is not None:
            record.original_id = message.id
        self.interactions[interaction_id] = record
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    async def slash(
        self,
        path: str,
        options: dict | None = None,
        *,
        member: dict | None = None,
        guild_id: str | None = "",
        channel_id: str | None = None,
    ) -> Interaction:
        """Invoke a synced slash command, e.g. slash("sources add", {"url": ...}).
        guild_id "" means the double's guild; None means a DM."""
        guild_id = self.guild_id if guild_id == "" else guild_id
        data = self._command_data(path, options or {}, guild_id, focused=None)
        return await self._inject(2, data, member=member, guild_id=guild_id, channel_id=channel_id)

    async def autocomplete(
        self,
        path: str,
        options: dict,
        focused: str,
        *,
        member: dict | None = None,
        guild_id: str | None = "",
    ) -> Interaction:
        """Send an autocomplete interaction while the user types into option `focused`."""
        guild_id = self.guild_id if guild_id == "" else guild_id
        data = self._command_data(path, options, guild_id, focused=focused)
        return await self._inject(4, data, member=member, guild_id=guild_id, channel_id=None)

    async def click(
        self, message: Message, custom_id: str, *, member: dict | None = None, guild_id: str | None = ""
    ) -> Interaction:
        """Click the button `custom_id` on `message` (it must be there and enabled)."""
        button = message.button(custom_id)
        if button is None:
            raise LookupError(f"no component {custom_id!r} on the message (has {message.custom_ids})")
        if button.get("disabled"):
            raise LookupError(f"button {custom_id!r} is disabled")
        guild_id = self.guild_id if guild_id == "" else guild_id
        data = {"custom_id": custom_id, "component_type": button.get("type", 2)}
        return await self._inject(
            3, data, member=member, guild_id=guild_id, channel_id=message.channel_id, message=message
        )

    async def press(
        self, message: Message, label: str, *, member: dict | None = None, guild_id: str | None = ""
    ) -> Interaction:
        """Click the button labelled `label` on `message` (as it looks now)."""
        return await self.click(message, message.custom_id_of(label), member=member, guild_id=guild_id)

    # -- gateway ----------------------------------------------------------------------------

    def _guild_payload(self, guild_id: str) -> dict:
        return {
            "id": guild_id,
            "name": "Briefing Room" if guild_id == self.guild_id else f"Room {guild_id[-4:]}",
            "icon": None,
            "owner_id": "500000000000000009",
            "region": None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [
                {
                    "id": guild_id,
                    "name": "@everyone",
                    "color": 0,
                    "hoist": False,
                    "position": 0,
                    "permissions": str(MEMBER_PERMISSIONS),
                    "managed": False,
                    "mentionable": False,
                }
            ],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": None,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": "2026-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": 3,
            "voice_states": [],
            "members": [],
            "channels": [self._channel(cid, guild_id) for cid in self.guilds[guild_id]],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
        }

    async def _send(self, ws: web.WebSocketResponse, frame: dict) -> None:
        self.gateway_log.append(("out", frame))
        await ws.send_str(json.dumps(frame))

    def _session_for(self, data: dict) -> GatewaySession | None:
        """The session an event goes to: its guild's shard, or shard 0 (DMs)."""
        guild_id = data.get("guild_id") if isinstance(data, dict) else None
        for session in self.sessions.values():
            if session.serves(guild_id) if guild_id else session.shard_id == 0:
                return session
        return None

    async def dispatch(self, event: str, data: dict, session: GatewaySession | None = None) -> None:
        """Send a gateway dispatch (op 0) to the shard of its guild (or `session`); kept for
        RESUME when that shard's connection is down."""
        session = session or self._session_for(data)
        if session is None:
            return  # no shard of this guild ever connected: Discord would not deliver it
        session.sequence += 1
        frame = {"op": 0, "t": event, "s": session.sequence, "d": data}
        session.sent_events.append(frame)
        ws = session.ws
        if ws is not None and not ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await self._send(ws, frame)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        await self._send(
            ws, {"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
        )
        try:
            async for raw in ws:
                if raw.type != WSMsgType.TEXT:
                    break
                frame = json.loads(raw.data)
                self.gateway_log.append(("in", frame))
                await self._on_frame(ws, frame)
        finally:
            for session in self.sessions.values():
                if session.ws is ws:
                    session.ws = None
            await self._notify()
        return ws

    async def _take_over(self, session: GatewaySession, ws: web.WebSocketResponse) -> None:
        """`ws` now carries `session`: an older connection of the same shard is closed."""
        if session.ws is not None and session.ws is not ws and not session.ws.closed:
            await session.ws.close(code=4000)
        session.ws = ws

    async def _on_frame(self, ws: web.WebSocketResponse, frame: dict) -> None:
        op = frame.get("op")
        data: Any = frame.get("d")  # whatever JSON the op carries
        if op == 1:
            await self._send(ws, {"op": 11, "s": None, "t": None, "d": None})
        elif op == 2:
            if data.get("token") != self.token:
                await ws.close(code=4004, message=b"Authentication failed.")
                return
            if data.get("intents", 0) & PRIVILEGED_INTENTS & ~self.allowed_intents:
                await ws.close(code=4014, message=b"Disallowed intent(s).")
                return
            shard_id, shard_count = data.get("shard") or (0, 1)
            if not 0 <= shard_id < shard_count:
                await ws.close(code=4010, message=b"Invalid shard.")
                return
            self.identifies += 1
            self.identify_payloads.append(data)
            previous = self.sessions.get(shard_id)
            session = GatewaySession(shard_id, shard_count, f"session-{self.identifies}")
            if previous is not None and previous.ws is not None and previous.ws is not ws:
                await previous.ws.close(code=4000)
            session.ws = ws
            self.sessions[shard_id] = session
            guilds = self.guilds_of_shard(shard_id, shard_count)
            await self.dispatch(
                "READY",
                {
                    "v": 10,
                    "user": self.bot_user,
                    "guilds": [{"id": guild, "unavailable": True} for guild in guilds],
                    "session_id": session.session_id,
                    "resume_gateway_url": self.gateway_url + "?resume=1",
                    "application": {"id": self.application_id, "flags": 0},
                    "private_channels": [],
                    "relationships": [],
                    "shard": [shard_id, shard_count],
                },
                session,
            )
            for guild in guilds:
                await self.dispatch("GUILD_CREATE", self._guild_payload(guild), session)
        elif op == 6:
            resumed = next(
                (s for s in self.sessions.values() if s.session_id == data.get("session_id")), None
            )
            if data.get("token") != self.token or resumed is None:
                await self._send(ws, {"op": 9, "s": None, "t": None, "d": False})
                return
            self.resumes += 1
            await self._take_over(resumed, ws)
            for missed in [e for e in resumed.sent_events if e["s"] > (data.get("seq") or 0)]:
                await self._send(ws, missed)
            resumed.sequence += 1
            await self._send(ws, {"op": 0, "t": "RESUMED", "s": resumed.sequence, "d": {}})
        await self._notify()

    # -- REST ----------------------------------------------------------------------------------

    def _check_auth(self, request: web.Request, path: str) -> None:
        if path.startswith(("/interactions/", "/webhooks/")):
            return  # authorised by the interaction token in the path
        if request.headers.get("Authorization") != f"Bot {self.token}":
            raise Rejected(401, 0, "401: Unauthorized")

    async def _read_body(self, request: web.Request) -> Any:
        if not request.can_read_body:
            return None
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            payload = form.get("payload_json")
            if payload is None:
                return {}
            assert not isinstance(payload, web.FileField), "payload_json must be a form field"
            return json.loads(payload)
        text = await request.text()
        return json.loads(text) if text else None

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body = await self._read_body(request)
        route, params, handler = self._route(request.method, path)
        call = Call(request.method, path, route, dict(request.query), body, at=self.now())
        self.calls.append(call)
        headers = {}
        try:
            limit = self._rate_limits.get(route)
            if limit and limit[0] > 0:
                limit[0] -= 1
                headers = {
                    "Via": "1.1 google",
                    "Retry-After": str(max(1, round(limit[1]))),
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": str(limit[1]),
                    "X-RateLimit-Bucket": "double-" + route.replace(" ", "-"),
                    "X-RateLimit-Scope": "user",
                }
                raise Rejected(429, 0, "You are being rate limited.", None)
            if handler is None:
                raise Rejected(404, 0, f"404: Not Found ({request.method} {path})")
            self._check_auth(request, path)
            status, answer = await handler(request, body, **params)
        except Rejected as exc:
            status = exc.status
            answer = {"message": exc.message, "code": exc.code}
            if exc.errors:
                answer["errors"] = exc.errors
            if status == 429:
                answer = {"message": exc.message, "retry_after": self._rate_limits[route][1], "global": False}
        call.status, call.answer = status, answer
        await self._notify()
        if status == 204:
            return web.Response(status=204, headers=headers)
        # discord.py parses JSON only when Content-Type is exactly application/json.
        return web.Response(
            status=status,
            body=json.dumps(answer).encode(),
            headers={**headers, "Content-Type": "application/json"},
        )

    def _route(self, method: str, path: str) -> tuple[str, dict, Any]:
        table = [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway),
            ("PUT", r"/applications/(?P<app>\d+)/commands", self._put_commands),
            ("GET", r"/applications/(?P<app>\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(?P<app>\d+)/guilds/(?P<guild_id>\d+)/commands", self._put_commands),
            ("GET", r"/applications/(?P<app>\d+)/guilds/(?P<guild_id>\d+)/commands", self._get_commands),
            ("POST", r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)", self._followup),
            (
                "GET",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|\d+)",
                self._get_webhook_message,
            ),
            (
                "PATCH",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|\d+)",
                self._edit_webhook_message,
            ),
            (
                "DELETE",
                r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|\d+)",
                self._delete_webhook_message,
            ),
            ("GET", r"/channels/(?P<channel_id>\d+)", self._get_channel),
            ("POST", r"/channels/(?P<channel_id>\d+)/messages", self._post_channel_message),
            (
                "PATCH",
                r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)",
                self._edit_channel_message,
            ),
        ]
        for verb, pattern, handler in table:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
                return f"{method} {template}", match.groupdict(), handler
        return f"{method} {path}", {}, None

    async def _get_me(self, request, body):
        return 200, self.bot_user

    async def _get_application(self, request, body):
        return 200, {
            "id": self.application_id,
            "name": "briefbot",
            "description": "",
            "icon": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": {"id": "500000000000000009", "username": "owner", "discriminator": "0", "avatar": None},
            "verify_key": "0" * 64,
            "flags": 0,
        }

    async def _get_gateway(self, request, body):
        return 200, {
            "url": self.gateway_url,
            "shards": self.shard_count,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    # commands

    def _validate_option(self, option: dict, where: str, depth: int) -> None:
        name = option.get("name", "")
        if not _COMMAND_NAME.fullmatch(name) or name != name.lower():
            raise _invalid(f"{where}.name", f"invalid option name {name!r}")
        if not 1 <= len(option.get("description", "")) <= 100:
            raise _invalid(f"{where}.description", "must be 1-100 characters")
        choices = option.get("choices") or []
        if len(choices) > 25:
            raise _invalid(f"{where}.choices", "at most 25 choices")
        for choice in choices:
            if not 1 <= len(choice.get("name", "")) <= 100:
                raise _invalid(f"{where}.choices.name", "must be 1-100 characters")
        if choices and option.get("autocomplete"):
            raise _invalid(f"{where}.autocomplete", "autocomplete cannot be used with choices")
        self._validate_options(option.get("options") or [], where, depth + 1)

    def _validate_options(self, options: list[dict], where: str, depth: int) -> None:
        if len(options) > 25:
            raise _invalid(f"{where}.options", "at most 25 options")
        if depth > 2:
            raise _invalid(f"{where}.options", "nested too deep")
        seen_optional = False
        for index, option in enumerate(options):
            if option.get("type") not in (1, 2):
                if option.get("required"):
                    if seen_optional:
                        raise _invalid(f"{where}.options.{index}", "required options must come first")
                else:
                    seen_optional = True
            self._validate_option(option, f"{where}.options.{index}", depth)

    async def _put_commands(self, request, body, app, guild_id=None):
        if app != self.application_id:
            raise Rejected(403, 50001, "Missing Access")
        if not isinstance(body, list) or len(body) > 100:
            raise _invalid("", "a list of at most 100 commands")
        names = set()
        stored = []
        for index, command in enumerate(body):
            kind = command.get("type", 1)
            name = command.get("name", "")
            if not _COMMAND_NAME.fullmatch(name) or (kind == 1 and name != name.lower()):
                raise _invalid(f"{index}.name", f"invalid command name {name!r}")
            if kind == 1 and not 1 <= len(command.get("description", "")) <= 100:
                raise _invalid(f"{index}.description", "must be 1-100 characters")
            if (kind, name) in names:
                raise _invalid(f"{index}.name", "duplicate command name")
            names.add((kind, name))
            self._validate_options(command.get("options") or [], str(index), 0)
            entry = dict(command)
            entry.update(
                id=str(next(self._ids)),
                application_id=self.application_id,
                version=str(next(self._ids)),
                default_member_permissions=command.get("default_member_permissions"),
            )
            if guild_id:
                entry["guild_id"] = guild_id
            stored.append(entry)
        self.commands[guild_id or "global"] = stored
        return 200, stored

    async def _get_commands(self, request, body, app, guild_id=None):
        return 200, self.commands.get(guild_id or "global", [])

    # messages

    def _validate_message(self, data: dict, *, creating: bool) -> None:
        content = data.get("content") or ""
        if len(content) > 2000:
            raise _invalid("content", "Must be 2000 or fewer in length.")
        embeds = data.get("embeds") or []
        if len(embeds) > 10:
            raise _invalid("embeds", "Must be 10 or fewer in length.")
        total = 0
        for i, embed in enumerate(embeds):
            where = f"embeds.{i}"
            limits = {"title": 256, "description": 4096}
            for key, limit in limits.items():
                if len(embed.get(key) or "") > limit:
                    raise _invalid(f"{where}.{key}", f"Must be {limit} or fewer in length.")
            fields = embed.get("fields") or []
            if len(fields) > 25:
                raise _invalid(f"{where}.fields", "Must be 25 or fewer in length.")
            for j, f in enumerate(fields):
                if not 1 <= len(f.get("name") or "") <= 256:
                    raise _invalid(f"{where}.fields.{j}.name", "Must be between 1 and 256 in length.")
                if not 1 <= len(f.get("value") or "") <= 1024:
                    raise _invalid(f"{where}.fields.{j}.value", "Must be between 1 and 1024 in length.")
            footer = (embed.get("footer") or {}).get("text") or ""
            author = (embed.get("author") or {}).get("name") or ""
            if len(footer) > 2048:
                raise _invalid(f"{where}.footer.text", "Must be 2048 or fewer in length.")
            if len(author) > 256:
                raise _invalid(f"{where}.author.name", "Must be 256 or fewer in length.")
            for key in ("url",):
                url = embed.get(key)
                if url and not str(url).startswith(("http://", "https://")):
                    raise _invalid(f"{where}.{key}", f"Scheme of {url!r} is not supported.")
            total += len(embed.get("title") or "") + len(embed.get("description") or "")
            total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
            total += len(footer) + len(author)
        if total > 6000:
            raise _invalid("embeds", "Embed size exceeds maximum size of 6000")
        rows = data.get("components") or []
        if len(rows) > 5:
            raise _invalid("components", "Must be 5 or fewer in length.")
        for r, row in enumerate(rows):
            items = row.get("components") or []
            if not 1 <= len(items) <= 5:
                raise _invalid(f"components.{r}.components", "Must be between 1 and 5 in length.")
            for c, item in enumerate(items):
                where = f"components.{r}.components.{c}"
                if item.get("style") == 5:
                    if not str(item.get("url", "")).startswith(("http://", "https://")):
                        raise _invalid(f"{where}.url", "Scheme is not supported.")
                elif not 1 <= len(item.get("custom_id") or "") <= 100:
                    raise _invalid(f"{where}.custom_id", "Must be between 1 and 100 in length.")
                if len(item.get("label") or "") > 80:
                    raise _invalid(f"{where}.label", "Must be 80 or fewer in length.")
                options = item.get("options") or []
                if len(options) > 25:
                    raise _invalid(f"{where}.options", "Must be 25 or fewer in length.")
        if creating and not content and not embeds and not rows and not data.get("attachments"):
            raise Rejected(400, 50006, "Cannot send an empty message")

    def _new_message(self, channel_id: str, data: dict, *, interaction_id: str | None = None) -> Message:
        message = Message(
            id=str(next(self._ids)),
            channel_id=channel_id,
            content=data.get("content") or "",
            embeds=data.get("embeds") or [],
            components=data.get("components") or [],
            flags=data.get("flags") or 0,
            allowed_mentions=data.get("allowed_mentions"),
            interaction_id=interaction_id,
            nonce=str(data["nonce"]) if data.get("nonce") is not None else None,
            created_at=self.now(),
        )
        self.messages[message.id] = message
        return message

    def _apply_edit(self, message: Message, data: dict) -> None:
        for key in ("content", "embeds", "components"):
            if key in data:
                setattr(
                    message, key, data[key] if data[key] is not None else ([] if key != "content" else "")
                )
        message.flags &= ~LOADING
        message.allowed_mentions = data.get("allowed_mentions", message.allowed_mentions)
        message.edits += 1

    def _message_payload(self, message: Message) -> dict:
        return {
            "id": message.id,
            "channel_id": message.channel_id,
            "type": 20 if message.interaction_id else 0,
            "content": message.content,
            "author": self.bot_user,
            "embeds": message.embeds,
            "components": message.components,
            "flags": message.flags,
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": "2026-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "application_id": self.application_id,
            "nonce": message.nonce,
        }

    async def _get_channel(self, request, body, channel_id):
        guild_id = self.guild_of_channel(channel_id)
        if guild_id is None:
            raise Rejected(404, 10003, "Unknown Channel")
        return 200, self._channel(channel_id, guild_id)

    async def _post_channel_message(self, request, body, channel_id):
        if self.guild_of_channel(channel_id) is None:
            raise Rejected(404, 10003, "Unknown Channel")
        body = body or {}
        self._validate_message(body, creating=True)
        nonce = body.get("nonce")
        if nonce is not None and len(str(nonce)) > NONCE_LIMIT:
            raise _invalid("nonce", f"Must be {NONCE_LIMIT} or fewer in length.")
        if nonce is not None and body.get("enforce_nonce"):
            # Every channel message here is the bot's: the same author, the same channel.
            for earlier in self.channel_messages(channel_id):
                if earlier.nonce == str(nonce) and self.now() - earlier.created_at <= NONCE_WINDOW:
                    self.nonce_hits.append(earlier)
                    return 200, self._message_payload(earlier)
        refusal = self._refusals.get(channel_id)
        if refusal is not None and refusal[0] > 0:
            refusal[0] -= 1
        elif refusal is not None:
            del self._refusals[channel_id]
            raise Rejected(
                refusal[1], refusal[2], "Missing Permissions" if refusal[2] == 50013 else "Refused"
            )
        hold = self._holds.get(channel_id)
        if hold is not None and hold[0] > 0:
            hold[0] -= 1
        elif hold is not None:
            del self._holds[channel_id]
            message = self._new_message(channel_id, body) if hold[1] else None
            self.held.append(HeldPost(channel_id, message))
            await self._notify()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), self.max_lifetime)
            if message is None:
                if request.transport is None or request.transport.is_closing():
                    raise Rejected(503, 0, "held post dropped: its poster is gone")  # nobody hears it
                message = self._new_message(channel_id, body)
            return 200, self._message_payload(message)
        return 200, self._message_payload(self._new_message(channel_id, body))

    async def _edit_channel_message(self, request, body, channel_id, message_id):
        message = self.messages.get(message_id)
        if message is None or message.channel_id != channel_id:
            raise Rejected(404, 10008, "Unknown Message")
        self._validate_message(body or {}, creating=False)
        self._apply_edit(message, body)
        return 200, self._message_payload(message)

    # interactions

    def _interaction_by_token(self, token: str) -> Interaction:
        for record in self.interactions.values():
            if record.token == token:
                if record.response_type is None:
                    raise Rejected(404, 10015, "Unknown Webhook")
                if self.now() - record.created > TOKEN_LIFETIME:
                    raise Rejected(401, 50027, "Invalid Webhook Token")
                return record
        raise Rejected(404, 10015, "Unknown Webhook")

    async def _callback(self, request, body, interaction_id, token):
        record = self.interactions.get(interaction_id)
        if record is None or record.token != token:
            raise Rejected(404, 10062, "Unknown interaction")
        if record.response_type is not None:
            raise Rejected(400, 40060, "Interaction has already been acknowledged.")
        if self.now() - record.created > INITIAL_RESPONSE_DEADLINE:
            raise Rejected(404, 10062, "Unknown interaction")
        kind = (body or {}).get("type")
        data = (body or {}).get("data") or {}
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}}[record.type]
        if kind not in allowed:
            raise _invalid("type", f"response type {kind} is not valid for interaction type {record.type}")
        resource = None
        if kind == 8:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > 25:
                raise _invalid("data.choices", "Must be 25 or fewer in length.")
            for i, choice in enumerate(choices):
                if not 1 <= len(choice.get("name", "")) <= 100:
                    raise _invalid(f"data.choices.{i}.name", "Must be between 1 and 100 in length.")
                if isinstance(choice.get("value"), str) and len(choice["value"]) > 100:
                    raise _invalid(f"data.choices.{i}.value", "Must be 100 or fewer in length.")
        elif kind == 4:
            self._validate_message(data, creating=True)
            message = self._new_message(record.payload["channel_id"], data, interaction_id=interaction_id)
            record.original_id = message.id
            resource = {"type": 4, "message": self._message_payload(message)}
        elif kind == 5:
            flags = (data.get("flags") or 0) | LOADING
            message = self._new_message(
                record.payload["channel_id"], {"flags": flags}, interaction_id=interaction_id
            )
            record.original_id = message.id
            resource = {"type": 5, "message": self._message_payload(message)}
        elif kind == 7:
            self._validate_message(data, creating=False)
            self._apply_edit(self.messages[record.original_id], data)
            resource = {"type": 7, "message": self._message_payload(self.messages[record.original_id])}
        record.response_type, record.response = kind, body
        record.responded.set()
        original = self.messages.get(record.original_id) if record.original_id else None
        answer = {
            "interaction": {
                "id": interaction_id,
                "type": record.type,
                "response_message_id": original.id if original else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(original and original.ephemeral),
            }
        }
        if resource:
            answer["resource"] = resource
        return 200, answer

    async def _followup(self, request, body, app, token):
        record = self._interaction_by_token(token)
        body = body or {}
        self._validate_message(body, creating=True)
        original = record.original
        if record.response_type == 5 and original is not None and original.loading and not record.followups:
            # Discord: the first follow-up after a deferred reply fills the "thinking" message.
            self._apply_edit(original, body)
            message = original
        else:
            message = self._new_message(record.payload["channel_id"], body, interaction_id=record.id)
        record.followups.append(message.id)
        return 200, self._message_payload(message)

    def _webhook_message(self, record: Interaction, message_id: str) -> Message:
        if message_id == "@original":
            message = record.original
        else:
            message = self.messages.get(message_id)
            if (
                message is not None
                and message.interaction_id != record.id
                and message.id != record.original_id
            ):
                message = None
        if message is None:
            raise Rejected(404, 10008, "Unknown Message")
        return message

    async def _get_webhook_message(self, request, body, app, token, message_id):
        record = self._interaction_by_token(token)
        return 200, self._message_payload(self._webhook_message(record, message_id))

    async def _edit_webhook_message(self, request, body, app, token, message_id):
        record = self._interaction_by_token(token)
        message = self._webhook_message(record, message_id)
        self._validate_message(body or {}, creating=False)
        self._apply_edit(message, body or {})
        return 200, self._message_payload(message)

    async def _delete_webhook_message(self, request, body, app, token, message_id):
        record = self._interaction_by_token(token)
        message = self._webhook_message(record, message_id)
        del self.messages[message.id]
        return 204, None


@contextlib.asynccontextmanager
async def running_bot(settings, *, clock=None, ready_timeout: float = 20.0) -> AsyncIterator[Any]:
    """Start the real bot (bot.app.create_bot) against the double named in `settings`, wait
    until it is ready, yield it, then close it. The bot runs on the test's event loop."""
    from bot.app import create_bot

    client = create_bot(settings, clock=clock)
    task = asyncio.get_running_loop().create_task(client.start(settings.discord_token))
    try:
        waiter = asyncio.ensure_future(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {waiter, task}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            waiter.cancel()
            task.result()  # raises what stopped the bot
            raise RuntimeError("the bot stopped before it was ready")
        if waiter not in done:
            waiter.cancel()
            raise TimeoutError("the bot was not ready in time")
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, 10)


REPO = Path(__file__).resolve().parent.parent
# Settings a test's own environment may hold that a bot process run by a test must not inherit.
_PROCESS_SETTINGS = ("DISCORD_", "SHARD_", "POLL_", "DATABASE_", "DIGEST_")


def process_env(double: DiscordDouble, home: Path, **settings: str) -> dict[str, str]:
    """The environment of a `briefbot` process run against the double: the test's own without
    the settings above, HOME in the test's temp dir, the static model already built (not a
    rebuild), this checkout on PYTHONPATH, the double's token and URLs, then `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_PROCESS_SETTINGS)}
    env.update(
        HOME=str(home),
        MODEL_CACHE_DIR=str(model_cache_dir(Settings())),
        PYTHONPATH=str(REPO),
        DISCORD_TOKEN=double.token,
        DISCORD_API_BASE=double.base_url,  # a bare host: the bot adds /api/v10
        DISCORD_GATEWAY_URL=double.gateway_url,
        **settings,
    )
    return env


def bot_settings(settings, double: DiscordDouble, **changes):
    """`settings` pointed at the double (token, REST base, gateway URL), plus `changes`."""
    import dataclasses

    return dataclasses.replace(
        settings,
        discord_token=double.token,
        discord_api_base=double.api_base,
        discord_gateway_url=double.gateway_url,
        **changes,
    )
