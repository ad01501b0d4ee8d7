"""Generic boilerplate removal for article text."""

from __future__ import annotations

import re

_CTA = re.compile(
    r"\b(subscribe|newsletter|follow us|sign up|click here|share this|read more|keep reading|"
    r"show less|advertisement|cookie|photo credit|image credit|top photo|read the original)\b",
    re.IGNORECASE,
)


def clean_text(text: str) -> str:
    """Drop boilerplate lines from article text; paragraphs are kept as lines."""
    kept = []
    for line in text.splitlines():
        line = line.strip()
        if not line or (_CTA.search(line) and len(line.split()) < 20):
            continue
        kept.append(line)
    return "\n".join(kept)
