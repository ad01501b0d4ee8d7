"""PostgreSQL connections: the Stores of one process share one pool per database, so a bot
with a Store per worker thread (and every shard and poller process beside it) keeps few
connections open on the server."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from summarizer.store import open_store
from summarizer.store.postgres import POOL_MAX

APP = "briefbot-pool-test"  # names this test's connections on the server


def _connections(server: str) -> int:
    """Connections open on the server under this test's application name."""
    with psycopg.connect(server, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [APP]
        ).fetchone()
    return row[0] if row else 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_stores_of_one_process_share_one_pool(database_url, postgres_url):
    url = f"{database_url}&application_name={APP}"
    stores = [open_store(url) for _ in range(6)]  # a bot's lanes: a Store per thread
    try:
        assert all(s.count() == 0 for s in stores)
        assert _connections(postgres_url) <= 2  # one pool (was one per Store)
        barrier = threading.Barrier(len(stores))

        def work(store):
            barrier.wait()
            for _ in range(20):
                assert store.count() == 0

        threads = [threading.Thread(target=work, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert 1 <= _connections(postgres_url) <= POOL_MAX
        stores.pop().close()  # one Store closed: the others keep working on the shared pool
        assert all(s.count() == 0 for s in stores)
    finally:
        for s in stores:
            s.close()
    # The last Store closed the pool; a server backend ends a moment after its client left.
    deadline = time.monotonic() + 10
    while _connections(postgres_url) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _connections(postgres_url) == 0
