"""Sentence splitting: paragraphs on newlines, then sentences by a data-free library."""

from __future__ import annotations

import re

import pysbd

_SEGMENTER = pysbd.Segmenter(language="en", clean=False)
# "said.The" (no space after the full stop, as in the BBC corpus and many scraped pages).
_GLUED = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")


def split_sentences(text: str) -> list[str]:
    """Split `text` into sentences: each non-empty line is a paragraph, split further."""
    sentences: list[str] = []
    for line in text.splitlines():
        line = _GLUED.sub(" ", line.strip())
        if not line:
            continue
        sentences.extend(s.strip() for s in _SEGMENTER.segment(line) if s.strip())
    return sentences
