"""briefbot's engine: article store, ingestion, search, summaries and digests.

Nothing in this package imports discord; the `bot` package adapts it to Discord.
"""

__version__ = "0.1.0"
