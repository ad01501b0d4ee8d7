"""Every setting of briefbot, in one place.

Values come from the process environment, then from a `.env` file (python-dotenv; the
environment wins). Each setting has a documented default; `.env.example` lists them all.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """Parse '90s', '15m', '6h', '7d', '2w' (or plain seconds) into a timedelta.

    Raises ValueError with a message a user can act on.
    """
    match = _DURATION.match(text or "")
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 6h, 7d)")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])


def _bool(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """briefbot's settings. Field names are the environment keys, lower-cased."""

    # Store
    database_path: str = "briefbot.db"
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
    # Search
    recency_weight: float = 0.5
    recency_half_life_hours: float = 48.0
    vector_search: bool = True  # hybrid retrieval: article vectors stored at ingest, searched with bm25
    model_cache_dir: str = ""  # where built models are kept (default ~/.cache/briefbot)
    # Summaries
    default_mode: str = "extractive"
    summarizer_model: str = ""
    brief_articles: int = 5
    brief_sentences: int = 4
    brief_max_chars: int = 1200
    # Discord
    discord_token: str = ""
    discord_guild_id: str = ""
    discord_api_base: str = ""
    discord_gateway_url: str = ""
    # Digests
    digest_time: str = "08:00"
    digest_timezone: str = "UTC"
    digest_max_stories: int = 5
    digest_grace: str = "6h"
    digest_check_interval: str = "60s"  # [digest] how often the bot looks for due digests
    # Logging
    log_level: str = "INFO"

    def __repr__(self) -> str:  # never print the token
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
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
    def digest_grace_delta(self) -> timedelta:
        """DIGEST_GRACE as a timedelta."""
        return parse_duration(self.digest_grace)

    @property
    def digest_check_interval_delta(self) -> timedelta:
        """DIGEST_CHECK_INTERVAL as a timedelta."""
        return parse_duration(self.digest_check_interval)


def load_settings(env_file: str | Path | None = None, **overrides) -> Settings:
    """Build Settings from the environment and `.env` (or `env_file`), then `overrides`."""
    load_dotenv(env_file or Path.cwd() / ".env", override=False)
    values = {}
    for field in fields(Settings):
        raw = os.environ.get(field.name.upper())
        if raw is None or raw == "":
            continue
        kind = type(field.default)
        try:
            values[field.name] = _bool(raw) if kind is bool else kind(raw)
        except ValueError as exc:
            raise ValueError(f"{field.name.upper()}={raw!r} is not a valid {kind.__name__}") from exc
    values.update(overrides)
    return Settings(**values)
