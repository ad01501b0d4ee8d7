"""Interaction tokens never reach a log line (bot/logs.py), whatever logger wrote it."""

from __future__ import annotations

import io
import logging

from bot.logs import redact_handlers

TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDpzZWNyZXQtdG9rZW4tdmFsdWU"


def test_tokens_are_redacted_from_urls_and_payloads():
    out = io.StringIO()
    root = logging.getLogger()
    handler = logging.StreamHandler(out)
    root.addHandler(handler)
    try:
        redact_handlers()
        http = logging.getLogger(
            "discord.webhook.async_"
        )  # a child logger: filters on "discord" would miss it
        http.setLevel(logging.DEBUG)
        http.debug(
            "Webhook ID %s with %s %s has returned status code %s",
            1,
            "POST",
            f"https://discord.com/api/v10/interactions/123/{TOKEN}/callback",
            200,
        )
        http.debug("PATCH %s", f"https://discord.com/api/v10/webhooks/456/{TOKEN}/messages/@original")
        logging.getLogger("discord.gateway").warning(
            "WebSocket Event: %s", {"d": {"token": TOKEN, "id": "123"}}
        )
    finally:
        root.removeHandler(handler)
    text = out.getvalue()
    assert TOKEN not in text
    assert "/interactions/123/<token>/callback" in text
    assert "/webhooks/456/<token>/messages/@original" in text
    assert "'token': '<token>'" in text and "'id': '123'" in text
