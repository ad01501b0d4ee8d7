"""`briefbot bot`: the Discord adapter's command, registered with the engine's command line
through the `briefbot.commands` entry point group (see pyproject.toml)."""

from __future__ import annotations

import click


@click.command("bot")
@click.pass_obj
def bot_command(context) -> None:
    """Run the Discord bot (DISCORD_TOKEN and the other settings from the environment/.env)."""
    from .app import run  # discord is imported only when the bot really starts

    run(context.settings)
