"""Sync application commands only when their schema changed since the last sync.

Discord caps command creates (200 a day a guild), so a restart with the same commands must
not sync. The hash of the schema sent last time is kept in the store's `meta` table, keyed
by application and target (global or the development guild).
"""

from __future__ import annotations

import hashlib
import json
import logging

import discord

from summarizer.store import Store

log = logging.getLogger(__name__)


def schema_hash(payload: list[dict]) -> str:
    """A stable hash of a command schema (order of commands does not matter)."""
    ordered = sorted(payload, key=lambda c: (c.get("type", 1), c["name"]))
    return hashlib.sha256(json.dumps(ordered, sort_keys=True).encode()).hexdigest()


def _meta_key(application_id: int, guild_id: int | None) -> str:
    return f"commands_hash:{application_id}:{guild_id or 'global'}"


def read_hash(store: Store, key: str) -> str | None:
    """The command-set hash last synced under `key`, or None before the first sync."""
    return store.get_meta(key)


def write_hash(store: Store, key: str, value: str) -> None:
    """Remember `value` as the command-set hash synced under `key`."""
    store.set_meta(key, value)


async def sync_commands(bot) -> bool:
    """Sync the tree (to DISCORD_GUILD_ID when set, else globally) if its schema changed.

    Returns True when a sync was sent to Discord.
    """
    guild = discord.Object(id=int(bot.settings.discord_guild_id)) if bot.settings.discord_guild_id else None
    if guild is not None:
        bot.tree.copy_global_to(guild=guild)
    payload = [command.to_dict(bot.tree) for command in bot.tree.get_commands(guild=guild)]
    key = _meta_key(bot.application_id, guild.id if guild else None)
    digest = schema_hash(payload)
    if await bot.in_store(read_hash, key) == digest:
        log.info("application commands unchanged since the last sync: not syncing")
        return False
    synced = await bot.tree.sync(guild=guild)
    await bot.in_store(write_hash, key, digest)
    log.info(
        "synced %d application command(s) %s", len(synced), f"to guild {guild.id}" if guild else "globally"
    )
    return True
