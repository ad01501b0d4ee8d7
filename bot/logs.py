"""Logging without secrets: interaction tokens are cut out of every log line.

discord.py logs each REST call at DEBUG with its URL, and interaction callbacks, follow-ups
and edits carry the interaction token in the URL (`/interactions/{id}/{token}/callback`,
`/webhooks/{app}/{token}/...`); gateway payloads carry it as `"token": "..."`. A token lets
anyone answer as the bot for 15 minutes, so `TokenRedactor` (a logging.Filter) rewrites every
record before a handler writes it. logging applies a logger's filters only to records logged
on that very logger, not its children, so the filter goes on the handlers.
"""

from __future__ import annotations

import logging
import re

REDACTED = "<token>"
_PATTERNS = (
    # /interactions/{id}/{token}/callback and /webhooks/{application id}/{token}[/...]
    re.compile(r"(/(?:interactions|webhooks)/\d+/)[^/?\s'\"]+"),
    # "token": "..." in a JSON or repr'd payload (interaction and IDENTIFY payloads)
    re.compile(r"""(['"]token['"]\s*:\s*['"])[^'"]+"""),
)


def redact(text: str) -> str:
    """`text` with every interaction (or bot) token replaced by '<token>'."""
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text


class TokenRedactor(logging.Filter):
    """A filter that formats a record's message once and redacts the tokens in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redact_handlers(logger: logging.Logger | None = None) -> None:
    """Put a TokenRedactor on every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, TokenRedactor) for f in handler.filters):
            handler.addFilter(TokenRedactor())
