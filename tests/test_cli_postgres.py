"""The `briefbot` command line on a PostgreSQL store (DATABASE_URL), run as a user or a
deployment's health check would: commands that only read never create the schema in an empty
database; `briefbot migrate` does; `briefbot status` (the compose health check) reads it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from summarizer.cli import main
from summarizer.health import write_heartbeat
from summarizer.store import SCHEMA_VERSION

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def run(database_url: str, tmp_path: Path, monkeypatch):
    """`briefbot ARGS...` with DATABASE_URL at an empty PostgreSQL schema, from tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_PATH", raising=False)

    def invoke(*args: str):
        env = {"DATABASE_URL": database_url}
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def tables(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return sorted(row[0] for row in rows)


@pytest.mark.parametrize(
    "command",
    [
        ["search", "harbour"],
        ["brief", "harbour"],
        ["sources", "list"],
        ["digest", "list"],
        ["digest", "preview", "123"],
        ["poll"],
        ["status"],
    ],
)
def test_read_only_commands_on_an_empty_database_say_so_and_create_nothing(run, database_url, command):
    result = run(*command)
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: no store at postgresql://") or "no store at postgresql://" in line, line
    assert "briefbot migrate" in line
    assert tables(database_url) == []


def test_migrate_then_ingest_then_status_as_the_compose_health_check_runs_it(run, database_url, tmp_path):
    migrated = run("migrate")
    assert migrated.exit_code == 0, migrated.output
    assert f"schema version 0 -> {SCHEMA_VERSION}" in migrated.output
    assert "articles" in tables(database_url)
    assert run("ingest", "-q", str(REPO / "seeds")).exit_code == 0

    down = run("status")  # no bot has written a heartbeat yet
    assert down.exit_code == 1 and "DOWN: no heartbeat in" in down.output
    beat = datetime.now(UTC) - timedelta(seconds=5)
    write_heartbeat(tmp_path / "briefbot.db.heartbeat", guilds=2, now=beat)
    up = run("status")
    assert up.exit_code == 0, up.output
    assert "postgresql://" in up.output and "3 articles" in up.output
    assert f"schema {SCHEMA_VERSION}" in up.output or f"schema version {SCHEMA_VERSION}" in up.output
