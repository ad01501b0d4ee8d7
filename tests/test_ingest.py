"""ingest(): files, folders, pages and feeds into a real SQLite store via a real HTTP server."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import SEEDS
from http_server import article_page, atom_feed, rdf_feed, rss_feed

from summarizer.errors import FeedError
from summarizer.models import Document, Outcome
from summarizer.sources.feeds import looks_like_feed, parse_feed
from summarizer.sources.ingest import ingest, ingest_document

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 16
TOPICS = ["harbour", "railway", "library", "vaccine", "election", "wildfire", "bridge", "orchestra"]


def paragraphs(topic: str, count: int = 5) -> list[str]:
    """Distinct, article-like paragraphs about a topic (enough words to be a full article)."""
    return [
        f"Officials said the {topic} project entered phase {n} this week, after months of "
        f"planning by engineers and residents who met in the town hall to discuss the {topic} "
        f"budget, the timetable and the expected effects on local traffic and schools."
        for n in range(1, count + 1)
    ]


def html(topic: str) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs(topic))


def outcomes(results) -> list[str]:
    return [r.outcome.value for r in results]


def test_seeds_are_added_once_then_duplicates(store, settings):
    first = ingest(store, [str(SEEDS)], settings)
    assert outcomes(first) == ["added"] * 3
    for result in first:
        assert 10 <= len(result.title) <= 120
        assert not result.title.lower().startswith(("follow us", "google cta"))
    assert store.count() == 3
    second = ingest(store, [str(SEEDS)], settings)
    assert outcomes(second) == ["duplicate"] * 3
    assert [r.article_id for r in second] == [r.article_id for r in first]
    article = store.get(first[0].article_id)
    assert article.url.startswith("file://") and article.link is None


def test_folder_with_every_kind_of_file_fails_item_by_item(store, settings, tmp_path):
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    (folder / "story.txt").write_text("\n".join(paragraphs("harbour")), encoding="utf-8")
    (folder / "sub" / "notes.md").write_text("# Railway notes\n\n" + "\n\n".join(paragraphs("railway")))
    (folder / "page.html").write_text(article_page("Library opens", paragraphs("library")))
    (folder / "broken.txt").write_bytes(b"text\x00\x01\x02 with NUL bytes" * 20)
    (folder / "photo.png").write_bytes(PNG)  # not a supported kind: left alone
    (folder / ".hidden.txt").write_text("never read")
    records = [
        {
            "title": "Vaccine rollout",
            "text": "\n".join(paragraphs("vaccine")),
            "url": "https://news.example/vaccine?utm_source=x",
            "published": "2026-11-01T09:30:00+01:00",
        },
        {"title": "No text here", "url": "https://news.example/empty"},
    ]
    (folder / "records.json").write_text(json.dumps(records))
    lines = [
        json.dumps(
            {
                "id": "e1",
                "title": "Election night",
                "content": "\n".join(paragraphs("election")),
                "date": "Tue, 03 Nov 2026 20:00:00 GMT",
                "author": "Sam Reporter",
            }
        ),
        "{not json",
        json.dumps({"id": "w1", "body": "\n".join(paragraphs("wildfire"))}),
    ]
    (folder / "more.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "feed.rss").write_text(
        rss_feed(
            "Local Wire",
            [
                (
                    "Bridge repaired",
                    "https://news.example/bridge",
                    "Mon, 02 Nov 2026 08:00:00 GMT",
                    html("bridge"),
                )
            ],
        )
    )
    seen = []
    results = ingest(store, [str(folder)], settings, on_result=seen.append)
    assert seen == results
    by_item = {r.item: r for r in results}
    failed = {r.item: r.reason for r in results if r.outcome is Outcome.FAILED}
    assert sorted(failed) == sorted(
        [str(folder / "broken.txt"), f"{folder / 'records.json'} record 2", f"{folder / 'more.jsonl'} line 2"]
    )
    assert failed[str(folder / "broken.txt")] == "broken.txt is a binary file, not text"
    assert failed[f"{folder / 'records.json'} record 2"] == (
        "record 2 has no text (expected a 'text', 'content' or 'body' field)"
    )
    assert failed[f"{folder / 'more.jsonl'} line 2"].startswith("not valid JSON")
    assert sum(r.outcome is Outcome.ADDED for r in results) == 7
    assert store.count() == 7
    vaccine = store.get(by_item[f"{folder / 'records.json'} record 1"].article_id)
    assert vaccine.url == "https://news.example/vaccine"
    assert vaccine.published_at == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    election = store.get(by_item[f"{folder / 'more.jsonl'} line 1"].article_id)
    assert (election.title, election.author) == ("Election night", "Sam Reporter")
    assert election.published_at == datetime(2026, 11, 3, 20, 0, tzinfo=UTC)
    assert election.url.endswith("more.jsonl#e1")
    wildfire = store.get(by_item[f"{folder / 'more.jsonl'} line 3"].article_id)
    assert "wildfire" in wildfire.title.lower()
    notes = store.get(by_item[str(folder / "sub" / "notes.md")].article_id)
    assert "Railway notes" in notes.title
    page = store.get(by_item[str(folder / "page.html")].article_id)
    assert page.title == "Library opens" and "<p>" not in page.text
    bridge = store.get(by_item["https://news.example/bridge"].article_id)
    assert (bridge.source, bridge.title) == ("Local Wire", "Bridge repaired")


def test_missing_path_and_empty_folder(store, settings, tmp_path):
    (tmp_path / "empty").mkdir()
    results = ingest(store, [str(tmp_path / "nope.txt"), str(tmp_path / "empty")], settings)
    assert outcomes(results) == ["failed", "failed"]
    assert results[0].reason == "no such file or folder"
    assert results[1].reason.startswith("no files to ingest in this folder")


def test_url_batch_reports_each_failure_and_stores_the_rest(http_server, store, settings, tmp_path):
    ingest(store, [str(SEEDS)], settings)  # already stored: must survive the batch
    quick = dataclasses.replace(settings, http_read_timeout=0.5)
    good = http_server.route("/good", article_page("Orchestra returns", paragraphs("orchestra")))
    http_server.redirect("/loop-a", "/loop-b")
    http_server.redirect("/loop-b", "/loop-a")
    targets = [
        http_server.route("/dead", "gone", status=404),
        http_server.route("/boom", "oops", status=500),
        http_server.route("/slow", "late", delay=3.0),
        http_server.route("/huge", b"x" * 20_000_000, content_type="text/plain"),
        http_server.url("/loop-a"),
        http_server.route(
            "/broken.xml",
            b"<?xml version='1.0'?><rss version='2.0'><channel><<<&&&",
            content_type="application/rss+xml",
        ),
        http_server.route("/pic", PNG, content_type="image/png"),
        http_server.route("/disguised", PNG, content_type="text/html"),
        http_server.route("/empty", "<html><body><nav>Home</nav></body></html>"),
        good,
    ]
    results = ingest(store, targets, quick)
    reasons = [r.reason for r in results]
    assert reasons[0] == "dead link: 404 Not Found"
    assert reasons[1].startswith("server error: 500")
    assert reasons[2] == "timed out after 0.5 s"
    assert reasons[3] == "page is larger than 5 MB"
    assert reasons[4].startswith("redirect loop")
    assert reasons[5].startswith("broken feed at")
    assert "image/png" in reasons[6]
    assert "binary data" in reasons[7]
    assert "No article text" in reasons[8]
    assert outcomes(results) == ["failed"] * 9 + ["added"]
    assert results[-1].title == "Orchestra returns"
    assert store.count() == 4


def test_feed_with_full_text_uses_it_without_fetching_pages(http_server, store, settings):
    items = [
        (f"{t.title()} news", http_server.url(f"/{t}"), f"Mon, 0{i + 1} Nov 2026 08:00:00 GMT", html(t))
        for i, t in enumerate(TOPICS[:3])
    ]
    feed_url = http_server.route("/rss", rss_feed("Town Crier", items), content_type="application/rss+xml")
    results = ingest(store, [feed_url], settings, scope="123")
    assert outcomes(results) == ["added"] * 3
    assert http_server.requests_to("/harbour") == []
    article = store.get(results[0].article_id)
    assert (article.source, article.title, article.scope) == ("Town Crier", "Harbour news", "123")
    assert article.published_at == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert store.count("123") == 3 and store.count("global") == 0


def test_teaser_feed_fetches_pages_and_page_duplicates_the_entry(http_server, store, settings):
    for topic in TOPICS[:2]:
        http_server.route(f"/{topic}", article_page(f"{topic.title()} story", paragraphs(topic)))
    items = [
        (
            f"{t.title()} story",
            http_server.url(f"/{t}?utm_source=rss"),
            "2026-11-02T08:00:00Z",
            "<p>A short teaser.</p>",
        )
        for t in TOPICS[:2]
    ]
    feed_url = http_server.route("/atom", atom_feed("Atom Daily", items), content_type="application/atom+xml")
    results = ingest(store, [feed_url], settings)
    assert outcomes(results) == ["added", "added"]
    article = store.get(results[0].article_id)
    assert article.url == http_server.url("/harbour")
    assert article.title == "Harbour story" and article.author == "Ann Writer"
    assert "phase 3" in article.text and article.source == "Atom Daily"
    again = ingest(store, [http_server.url("/harbour")], settings)
    assert outcomes(again) == ["duplicate"]
    assert again[0].article_id == results[0].article_id
    assert store.count() == 2


def test_teaser_entry_whose_page_is_dead_fails_alone(http_server, store, settings):
    http_server.route("/ok", article_page("Fine page", paragraphs("library")))
    items = [
        ("Dead one", http_server.url("/missing"), "2026-11-02T08:00:00Z", "<p>Teaser.</p>"),
        ("Good one", http_server.url("/ok"), "2026-11-02T09:00:00Z", "<p>Teaser.</p>"),
    ]
    url = http_server.route("/rdf", rdf_feed("RDF Wire", items), content_type="application/rdf+xml")
    results = ingest(store, [url], settings)
    assert outcomes(results) == ["failed", "added"]
    assert results[0].reason == "dead link: 404 Not Found"
    assert store.get(results[1].article_id).source == "RDF Wire"


def test_long_summary_stands_in_for_an_unreadable_page(http_server, store, settings):
    summary = " ".join(paragraphs("wildfire", 2))
    items = [
        ("Wildfire spreads", http_server.url("/forbidden"), "2026-11-02T08:00:00Z", ""),
        ("Short only", http_server.url("/forbidden2"), "2026-11-02T08:00:00Z", ""),
    ]
    feed = rss_feed("Summaries", items).replace(
        "<pubDate>", f"<description>&lt;p&gt;{summary}&lt;/p&gt;</description><pubDate>", 1
    )
    http_server.route("/forbidden", "no bots", status=403)
    url = http_server.route("/rss", feed, content_type="application/rss+xml")
    results = ingest(store, [url], settings)
    assert outcomes(results) == ["added", "failed"]
    assert store.get(results[0].article_id).text == summary
    assert results[1].reason == "dead link: 404 Not Found"


def test_updated_text_at_the_same_url_updates(http_server, store, settings):
    url = http_server.route("/story", article_page("Bridge story", paragraphs("bridge")))
    first = ingest(store, [url], settings)
    http_server.route(
        "/story",
        article_page(
            "Bridge story",
            paragraphs("bridge")
            + ["Update: the bridge reopened to cyclists on Friday evening after a final safety check."],
        ),
    )
    second = ingest(store, [url], settings)
    assert outcomes(first + second) == ["added", "updated"]
    assert first[0].article_id == second[0].article_id
    assert "reopened to cyclists" in store.get(first[0].article_id).text
    assert store.count() == 1


def test_broken_xml_with_entries_is_still_used():
    broken = rss_feed(
        "Sloppy Feed",
        [("Tom & Jerry", "https://x.example/a", "Mon, 02 Nov 2026 08:00:00 GMT", html("harbour"))],
    )
    feed = parse_feed(broken.encode(), "https://x.example/feed")
    assert feed.warning and len(feed.entries) == 1
    assert feed.entries[0].title == "Tom & Jerry"


def test_broken_xml_without_entries_is_a_clear_error():
    with pytest.raises(FeedError, match="broken feed at https://x.example/feed: the XML cannot be read"):
        parse_feed(b"<?xml version='1.0'?><rss version='2.0'><channel><<<&&&", "https://x.example/feed")


def test_feed_detection():
    assert looks_like_feed(rss_feed("t", []).encode())
    assert looks_like_feed(atom_feed("t", []).encode())
    assert looks_like_feed(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- hi -->\n" + rdf_feed("t", []).encode())
    assert not looks_like_feed(article_page("A page", ["text"]).encode())
    assert not looks_like_feed(b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>")


def test_ingest_document_dedupes_by_text(store):
    doc = Document(url="https://a.example/1", title="One", text="Some article text here.")
    assert ingest_document(store, doc).outcome is Outcome.ADDED
    same_text = Document(url="https://b.example/2", title="Copy", text="some   article text HERE.")
    assert ingest_document(store, same_text).outcome is Outcome.DUPLICATE
    empty = ingest_document(store, Document(url="https://c.example/3", title="Empty", text="  "))
    assert (empty.outcome, empty.reason) == (Outcome.FAILED, "no article text")
    assert store.count() == 1


def test_plain_text_and_json_urls(http_server, store, settings):
    text_url = http_server.route("/notes.txt", "\n".join(paragraphs("railway")), content_type="text/plain")
    records = [
        {"title": f"{t} item", "text": "\n".join(paragraphs(t)), "url": f"https://n.example/{t}"}
        for t in TOPICS[:2]
    ]
    records[1].pop("url")
    json_url = http_server.route(
        "/data.json", json.dumps({"articles": records}), content_type="application/json"
    )
    results = ingest(store, [text_url, json_url], settings)
    assert outcomes(results) == ["added", "added", "failed"]
    assert store.get(results[0].article_id).title.startswith("Officials said the railway project")
    assert store.get(results[1].article_id).url == "https://n.example/harbour"
    assert results[2].reason == "record 2 has no 'url' field (records read from the web need their own link)"


def test_wrong_encoding_file_is_read_and_binary_refused(store, settings, tmp_path):
    latin = tmp_path / "latin.txt"
    latin.write_bytes(("Le café de la gare a rouvert à Zürich après des travaux. " * 6).encode("latin-1"))
    blob = tmp_path / "blob.json"
    blob.write_bytes(PNG)
    results = ingest(store, [str(latin), str(blob)], settings)
    assert outcomes(results) == ["added", "failed"]
    assert "café" in store.get(results[0].article_id).text
    assert results[1].reason == "blob.json is a binary file, not text"


def test_file_url_target(store, settings, tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("\n".join(paragraphs("bridge")))
    results = ingest(store, [Path(path).as_uri()], settings)
    assert outcomes(results) == ["added"]


def test_private_address_is_a_per_item_failure_by_default(http_server, store, settings, tmp_path):
    public_only = dataclasses.replace(settings, allow_private_urls=False)
    page = http_server.route("/p", article_page("Private page", paragraphs("harbour")))
    story = tmp_path / "story.txt"
    story.write_text("\n".join(paragraphs("bridge")))
    results = ingest(store, [page, http_server.url("/p", host="localhost"), str(story)], public_only)
    assert outcomes(results) == ["failed", "failed", "added"]
    assert all(r.reason.startswith("refused: ") for r in results[:2])
    assert http_server.requests_to("/p") == []


def test_a_large_jsonl_file_is_stored_whole_and_in_order(store, settings, tmp_path):
    """More records than one batch: later batches are cleaned by a worker process."""
    lines = []
    for n in range(1, 1101):
        if n in (3, 777):
            lines.append(json.dumps({"id": n, "title": "No body"}))  # fails alone
        else:
            lines.append(
                json.dumps(
                    {
                        "id": n,
                        "title": f"Report number {n}",
                        "text": f"Council meeting {n} approved budget line {n * 7} for the harbour works. "
                        f"Officials said item {n} would be reviewed in the spring.",
                    }
                )
            )
    lines.insert(600, "{not json")
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    results = ingest(store, [str(path)], settings)
    assert len(results) == 1101
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    assert len(failed) == 3 and "no text" in failed[0].reason
    added = [r for r in results if r.outcome is Outcome.ADDED]
    assert [r.title for r in added][:3] == ["Report number 1", "Report number 2", "Report number 4"]
    assert added[-1].title == "Report number 1100"
    assert store.count() == 1098
    assert ingest(store, [str(path)], settings)[5].outcome is Outcome.DUPLICATE


def test_feed_entries_without_links_stay_separate_articles(http_server, store, settings):
    entries = "".join(
        f'<item><title>Bulletin {n}</title><guid isPermaLink="false">bulletin-{n}</guid>'
        f"<content:encoded><![CDATA[{html(f'bulletin {n} topic')}]]></content:encoded></item>"
        for n in (1, 2)
    )
    feed = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>Bulletins</title><link>http://example.org/</link>{entries}</channel></rss>"
    )
    url = http_server.route("/bulletins.xml", feed, content_type="application/rss+xml")
    results = ingest(store, [url], settings)
    assert outcomes(results) == ["added", "added"]
    assert store.count() == 2
    assert all(store.get(r.article_id).link is None for r in results)  # no link to show
    assert outcomes(ingest(store, [url], settings)) == ["duplicate", "duplicate"]
