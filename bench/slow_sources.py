"""Slow sources: how long a trickling server holds an ingest, and a poll of many slow feeds.

Run: `PYTHONPATH=.:tests python bench/slow_sources.py`

Everything is served by tests/http_server.py on 127.0.0.1, with the default settings
(HTTP_CONNECT_TIMEOUT=5, HTTP_READ_TIMEOUT=15: a 20 s overall deadline per fetch).
1. `ingest` of a page that sends one byte every 2 s, then a local file: wall time.
2. `poll_due` over 8 feeds that each answer after 1 s plus one trickling feed, with the
   download threads (POLL_FETCHERS) at 1 (one feed after another) and at the default.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

from http_server import LocalHTTPServer, article_page, rss_feed

from summarizer.config import Settings
from summarizer.sources import poll
from summarizer.sources.ingest import ingest
from summarizer.store import open_store

STORY = " ".join(
    f"The council met on day {n} to discuss the harbour works and the budget." for n in range(20)
)


def feed(server: LocalHTTPServer, name: str) -> str:
    html = "".join(f"<p>{STORY} Report {name}, part {n}.</p>" for n in range(3))
    return rss_feed(
        name, [(f"{name} report", server.url(f"/a/{name}"), "Mon, 02 Nov 2026 08:00:00 GMT", html)]
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder, LocalHTTPServer() as server:
        settings = Settings(database_path=str(Path(folder) / "bench.db"), allow_private_urls=True)
        store = open_store(settings.database_path)
        story = Path(folder) / "story.txt"
        story.write_text(STORY)
        drip = server.route("/drip", article_page("Drip", [STORY]), trickle=2.0)
        started = time.monotonic()
        results = ingest(store, [drip, str(story)], settings)
        print(
            f"ingest [page at 1 byte / 2 s, local file]: {time.monotonic() - started:.1f} s; "
            + "; ".join(f"{r.outcome.value}: {r.reason or r.title}" for r in results)
        )

        for fetchers in (1, poll.POLL_FETCHERS):
            store.db.execute("DELETE FROM sources")
            urls = [
                server.route(
                    f"/f{fetchers}-{n}.rss",
                    feed(server, f"feed{fetchers}x{n}"),
                    content_type="application/rss+xml",
                    delay=1.0,
                )
                for n in range(8)
            ]
            urls.append(
                server.route(
                    f"/drip{fetchers}.rss",
                    feed(server, "drip"),
                    content_type="application/rss+xml",
                    trickle=2.0,
                )
            )
            for url in urls:
                store.add_source(url)
            default = poll.POLL_FETCHERS
            poll.POLL_FETCHERS = fetchers
            started = time.monotonic()
            reports = poll.poll_due(store, dataclasses.replace(settings))
            elapsed = time.monotonic() - started
            poll.POLL_FETCHERS = default
            failed = [r.error for r in reports if not r.ok]
            print(
                f"poll of 8 feeds (1 s each) + 1 trickling, {fetchers} download thread(s): {elapsed:.1f} s; "
                f"{sum(r.ok for r in reports)} ok, failed: {failed}"
            )
        store.close()


if __name__ == "__main__":
    main()
