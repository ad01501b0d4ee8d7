"""`.env.example` is the settings reference users copy: it must list every setting."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from dotenv import dotenv_values

from summarizer.config import Settings

EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def test_env_example_lists_every_setting_with_its_default():
    example = dotenv_values(EXAMPLE)
    assert set(example) == {f.name.upper() for f in fields(Settings)}
    for field in fields(Settings):
        raw = example[field.name.upper()] or ""
        kind = type(field.default)
        value = raw.strip().lower() in {"1", "true", "yes", "on"} if kind is bool else kind(raw)
        assert value == field.default, f"{field.name.upper()} in .env.example is not the default"
