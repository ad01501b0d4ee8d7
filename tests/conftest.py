"""Shared fixtures: a real SQLite store in a temp dir, settings that allow 127.0.0.1, an HTTP server."""

from __future__ import annotations

import os
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
from summarizer.store import Store  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for tests: a fresh database file; loopback URLs allowed (test servers)."""
    return Settings(database_path=str(tmp_path / "briefbot.db"), allow_private_urls=True)


@pytest.fixture
def store(settings: Settings):
    """A real store on a SQLite file in a temp dir."""
    opened = Store(settings.database_path)
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
