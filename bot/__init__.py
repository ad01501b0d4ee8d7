"""briefbot's Discord adapter: slash commands, embeds and the digest scheduler."""
