"""Shared fixtures: a real store (a SQLite file in a temp dir, or a fresh PostgreSQL schema),
settings that allow 127.0.0.1, an HTTP server.

The store, search, retrieve, brief, digest, poll, poll-lease, copy and bot digest/shard tests run on both
backends: their `store` / `settings` / `database_url` fixtures are parametrized over
`sqlite` and `postgresql` (BOTH_BACKENDS). PostgreSQL comes from BRIEFBOT_TEST_POSTGRES_URL (`.ci/run`
starts a throw-away server and sets it); without it those cases skip, saying so, except
under CI (the CI variable set), where a missing server fails them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

# Two cores are shared by everything on this machine; keep torch from grabbing both.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from http_server import LocalHTTPServer  # noqa: E402

from summarizer.config import Settings  # noqa: E402
from summarizer.store import Store, open_store  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
# Test modules whose store-backed tests run on SQLite and on PostgreSQL.
BOTH_BACKENDS = frozenset(
    {
        "test_store",
        "test_search",
        "test_retrieve",
        "test_brief",
        "test_digest",
        "test_digest_claims",
        "test_bot_digest_takeover",
        "test_poll",
        "test_poll_leases",
        "test_copy",
        "test_bot_shards",
        "test_bot_digest",
        "test_bot_digest_updates",
    }
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests of BOTH_BACKENDS modules that use a store once per backend."""
    module = metafunc.module.__name__.rpartition(".")[2]
    if "backend" in metafunc.fixturenames and module in BOTH_BACKENDS:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """'sqlite', or 'postgresql' for the second run of a BOTH_BACKENDS test."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Where the test's store is: a new SQLite file, or a new schema on the test server
    (`postgres_url`: skips without one, fails under CI)."""
    if backend == "sqlite":
        yield str(tmp_path / "briefbot.db")
        return
    import psycopg

    from summarizer.store.postgres import with_search_path

    server = request.getfixturevalue("postgres_url")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    yield with_search_path(server, schema)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '10s'")
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for tests: a fresh store (DATABASE_URL on PostgreSQL, else a file in a temp
    dir); loopback URLs allowed (test servers)."""
    postgres = database_url.startswith("postgresql://")
    return Settings(
        database_path=str(tmp_path / "briefbot.db"),
        database_url=database_url if postgres else "",
        allow_private_urls=True,
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    """A real store: a SQLite file in a temp dir, or a fresh PostgreSQL schema."""
    opened = open_store(settings.store_url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server of the test run (BRIEFBOT_TEST_POSTGRES_URL, set by .ci/run).

    Without one, a test needing it skips, except in CI (env CI set), where it fails."""
    url = os.environ.get("BRIEFBOT_TEST_POSTGRES_URL", "").strip()
    if not url:
        reason = "PostgreSQL tests need BRIEFBOT_TEST_POSTGRES_URL (.ci/run starts a server)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture
def http_server() -> Iterator[LocalHTTPServer]:
    """A running LocalHTTPServer on 127.0.0.1 (tests/http_server.py), stopped at the end of the test."""
    with LocalHTTPServer() as server:
        yield server
