"""Hostile and broken feeds, files and records: every item stands alone, nothing else is lost.

Real files in a temp dir, a real HTTP server on 127.0.0.1, a real SQLite store, and the real
`briefbot` command line for what a user reads.
"""

from __future__ import annotations

import codecs
import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from http_server import feed_body, rss_feed

from summarizer.cli import main
from summarizer.errors import FeedError
from summarizer.models import Outcome
from summarizer.sources.ingest import ingest
from summarizer.sources.poll import add_feed, poll_due

OUT_OF_RANGE = [
    "0000-00-00T00:00:00Z",
    "0000-00-00 00:00:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-14:00",
]
IMPOSSIBLE = ["2023-13-45T10:00:00Z", "2021-02-30"]
GOOD_DATE = "Mon, 02 Nov 2026 08:00:00 GMT"


def text(topic: str) -> str:
    return " ".join(
        f"Plain text about the {topic} project, paragraph {n}, for the council." for n in range(8)
    )


def dated_items(dates: list[str]) -> list[tuple[str, str, str, str]]:
    return [
        (f"Story {n}", f"https://news.example/story-{n}", date, feed_body(f"topic{n}"))
        for n, date in enumerate(dates)
    ]


def by_item(results):
    return {r.item: r for r in results}


# -- dates -------------------------------------------------------------------------------


def test_out_of_range_and_impossible_dates_in_a_feed_file_mean_undated(store, settings, tmp_path, caplog):
    future = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    bad = OUT_OF_RANGE + IMPOSSIBLE + [future]
    feed = tmp_path / "wire.xml"
    feed.write_text(rss_feed("Wire", dated_items([GOOD_DATE, *bad])), encoding="utf-8")
    after = tmp_path / "after.txt"
    after.write_text(text("harbour"))
    with caplog.at_level(logging.WARNING, logger="summarizer.sources.ingest"):
        results = ingest(store, [str(feed), str(after)], settings)
    assert [r.outcome for r in results] == [Outcome.ADDED] * (len(bad) + 2)
    good = store.get(results[0].article_id)
    assert good.published_at == datetime(2026, 11, 2, 8, 0, tzinfo=UTC) and results[0].reason == ""
    for result, date in zip(results[1 : len(bad) + 1], bad, strict=True):
        assert store.get(result.article_id).published_at is None, date  # never shifted, never 10000
        assert date in result.reason and "stored undated" in result.reason
    said = [record.getMessage() for record in caplog.records if "stored undated" in record.getMessage()]
    assert len(said) == len(bad)  # once per item
    assert store.get(results[-1].article_id).title.startswith("Plain text about the harbour")


def test_out_of_range_dates_in_json_lines_keep_every_record(store, settings, tmp_path):
    lines = [
        json.dumps({"id": n, "title": f"Record {n}", "text": text(f"topic{n}"), "date": date})
        for n, date in enumerate([*OUT_OF_RANGE, *IMPOSSIBLE, "2026-11-01T09:30:00+01:00"])
    ]
    lines.append(json.dumps({"id": "ts", "title": "Timestamp", "text": text("timestamp"), "date": 1e20}))
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    results = ingest(store, [str(path)], settings)
    assert [r.outcome for r in results] == [Outcome.ADDED] * 8
    dates = [store.get(r.article_id).published_at for r in results]
    assert dates[6] == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert dates[:6] == [None] * 6 and dates[7] is None
    assert all("stored undated" in r.reason for r in results[:6] + results[7:])


def test_sources_add_and_polls_survive_a_feed_with_out_of_range_dates(http_server, store, settings):
    items = dated_items([GOOD_DATE, *OUT_OF_RANGE])
    url = http_server.route("/rss", rss_feed("Odd Dates", items), content_type="application/rss+xml")
    source, created = add_feed(store, url, settings)
    assert created and source["title"] == "Odd Dates"
    now = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    [report] = poll_due(store, settings, now=now)
    assert report.ok, report.error
    # First poll: recent items and undated ones (their age is unknown) are stored.
    assert report.added == 5 and store.count() == 5
    longer = dated_items([GOOD_DATE, *OUT_OF_RANGE, "2023-13-45T10:00:00Z"])
    http_server.route("/rss", rss_feed("Odd Dates", longer), content_type="application/rss+xml")
    [again] = poll_due(store, settings, now=now + timedelta(hours=1))
    assert again.ok and again.added == 1 and store.count() == 6
    # Said once per item: when stored, not again on each poll that finds it stored.
    assert [r.reason for r in again.results if r.reason] == [
        "date '2023-13-45T10:00:00Z' is not a real date; stored undated"
    ]


def test_twelve_hour_clocks_and_dates_in_other_languages(store, settings, tmp_path):
    def feed(language: str, date: str) -> str:
        document = rss_feed(
            f"Feed {language}",
            [(f"News {language}", f"https://n.example/{language}", date, feed_body(language))],
        )
        return document.replace("<description>", f"<language>{language}</language><description>", 1)

    cases = {
        "en-us": ("Sat, Dec 16 2023 02:02:33 PM", datetime(2023, 12, 16, 14, 2, 33, tzinfo=UTC)),
        "pt-br": ("Sáb, 16 dez 2023 14:02:33 -0300", datetime(2023, 12, 16, 17, 2, 33, tzinfo=UTC)),
        "it": ("sab, 16 dic 2023 14:02:33 +0100", datetime(2023, 12, 16, 13, 2, 33, tzinfo=UTC)),
    }
    paths = []
    for language, (date, _) in cases.items():
        paths.append(tmp_path / f"{language}.xml")
        paths[-1].write_text(feed(language, date), encoding="utf-8")
    results = ingest(store, [str(p) for p in paths], settings)
    assert [r.outcome for r in results] == [Outcome.ADDED] * 3
    assert [store.get(r.article_id).published_at for r in results] == [when for _, when in cases.values()]
    assert all(r.reason == "" for r in results)
    # Records name no language: it is recognised from the date itself.
    records = tmp_path / "records.jsonl"
    records.write_text(
        "\n".join(
            json.dumps({"id": n, "text": text(f"record{n}"), "date": date})
            for n, date in enumerate(["sabato 16 dicembre 2023 14:02", "16 de dezembro de 2023 09:30"])
        )
    )
    stored = ingest(store, [str(records)], settings)
    assert [store.get(r.article_id).published_at for r in stored] == [
        datetime(2023, 12, 16, 14, 2, tzinfo=UTC),
        datetime(2023, 12, 16, 9, 30, tzinfo=UTC),
    ]


# -- empty bodies ------------------------------------------------------------------------


def test_empty_feed_file_and_empty_feed_reply_fail_alone(http_server, store, settings, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a-empty.xml").write_bytes(b"")
    (folder / "b-story.txt").write_text(text("library"))
    empty_url = http_server.route("/empty.rss", b"", content_type="application/rss+xml")
    atom_url = http_server.route("/empty.atom", b"", content_type="application/atom+xml")
    good = rss_feed("Good", dated_items([GOOD_DATE]))
    good_url = http_server.route("/good.rss", good, content_type="application/rss+xml")
    results = ingest(store, [str(folder), empty_url, atom_url, good_url], settings)
    assert [r.outcome for r in results] == [
        Outcome.FAILED,
        Outcome.ADDED,
        Outcome.FAILED,
        Outcome.FAILED,
        Outcome.ADDED,
    ]
    assert results[0].reason == f"empty feed: {(folder / 'a-empty.xml').as_uri()} has no content"
    assert results[2].reason == f"empty feed: {empty_url} has no content"
    assert results[3].reason == f"empty feed: {atom_url} has no content"
    with pytest.raises(FeedError, match="empty feed"):
        add_feed(store, empty_url, settings)


# -- encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_feeds_with_a_byte_order_mark_are_read(http_server, store, settings, tmp_path, encoding):
    bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
    document = rss_feed(
        "Café Wire", [("Zürich café reopens", "https://n.example/cafe", GOOD_DATE, feed_body("café"))]
    )
    data = bom + document.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode(encoding)
    path = tmp_path / "wire.xml"
    path.write_bytes(data)
    as_rss = http_server.route("/wire.rss", data, content_type="application/rss+xml")
    as_xml = http_server.route("/wire.xml", data, content_type="text/xml")
    results = ingest(store, [str(path), as_rss, as_xml], settings)
    assert [r.outcome for r in results] == [Outcome.ADDED, Outcome.DUPLICATE, Outcome.DUPLICATE]
    article = store.get(results[0].article_id)
    assert (article.title, article.source) == ("Zürich café reopens", "Café Wire")
    assert "café story" in article.text


def test_one_invalid_utf8_line_fails_alone(store, settings, tmp_path):
    lines = [
        json.dumps({"id": n, "title": f"Record {n}", "text": text(f"topic{n}")}).encode() for n in range(10)
    ]
    lines[4] = lines[4].replace(b"Record 4", b"Record \xff\xfe 4")
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    results = ingest(store, [str(path)], settings)
    assert [r.outcome for r in results].count(Outcome.ADDED) == 9 and store.count() == 9
    [failed] = [r for r in results if r.outcome is Outcome.FAILED]
    assert failed.item == f"{path} line 5" and "not valid UTF-8" in failed.reason


def test_a_nul_padded_tail_fails_alone(store, settings, tmp_path):
    lines = [json.dumps({"id": n, "title": f"Record {n}", "text": text(f"topic{n}")}) for n in range(10)]
    path = tmp_path / "crashed.jsonl"
    path.write_bytes("\n".join(lines).encode() + b"\n" + b"\x00" * 20_000)
    results = ingest(store, [str(path)], settings)
    assert [r.outcome for r in results] == [Outcome.ADDED] * 10 + [Outcome.FAILED]
    assert results[-1].item == f"{path} line 11" and "NUL" in results[-1].reason
    assert store.count() == 10


def test_a_binary_file_named_jsonl_is_still_one_refusal(store, settings, tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\n" * 50
    path = tmp_path / "picture.jsonl"
    path.write_bytes(png)
    [result] = ingest(store, [str(path)], settings)
    assert (result.outcome, result.reason) == (Outcome.FAILED, "picture.jsonl is a binary file, not text")


# -- titles ------------------------------------------------------------------------------


def test_titles_are_plain_text_and_capped(store, settings, tmp_path):
    titles = [
        "<![CDATA[Rent rises to &#x0024;40 per m<sup>2</sup>]]>",
        "<![CDATA[<b>Look&Lease</b> opens a branch]]>",
        "<![CDATA[Laughs &lol9; everywhere &lol9;]]>",
        "Word " * 200_000,
    ]
    items = [
        (title, f"https://n.example/t{n}", GOOD_DATE, feed_body(f"title{n}"))
        for n, title in enumerate(titles)
    ]
    feed = tmp_path / "titles.xml"
    feed.write_text(rss_feed("Titles", items), encoding="utf-8")
    records = tmp_path / "long.jsonl"
    records.write_text(json.dumps({"id": 1, "title": "x" * 1_000_000, "text": text("long")}))
    results = ingest(store, [str(feed), str(records)], settings)
    assert [r.outcome for r in results] == [Outcome.ADDED] * 5
    stored = [store.get(r.article_id).title for r in results]
    assert stored[:3] == ["Rent rises to $40 per m2", "Look&Lease opens a branch", "Laughs everywhere"]
    assert len(stored[3]) <= 301 and stored[3].endswith("Word…")
    assert len(stored[4]) == 301 and stored[4].endswith("…")


# -- links -------------------------------------------------------------------------------


def test_relative_links_in_a_local_feed_resolve_against_its_site_or_are_dropped(store, settings, tmp_path):
    with_site = tmp_path / "with-site.xml"
    with_site.write_text(
        rss_feed(
            "Blog",
            [("Post one", "/blog/post-1", GOOD_DATE, feed_body("post one"))],
            link="https://blog.example/",
        ),
        encoding="utf-8",
    )
    without_site = tmp_path / "without-site.xml"
    without_site.write_text(
        rss_feed(
            "Notes", [("Post two", "/blog/post-2", GOOD_DATE, feed_body("post two"))], link="index.html"
        ),
        encoding="utf-8",
    )
    results = ingest(store, [str(with_site), str(without_site)], settings)
    assert [r.outcome for r in results] == [Outcome.ADDED] * 2
    first, second = (store.get(r.article_id) for r in results)
    assert first.url == "https://blog.example/blog/post-1"
    assert second.url.startswith("urn:briefbot:entry:") and second.link is None
    assert "relative link" in results[1].reason


UNSAFE = [
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
]


def test_unsafe_item_links_are_never_stored_nor_printed(tmp_path, monkeypatch):
    items = [(f"Unsafe {n}", link, GOOD_DATE, feed_body(f"unsafe{n}")) for n, link in enumerate(UNSAFE)]
    feed = tmp_path / "unsafe.xml"
    feed.write_text(
        rss_feed("Unsafe", items).replace(
            "<link>data:text/html,<script>alert(1)</script></link>", "<link>data:text/html,&lt;b&gt;x</link>"
        ),
        encoding="utf-8",
    )
    records = tmp_path / "unsafe.jsonl"
    records.write_text(
        "\n".join(
            json.dumps({"title": f"Record {n}", "url": link, "text": text(f"record{n}")})
            for n, link in enumerate(UNSAFE)
        )
    )
    monkeypatch.chdir(tmp_path)
    db = str(tmp_path / "cli.db")
    runner = CliRunner()
    ingested = runner.invoke(main, ["--db", db, "ingest", str(feed), str(records)], catch_exceptions=False)
    assert "8 added" in ingested.output, ingested.output
    shown = runner.invoke(
        main, ["--db", db, "search", "unsafe OR record", "--limit", "20"], catch_exceptions=False
    )
    as_json = runner.invoke(
        main, ["--db", db, "search", "unsafe OR record", "--limit", "20", "--json"], catch_exceptions=False
    )
    hits = json.loads(as_json.output)
    assert len(hits) == 8
    for scheme in ("javascript:", "data:", "vbscript:", "file:///etc"):
        assert scheme not in shown.output and scheme not in as_json.output
    urls = sorted(hit["url"] for hit in hits)
    assert sum(url.startswith("urn:briefbot:entry:") for url in urls) == 4
    assert sum(url.startswith(records.as_uri() + "#") for url in urls) == 4


# -- slow servers --------------------------------------------------------------------------


def test_a_trickling_feed_fails_alone_at_the_deadline(http_server, store, settings):
    quick = dataclasses.replace(settings, http_connect_timeout=0.5, http_read_timeout=1.0)
    feed = rss_feed("Drip", dated_items([GOOD_DATE]))
    drip = http_server.route("/drip.rss", feed, content_type="application/rss+xml", trickle=0.25)
    good = http_server.route("/good.rss", feed.replace("Drip", "Good"), content_type="application/rss+xml")
    results = ingest(store, [drip, good], quick)
    assert [(r.outcome, r.reason) for r in results] == [
        (Outcome.FAILED, "timed out after 1.5 s (the whole download)"),
        (Outcome.ADDED, ""),
    ]
