"""Permission checks shared by the command modules.

Discord hides commands marked `app_commands.default_permissions(manage_guild=True)` from
members without Manage Server, but server admins can override that per command, so every
command that changes server settings also checks at run time with `require_manage_guild()`.
A refusal raises `NeedsManageServer`, which the tree's error handler shows as an ephemeral
message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

T = TypeVar("T")


class NeedsManageServer(app_commands.CheckFailure):
    """The member lacks Manage Server; the message says so plainly."""


def require_manage_guild(action: str) -> Callable[[T], T]:
    """A check for app commands: only members with Manage Server may `action`."""

    def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise NeedsManageServer(f"Only server members can {action}: use this command in a server.")
        if not interaction.permissions.manage_guild:
            raise NeedsManageServer(
                f"You need the **Manage Server** permission to {action}. Ask a server admin."
            )
        return True

    return app_commands.check(predicate)
