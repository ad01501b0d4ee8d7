"""Settings: `.env.example` lists every one; each is checked when briefbot starts."""

from __future__ import annotations

import dataclasses
import logging
import os
from dataclasses import fields
from pathlib import Path

import pytest
from dotenv import dotenv_values

from summarizer.config import Settings, load_settings
from summarizer.errors import SettingsError

EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"


def test_env_example_lists_every_setting_with_its_default():
    example = dotenv_values(EXAMPLE)
    assert set(example) == {f.name.upper() for f in fields(Settings)}
    for field in fields(Settings):
        raw = example[field.name.upper()] or ""
        kind = type(field.default)
        value = raw.strip().lower() in {"1", "true", "yes", "on"} if kind is bool else kind(raw)
        assert value == field.default, f"{field.name.upper()} in .env.example is not the default"


# -- every setting checked at start ------------------------------------------------------

# Settings that take any text; every other one refuses nonsense.
FREE_TEXT = {
    "database_path",
    "database_url",
    "user_agent",
    "summarizer_model",
    "discord_token",
    "model_cache_dir",
    "heartbeat_file",
}


@pytest.fixture
def env_file(tmp_path: Path, monkeypatch) -> Path:
    """An empty .env in a clean working folder, with no briefbot key in the environment."""
    for key in [k for k in os.environ if k.upper() in {f.name.upper() for f in fields(Settings)}]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / ".env"
    path.write_text("")
    return path


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("ALLOW_PRIVATE_URLS=ture", "ALLOW_PRIVATE_URLS=ture: not true or false"),
        ("LOG_LEVEL=chatty", "LOG_LEVEL=chatty: not a log level: use DEBUG, INFO, WARNING or ERROR"),
        (
            "DEFAULT_MODE=fancy",
            "DEFAULT_MODE=fancy: not a summary mode: use extractive, semantic, abstractive or lead",
        ),
        ("BRIEF_WORDS=0", "BRIEF_WORDS=0: must be at least 1"),
        ("HTTP_MAX_BYTES=lots", "HTTP_MAX_BYTES=lots: not a whole number"),
        ("POLL_INTERVAL=0", "POLL_INTERVAL=0: must be longer than 0"),
        ("DIGEST_TIMEZONE=Mars/Base", "DIGEST_TIMEZONE=Mars/Base"),
        ("DISCORD_API_BASE=discord.com", "DISCORD_API_BASE=discord.com: must be a URL starting with http"),
        ("SHARD_COUNT=-1", "SHARD_COUNT=-1: must be at least 0"),
        ("SHARD_IDS=1", "SHARD_IDS=1: shard 1 does not exist: with SHARD_COUNT=1 the shards are 0 to 0"),
        ("SHARD_IDS=0;1", "SHARD_IDS=0;1: must be shard numbers separated by commas (e.g. 0,1)"),
        ("POLL_LEASE=0", "POLL_LEASE=0: must be longer than 0"),
    ],
)
def test_a_wrong_value_in_env_file_or_environment_names_the_setting(
    env_file: Path, monkeypatch, line: str, says: str
):
    env_file.write_text(line + "\n")
    with pytest.raises(SettingsError, match="^bad setting: ") as refused:
        load_settings()
    assert says in str(refused.value)
    env_file.write_text("")
    key, value = line.split("=", 1)
    monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert says in str(refused.value)


def test_env_example_loads_as_the_defaults_without_warnings(env_file: Path, caplog):
    with caplog.at_level(logging.WARNING, logger="summarizer.config"):
        assert load_settings(EXAMPLE) == Settings()
    assert not caplog.records


def test_every_setting_is_typed_and_checked(env_file: Path):
    for field in fields(Settings):
        if field.name in FREE_TEXT:
            continue
        env_file.write_text(f"{field.name.upper()}=-1x\n")
        with pytest.raises(SettingsError, match=f"{field.name.upper()}="):
            load_settings()


def test_values_are_read_typed_and_the_environment_wins(env_file: Path, monkeypatch):
    env_file.write_text(
        "ALLOW_PRIVATE_URLS=yes\nBRIEF_WORDS=60\nLOG_LEVEL=debug\nDEFAULT_MODE=\nPOLL_INTERVAL=5m\n"
    )
    monkeypatch.setenv("POLL_INTERVAL", "1h")
    settings = load_settings(database_path="elsewhere.db")
    assert settings.allow_private_urls is True and settings.brief_words == 60
    assert settings.log_level == "DEBUG" and settings.default_mode == "semantic"  # empty = default
    assert settings.poll_interval == "1h" and settings.database_path == "elsewhere.db"
    assert dataclasses.replace(settings, brief_words=20).brief_words == 20
    with pytest.raises(ValueError):
        dataclasses.replace(settings, brief_words=0)


def test_unknown_keys_are_warned_with_a_did_you_mean(env_file: Path, monkeypatch, caplog):
    env_file.write_text("DISCORD_TOKN=abc\nFAVOURITE_COLOUR=blue\n")
    monkeypatch.setenv("DIGEST_TIMEZON", "Europe/Paris")
    monkeypatch.setenv("SHELL_HISTORY_SIZE", "1000")  # not briefbot's: no warning
    with caplog.at_level(logging.WARNING, logger="summarizer.config"):
        load_settings()
    warnings = [record.getMessage() for record in caplog.records]
    hint = "is not a briefbot setting (did you mean"
    assert f"warning: {env_file}: DISCORD_TOKN {hint} DISCORD_TOKEN?)" in warnings
    assert f"warning: {env_file}: FAVOURITE_COLOUR is not a briefbot setting" in warnings
    assert f"warning: environment: DIGEST_TIMEZON {hint} DIGEST_TIMEZONE?)" in warnings
    assert len(warnings) == 3 and not any("abc" in w for w in warnings)


def test_the_token_is_never_shown(env_file: Path):
    env_file.write_text("DISCORD_TOKEN=s3cr3t.t0ken\nBRIEF_WORDS=0\n")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "s3cr3t" not in str(refused.value)
    env_file.write_text("DISCORD_TOKEN=s3cr3t.t0ken\n")
    settings = load_settings()
    assert settings.discord_token == "s3cr3t.t0ken"
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in str(settings)


def test_shard_ids_default_to_every_shard_and_are_checked_against_the_count(env_file: Path):
    env_file.write_text("SHARD_COUNT=4\n")
    assert load_settings().shard_id_list == [0, 1, 2, 3]
    env_file.write_text("SHARD_COUNT=4\nSHARD_IDS= 3, 1\n")
    assert load_settings().shard_id_list == [3, 1]
    env_file.write_text("SHARD_COUNT=2\nSHARD_IDS=1,1\n")
    with pytest.raises(SettingsError, match="SHARD_IDS=1,1: names a shard twice"):
        load_settings()
    env_file.write_text("SHARD_COUNT=0\n")  # as many as Discord recommends, all here
    assert load_settings().shard_id_list == []
    env_file.write_text("SHARD_COUNT=0\nSHARD_IDS=1\n")
    with pytest.raises(SettingsError, match="SHARD_IDS=1: needs a SHARD_COUNT"):
        load_settings()
