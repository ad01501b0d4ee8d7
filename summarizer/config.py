"""Every setting of briefbot, in one place, checked when it is read.

Values come from the process environment, then from a `.env` file (the environment wins);
pydantic-settings reads both, and `Settings` (a pydantic dataclass) checks every value
when the program starts: a wrong value stops it with one line naming the setting and what
it accepts. Keys that look like a misspelt setting are warned about. Each setting has a
documented default; `.env.example` lists them all.
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import os
import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from dotenv import dotenv_values
from pydantic import ConfigDict, ValidationError, ValidationInfo, create_model, field_validator
from pydantic.dataclasses import dataclass
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from summarizer.errors import BriefbotError, SettingsError

log = logging.getLogger(__name__)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SECRET_SETTINGS = frozenset({"discord_token"})  # never echoed, not even in an error


def parse_duration(text: str) -> timedelta:
    """Parse '90s', '15m', '6h', '7d', '2w' (or plain seconds) into a timedelta.

    Raises ValueError with a message a user can act on.
    """
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 6h, 7d)")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])


def _url_or_empty(value: str, scheme: str) -> str:
    """`value` stripped when empty or a URL of `scheme` or its secure form (http/https, ws/wss)."""
    value = value.strip()
    if value and not re.match(rf"{scheme}s?://[^/\s]+", value):
        raise ValueError(f"must be a URL starting with {scheme}:// or {scheme}s://, or empty")
    return value


def _check_duration(value: str, positive: bool) -> str:
    span = parse_duration(value)  # its ValueError names what works
    if positive and span <= timedelta(0):
        raise ValueError("must be longer than 0 (e.g. 90s, 15m, 6h)")
    return value


Number = TypeVar("Number", int, float)


def _at_least(value: Number, floor: int) -> Number:
    if value < floor:
        raise ValueError(f"must be at least {floor}")
    return value


@lru_cache(maxsize=64)
def _timezone_problem(name: str) -> str:
    """Why `name` is no time zone for digests ('' when it is one); cached: listing the zones
    takes ~25 ms and Settings are built often."""
    from summarizer.briefs.digest import resolve_timezone  # the digest module imports this one

    try:
        resolve_timezone(name)
    except BriefbotError as error:
        return str(error)
    return ""


@dataclass(frozen=True, config=ConfigDict(extra="forbid"))
class Settings:
    """briefbot's settings. Field names are the environment keys, lower-cased."""

    # Store: DATABASE_URL picks the backend (postgresql://..., sqlite:///path or a bare path);
    # empty means the SQLite file DATABASE_PATH.
    database_path: str = "briefbot.db"
    database_url: str = ""
    # Network (ingestion)
    allow_private_urls: bool = False
    http_connect_timeout: float = 5.0
    http_read_timeout: float = 15.0
    http_max_bytes: int = 5_000_000
    http_max_redirects: int = 5
    user_agent: str = "briefbot/0.1 (news brief bot; +https://pypi.org/project/briefbot/)"
    # Feed polling
    poll_interval: str = "15m"
    poll_max_items: int = 50
    poll_first_max_age: str = "3d"
    poll_max_backoff: str = "24h"
    poll_lease: str = "10m"  # a poller holds the due feeds it took this long at most (then others may)
    # Search
    recency_weight: float = 0.5
    recency_half_life_hours: float = 48.0
    vector_search: bool = True  # hybrid retrieval: article vectors stored at ingest, searched with bm25
    model_cache_dir: str = ""  # where built models are kept (default ~/.cache/briefbot)
    # Summaries
    default_mode: str = "semantic"
    summarizer_model: str = ""
    brief_articles: int = 5
    brief_words: int = 100  # a brief's default length; Longer/Shorter move it
    brief_max_chars: int = 1200
    # Discord
    discord_token: str = ""
    discord_guild_id: str = ""
    discord_api_base: str = ""
    discord_gateway_url: str = ""
    # Shards (large bots): this process runs shards SHARD_IDS ("0,1"; empty = all) of SHARD_COUNT
    # (0: as many as Discord recommends, asked at start, all in this process)
    shard_count: int = 1
    shard_ids: str = ""
    poll_in_bot: bool = True  # false: feeds are polled by separate `briefbot poll --every` workers
    # Digests
    digest_time: str = "08:00"
    digest_timezone: str = "UTC"
    digest_max_stories: int = 5
    digest_grace: str = "6h"
    digest_check_interval: str = "60s"  # [digest] how often the bot looks for due digests, disabled feeds
    digest_quiet: str = "say"  # a day with nothing new: say so in one line, or skip posting
    digest_lease: str = "2m"  # a digest being posted is its process's this long per message; then taken over
    # Logging
    log_level: str = "INFO"
    # Bot under load, faults and restarts
    brief_queue_deadline: float = 30.0  # seconds a /brief may wait for its mode; then fast mode or an apology
    brief_cooldown_rate: int = 5  # /brief uses per user per cooldown window (0 = no cooldown)
    brief_cooldown_seconds: float = 60.0
    brief_buttons_hours: float = 168.0  # a brief's buttons work this long (across restarts)
    shutdown_grace: float = 20.0  # seconds a shutdown waits for answers before apologising
    max_feeds_per_guild: int = 50
    feed_disable_after: int = 10  # consecutive failed polls before a feed is disabled
    digest_retire_after: int = 3  # failed posts to a deleted/forbidden channel before retiring
    # Health: the bot's heartbeat file (empty = beside the database) and how often it is refreshed
    heartbeat_file: str = ""
    heartbeat_interval: str = "30s"

    @property
    def store_url(self) -> str:
        """Where the store is: DATABASE_URL, else the SQLite file DATABASE_PATH."""
        return self.database_url or self.database_path

    # -- checks (each raises ValueError saying what the setting accepts) -------------

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        value = value.strip()
        if "://" in value and not value.startswith(("sqlite://", "postgresql://", "postgres://")):
            raise ValueError(
                "must be postgresql://user:password@host:5432/db, sqlite:///path, a file path, or empty"
            )
        return value

    @field_validator("database_path", "user_agent")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator(
        "http_connect_timeout",
        "http_read_timeout",
        "recency_half_life_hours",
        "brief_queue_deadline",
        "brief_cooldown_seconds",
        "brief_buttons_hours",
    )
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be above 0")
        return value

    @field_validator(
        "http_max_bytes",
        "poll_max_items",
        "brief_articles",
        "brief_words",
        "brief_max_chars",
        "digest_max_stories",
        "feed_disable_after",
        "digest_retire_after",
    )
    @classmethod
    def _one_or_more(cls, value: int) -> int:
        return _at_least(value, 1)

    @field_validator(
        "http_max_redirects",
        "recency_weight",
        "brief_cooldown_rate",
        "shutdown_grace",
        "max_feeds_per_guild",
        "shard_count",
    )
    @classmethod
    def _zero_or_more(cls, value: float) -> float:
        return _at_least(value, 0)

    @field_validator(
        "poll_interval",
        "poll_max_backoff",
        "poll_lease",
        "digest_check_interval",
        "heartbeat_interval",
        "digest_lease",
    )
    @classmethod
    def _interval(cls, value: str) -> str:
        return _check_duration(value, positive=True)

    @field_validator("poll_first_max_age", "digest_grace")
    @classmethod
    def _span(cls, value: str) -> str:
        return _check_duration(value, positive=False)

    @field_validator("default_mode")
    @classmethod
    def _mode(cls, value: str) -> str:
        from summarizer.summaries.base import MODES  # the modes import this module

        mode = value.strip().lower()
        if mode not in MODES:
            raise ValueError(f"not a summary mode: use {', '.join(MODES[:-1])} or {MODES[-1]}")
        return mode

    @field_validator("discord_guild_id")
    @classmethod
    def _snowflake(cls, value: str) -> str:
        if value.strip() and not value.strip().isdigit():
            raise ValueError("must be a Discord server id (digits only), or empty")
        return value.strip()

    @field_validator("discord_api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        return _url_or_empty(value, "http")

    @field_validator("discord_gateway_url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        return _url_or_empty(value, "ws")

    @field_validator("shard_ids")
    @classmethod
    def _shard_ids(cls, value: str, info: ValidationInfo) -> str:
        count = info.data.get("shard_count")
        if count is None:
            return value  # SHARD_COUNT itself is wrong: that error is the one to read
        ids = [part.strip() for part in value.split(",") if part.strip()]
        if ids and count == 0:
            raise ValueError(
                "needs a SHARD_COUNT: with SHARD_COUNT=0 (as Discord recommends) one process runs all"
            )
        if not all(part.isdigit() for part in ids):
            raise ValueError("must be shard numbers separated by commas (e.g. 0,1), or empty for all")
        outside = [part for part in ids if int(part) >= count]
        if outside:
            raise ValueError(
                f"shard {outside[0]} does not exist: with SHARD_COUNT={count} the shards are 0 to {count - 1}"
            )
        if len(set(map(int, ids))) != len(ids):
            raise ValueError("names a shard twice")
        return ",".join(ids)

    @field_validator("digest_time")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        from summarizer.briefs.digest import parse_time_of_day  # the digest module imports this one

        try:
            parse_time_of_day(value)
        except BriefbotError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("digest_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        problem = _timezone_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("digest_quiet")
    @classmethod
    def _quiet(cls, value: str) -> str:
        from summarizer.briefs.digest import parse_quiet  # the digest module imports this one

        try:
            return parse_quiet(value)
        except BriefbotError as error:
            raise ValueError(str(error)) from None

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"not a log level: use {', '.join(LOG_LEVELS[:-1])} or {LOG_LEVELS[-1]}")
        return level

    def __repr__(self) -> str:  # never print the token
        shown = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if shown["discord_token"]:
            shown["discord_token"] = "***"
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    @property
    def poll_interval_delta(self) -> timedelta:
        """POLL_INTERVAL as a timedelta."""
        return parse_duration(self.poll_interval)

    @property
    def poll_first_max_age_delta(self) -> timedelta:
        """POLL_FIRST_MAX_AGE as a timedelta."""
        return parse_duration(self.poll_first_max_age)

    @property
    def poll_max_backoff_delta(self) -> timedelta:
        """POLL_MAX_BACKOFF as a timedelta."""
        return parse_duration(self.poll_max_backoff)

    @property
    def shard_id_list(self) -> list[int]:
        """The shards this process runs: SHARD_IDS, or every shard of SHARD_COUNT (none listed
        for SHARD_COUNT=0: the count is Discord's, known once connected)."""
        if not self.shard_ids:
            return list(range(self.shard_count))
        return [int(part) for part in self.shard_ids.split(",")]

    @property
    def poll_lease_delta(self) -> timedelta:
        """POLL_LEASE as a timedelta."""
        return parse_duration(self.poll_lease)

    @property
    def digest_grace_delta(self) -> timedelta:
        """DIGEST_GRACE as a timedelta."""
        return parse_duration(self.digest_grace)

    @property
    def digest_lease_delta(self) -> timedelta:
        """DIGEST_LEASE as a timedelta."""
        return parse_duration(self.digest_lease)

    @property
    def digest_check_interval_delta(self) -> timedelta:
        """DIGEST_CHECK_INTERVAL as a timedelta."""
        return parse_duration(self.digest_check_interval)


SETTING_KEYS = tuple(field.name.upper() for field in dataclasses.fields(Settings))


class _RawValues(BaseSettings):
    """The text of each setting, as pydantic-settings finds it in the environment or `.env`
    (environment first); empty values mean "the default". `Settings` checks them."""

    model_config = SettingsConfigDict(case_sensitive=False, env_ignore_empty=True, extra="ignore")


_RAW_FIELDS: dict[str, Any] = {f.name: (str | None, None) for f in dataclasses.fields(Settings)}
_Raw = create_model("_Raw", __base__=_RawValues, **_RAW_FIELDS)


def _explain(error: ErrorDetails, given: dict[str, object]) -> str:
    """One validation error as 'KEY=value: what it accepts' (a secret's value is never shown)."""
    name = str(error["loc"][0]) if error.get("loc") else "?"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error.get("type") == "bool_parsing":
        message = "not true or false (use true/false, yes/no, on/off or 1/0)"
    elif error.get("type", "").startswith(("int_", "float_")) and error["type"].endswith("parsing"):
        message = "not a whole number" if error["type"].startswith("int") else "not a number"
    elif error.get("type") == "unexpected_keyword_argument":
        return f"{name.upper()} is not a setting{_did_you_mean(name.upper())}"
    if name in SECRET_SETTINGS:
        return f"{name.upper()}: {message}"
    return f"{name.upper()}={given.get(name, error.get('input'))!s}: {message}"


def _did_you_mean(key: str) -> str:
    close = difflib.get_close_matches(key.upper(), SETTING_KEYS, n=1, cutoff=0.8)
    return f" (did you mean {close[0]}?)" if close else ""


def _unknown_keys(env_file: Path) -> list[str]:
    """Warnings for keys that are no setting: every unknown key of `env_file`, and keys of
    the environment that look like a misspelt setting (or start with BRIEFBOT_, except the
    test suite's own BRIEFBOT_TEST_ keys)."""
    warnings = []
    if env_file.is_file():
        for key in dotenv_values(env_file):
            if key.upper() not in SETTING_KEYS:
                warnings.append(f"{env_file}: {key} is not a briefbot setting{_did_you_mean(key)}")
    for key in os.environ:
        upper = key.upper()
        if upper in SETTING_KEYS or upper.startswith("BRIEFBOT_TEST_"):
            continue
        hint = _did_you_mean(upper)
        # BRIEFBOT_TEST_* belong to the test suite (.ci/run's PostgreSQL server), not to briefbot.
        if hint or (upper.startswith("BRIEFBOT_") and not upper.startswith("BRIEFBOT_TEST_")):
            warnings.append(f"environment: {key} is not a briefbot setting{hint}")
    return warnings


def load_settings(env_file: str | Path | None = None, **overrides) -> Settings:
    """Build Settings from the environment and `.env` (or `env_file`), then `overrides`.

    Raises SettingsError naming each wrong setting and what it accepts; logs a warning for
    each key that looks like a misspelt setting.
    """
    path = Path(env_file) if env_file else Path.cwd() / ".env"
    for warning in _unknown_keys(path):
        log.warning("warning: %s", warning)
    # _env_file is BaseSettings' own init argument, hidden from type checkers by the fields' one
    raw = _Raw(_env_file=path)  # type: ignore[call-arg]
    given = {k: v for k, v in raw.model_dump().items() if v is not None}
    given.update(overrides)
    try:
        return Settings(**given)
    except ValidationError as error:
        reasons = "; ".join(_explain(e, given) for e in error.errors())
        raise SettingsError(f"bad setting: {reasons}") from None
