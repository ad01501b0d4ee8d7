"""Ingestion: files, folders, web pages and feeds into the store, one result per item.

A batch never stops on a bad item: each failure becomes an IngestResult with the reason,
and everything else is stored. Records of one file are written in grouped transactions
(BATCH_SIZE per commit) while a worker process cleans the next batch, which is what makes
bulk .jsonl ingestion fast.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import re
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import charset_normalizer

from summarizer.config import Settings
from summarizer.errors import BriefbotError, ExtractionError, ModelError
from summarizer.models import GLOBAL_SCOPE, Document, IngestResult, Outcome
from summarizer.sources.clean import clean_text, guess_title, tidy_title
from summarizer.sources.dates import DateReading, read_date, read_timestamp
from summarizer.sources.extract import extract_html
from summarizer.sources.feeds import (
    Feed,
    entry_document,
    entry_own_text,
    has_full_text,
    looks_like_feed,
    parse_feed,
)
from summarizer.sources.fetch import bom_encoding, decode_bytes, fetch, looks_binary
from summarizer.store import Store
from summarizer.store.vectors import embed_pending
from summarizer.urls import canonical_url, is_web_url, url_scheme

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
FEED_SUFFIXES = frozenset({".xml", ".rss", ".atom"})
RECORD_SUFFIXES = frozenset({".json", ".jsonl"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | FEED_SUFFIXES | RECORD_SUFFIXES
BATCH_SIZE = 500
TEXT_FIELDS = ("text", "content", "body", "content_text")  # content_text: JSON Feed
DATE_FIELDS = ("published", "published_at", "date", "date_published")
LIST_FIELDS = ("articles", "items", "entries", "records", "data")
_MD_HEADING = re.compile(r"\A\s*#{1,2}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)  # a leading "# Title"

Report = Callable[[IngestResult], None]


def ingest(
    store: Store,
    targets: Iterable[str],
    settings: Settings,
    scope: str = GLOBAL_SCOPE,
    on_result: Report | None = None,
) -> list[IngestResult]:
    """Ingest files, folders (recursively), web pages and feeds (URLs or files).

    Returns one IngestResult per item (a file, a record, a page, a feed entry); `on_result`
    is called with each as soon as it is known.
    """
    results: list[IngestResult] = []

    def report(result: IngestResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    for target in targets:
        try:
            _ingest_target(store, str(target), settings, scope, report)
        except BriefbotError as exc:
            report(_failed(str(target), str(exc)))
        except Exception as exc:  # a bug on one target must not lose the rest of the batch
            report(_unexpected(str(target), exc))
        catch_up_vectors(store, settings)
    return results


def catch_up_vectors(store: Store, settings: Settings) -> int:
    """Give vectors to the articles stored without one (see summarizer/store/vectors.py).

    Text is searchable as soon as it is stored; vectors follow here. A model that cannot
    load is logged, never fatal: the articles stay searchable by their words, and the next
    catch-up (or `briefbot embed`) tries again.
    """
    try:
        return embed_pending(store, settings)
    except ModelError as exc:
        log.warning("article vectors not made (searching by words only until they are): %s", exc)
        return 0


def ingest_document(store: Store, doc: Document, item: str | None = None) -> IngestResult:
    """Store one Document (added, updated or duplicate); a document without text fails.

    The title is stored as plain text, capped (`tidy_title`), whatever the source wrote.
    """
    label = item or doc.url
    if not doc.text.strip():
        return _failed(label, "no article text")
    doc.title = tidy_title(doc.title)
    outcome, article_id = store.upsert(doc)
    return IngestResult(item=label, outcome=outcome, article_id=article_id, title=doc.title)


def _failed(item: str, reason: str) -> IngestResult:
    return IngestResult(item=item, outcome=Outcome.FAILED, reason=reason)


def _unexpected(item: str, exc: Exception) -> IngestResult:
    """A failure nobody foresaw: the traceback to the log, one line to the user."""
    log.exception("ingesting %s failed", item)
    return _failed(item, f"unexpected error: {exc.__class__.__name__}: {exc}")


def _noted(result: IngestResult, note: str) -> IngestResult:
    """A stored item's result carrying what was wrong with it (a bad date, an unsafe link),
    said once: in the result's reason and one log line, when it is stored (not again on every
    poll that finds it already stored). A failure keeps its own reason."""
    if note and result.outcome in {Outcome.ADDED, Outcome.UPDATED}:
        result.reason = note
        log.warning("%s: %s", result.item, note)
    return result


def _ingest_target(store: Store, target: str, settings: Settings, scope: str, report: Report) -> None:
    scheme = urlsplit(target).scheme.lower()
    if scheme in {"http", "https"}:
        _ingest_url(store, target, settings, scope, report)
        return
    path = Path(unquote(urlsplit(target).path)) if scheme == "file" else Path(target).expanduser()
    if path.is_dir():
        files = _folder_files(path)
        if not files:
            kinds = ", ".join(sorted(SUPPORTED_SUFFIXES))
            report(_failed(target, f"no files to ingest in this folder (looked for {kinds})"))
        for file in files:
            try:
                _ingest_file(store, file, settings, scope, report)
            except BriefbotError as exc:
                report(_failed(str(file), str(exc)))
            except Exception as exc:  # one file must not lose the rest of the folder
                report(_unexpected(str(file), exc))
    elif path.is_file():
        _ingest_file(store, path, settings, scope, report)
    else:
        report(_failed(target, "no such file or folder"))


def _folder_files(folder: Path) -> list[Path]:
    """Supported files under a folder, recursively, in name order; hidden ones are left out."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def _decode_file(data: bytes, path: Path) -> str:
    """Text of a file: UTF-8, else the best detected encoding; binary data is refused."""
    if looks_binary(data):
        raise ExtractionError(f"{path.name} is a binary file, not text")
    try:
        return data.decode(bom_encoding(data) or "utf-8-sig")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(data).best()
        if best is None:
            raise ExtractionError(f"{path.name} is not a text file (its encoding cannot be read)") from None
        return str(best)


def _ingest_file(store: Store, path: Path, settings: Settings, scope: str, report: Report) -> None:
    item = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        report(_failed(item, f"cannot read the file: {exc.strerror or exc}"))
        return
    suffix = path.suffix.lower()
    file_url = path.resolve().as_uri()
    sample = data
    if suffix == ".jsonl" and not bom_encoding(data):
        # Judged on whole lines only: a crash's NUL padding after the last one fails alone.
        sample = data[:8192]
        sample = sample[: sample.rfind(b"\n")] if b"\n" in sample else sample
    if looks_binary(sample):
        report(_failed(item, f"{path.name} is a binary file, not text"))
    elif suffix in FEED_SUFFIXES or looks_like_feed(data):
        feed = parse_feed(data, file_url)
        _ingest_feed(store, feed, settings, scope, report)
    elif suffix == ".jsonl":
        _ingest_records(store, _jsonl_records(data, path), item, file_url, path.stem, scope, report)
    elif suffix in RECORD_SUFFIXES:
        records = _json_records(_decode_file(data, path))
        _ingest_records(store, records, item, file_url, path.stem, scope, report)
    elif suffix in HTML_SUFFIXES:
        doc = extract_html(decode_bytes(data), file_url)
        _report_document(store, _with(doc, url=file_url, scope=scope), item, report)
    else:
        doc = _text_document(_decode_file(data, path), file_url, markdown=suffix in {".md", ".markdown"})
        doc.scope = scope
        _report_document(store, doc, item, report)


def _text_document(raw: str, url: str, markdown: bool = False) -> Document:
    """A plain-text (or Markdown) article: cleaned, titled by its heading or first line."""
    text = clean_text(raw)
    if not text.strip():
        raise ExtractionError("no article text left once boilerplate is removed")
    heading = _MD_HEADING.match(raw) if markdown else None
    title = heading.group(1).strip() if heading else guess_title(text)
    return Document(url=url, title=title, text=text)


def load_document(target: str, settings: Settings) -> Document:
    """Read one file or web page into a clean Document without storing it (`summarize`)."""
    if urlsplit(target).scheme.lower() in {"http", "https"}:
        result = fetch(target, settings)
        if result.content_type == "text/plain":
            return _text_document(result.text, result.url)
        return _with(extract_html(result.text, result.url), url=result.url, scope=GLOBAL_SCOPE)
    path = Path(target).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExtractionError(f"cannot read {target}: {exc.strerror or exc}") from None
    url = path.resolve().as_uri()
    if path.suffix.lower() in HTML_SUFFIXES:
        return _with(extract_html(decode_bytes(data), url), url=url, scope=GLOBAL_SCOPE)
    return _text_document(_decode_file(data, path), url, markdown=path.suffix.lower() in {".md", ".markdown"})


def _with(doc: Document, url: str, scope: str) -> Document:
    """An extracted page as stored: its URL and scope set, a title guessed when missing."""
    doc.url = url
    doc.scope = scope
    doc.title = doc.title or guess_title(doc.text)
    return doc


def _report_document(store: Store, doc: Document, item: str, report: Report, note: str = "") -> None:
    try:
        report(_noted(ingest_document(store, doc, item), note))
    except Exception as exc:  # a store failure on one item must not stop the batch
        log.exception("storing %s failed", item)
        report(_failed(item, f"could not store it: {exc}"))


def _ingest_url(store: Store, url: str, settings: Settings, scope: str, report: Report) -> None:
    result = fetch(url, settings)
    if looks_like_feed(result.content, result.content_type):
        _ingest_feed(store, parse_feed(result.content, result.url), settings, scope, report)
    elif result.content_type in {"application/json", "application/feed+json"} or result.content_type.endswith(
        "+json"
    ):
        records = _json_records(result.text)
        _ingest_records(store, records, url, result.url, "", scope, report)
    elif result.content_type == "text/plain":
        doc = _text_document(result.text, result.url)
        doc.scope = scope
        _report_document(store, doc, url, report)
    else:
        doc = extract_html(result.text, result.url)
        _report_document(store, _with(doc, url=result.url, scope=scope), url, report)


def _stored_id(store: Store, url: str, scope: str) -> int | None:
    row = store.db.execute(
        "SELECT id FROM articles WHERE url = ? AND scope = ?", [canonical_url(url), scope]
    ).fetchone()
    return row[0] if row else None


def ingest_feed(
    store: Store, feed: Feed, settings: Settings, scope: str = GLOBAL_SCOPE
) -> list[IngestResult]:
    """Store a parsed feed's entries (the poller calls this with the entries it selected)."""
    results: list[IngestResult] = []
    _ingest_feed(store, feed, settings, scope, results.append)
    catch_up_vectors(store, settings)
    return results


def _ingest_feed(store: Store, feed: Feed, settings: Settings, scope: str, report: Report) -> None:
    if not feed.entries:
        report(_failed(feed.url, f"the feed {feed.title} has no entries"))
    for entry in feed.entries:
        try:
            own_text = entry_own_text(entry)
            known = _stored_id(store, entry.url, scope)
            if known is not None and not has_full_text(own_text):
                # Already stored from its page: polling must not re-download every page.
                report(IngestResult(entry.url, Outcome.DUPLICATE, known, entry.title))
                continue
            doc = entry_document(entry, feed, settings, scope, own_text)
        except BriefbotError as exc:
            report(_failed(entry.url, str(exc)))
            continue
        except Exception as exc:  # one entry must not lose the rest of the feed
            report(_unexpected(entry.url, exc))
            continue
        _report_document(store, doc, entry.url, report, entry.note)


# -- JSON records ----------------------------------------------------------------------


def _json_records(text: str) -> Iterator[tuple[str, object]]:
    """(label, record) pairs of a JSON document: one object, a list, or {"articles": [...]}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExtractionError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(data, dict):
        nested = next((data[k] for k in LIST_FIELDS if isinstance(data.get(k), list)), None)
        data = nested if nested is not None else [data]
    if not isinstance(data, list):
        raise ExtractionError("JSON must be an object or a list of objects")
    for number, record in enumerate(data, start=1):
        yield f"record {number}", record


def _jsonl_lines(data: bytes, path: Path) -> Iterator[str | ExtractionError]:
    """The lines of a JSON Lines file, each decoded alone: JSON Lines are UTF-8 (jsonlines.org),
    so a line that is not (a stray byte, a crash's NUL padding) is an error for that line only.
    A file with a UTF-16/32 byte-order mark is decoded whole."""
    encoding = bom_encoding(data)
    if encoding and encoding != "utf-8-sig":
        yield from _decode_file(data, path).split("\n")
        return
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if b"\x00" in raw:
            yield ExtractionError("binary data (NUL bytes), not a line of text")
            continue
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            yield ExtractionError(f"not valid UTF-8 (byte {exc.start + 1}); JSON Lines must be UTF-8")


def _jsonl_records(data: bytes, path: Path) -> Iterator[tuple[str, object]]:
    """(label, record) pairs of a JSON Lines file; a bad line is a record that fails."""
    for number, line in enumerate(_jsonl_lines(data, path), start=1):
        if isinstance(line, ExtractionError):
            yield f"line {number}", line
            continue
        if not line.strip():
            continue
        try:
            yield f"line {number}", json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"line {number}", ExtractionError(f"not valid JSON ({exc.msg})")


def _parse_date(value: object) -> DateReading:
    """A record's date: ISO 8601, RFC 2822, other written forms, or a Unix timestamp."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return read_timestamp(value)
    if isinstance(value, str):
        return read_date(value)
    return DateReading(None, f"date {value!r} is not a date; stored undated" if value else "")


def _record_document(
    record: object, label: str, base_url: str, source: str, scope: str
) -> tuple[Document, str]:
    """A record as a Document, with a note on what was wrong but did not stop it."""
    if isinstance(record, Exception):
        raise record
    if not isinstance(record, dict):
        raise ExtractionError(f"{label} is not a JSON object")
    raw = next((record[k] for k in TEXT_FIELDS if isinstance(record.get(k), str) and record[k].strip()), None)
    if raw is None:
        raise ExtractionError(f"{label} has no text (expected a 'text', 'content' or 'body' field)")
    text = clean_text(raw)
    if not text.strip():
        raise ExtractionError(f"{label} has no text left after removing boilerplate")
    url = record.get("url") or record.get("link")
    notes = []
    if isinstance(url, str) and url.strip() and not is_web_url(url):
        # javascript:, data:, vbscript:, file: or a relative path: never an article's address.
        scheme = url_scheme(url)
        kind = f"a {scheme}: link" if scheme else "a relative link"
        if not base_url.startswith("file:"):
            raise ExtractionError(
                f"{label} has {kind}, not a web address (records read from the web need their own link)"
            )
        notes.append(f"{kind} is not a web address; stored without a link")
        url = None
    if not isinstance(url, str) or not url.strip():
        if not base_url.startswith("file:"):
            # A web URL's #fragment is dropped from canonical URLs: every such record would
            # collide on the JSON document's address, so a record from the web needs its own.
            raise ExtractionError(
                f"{label} has no 'url' field (records read from the web need their own link)"
            )
        key = record.get("id")
        anchor = str(key) if isinstance(key, (str, int)) and str(key).strip() else label.replace(" ", "-")
        url = f"{base_url}#{anchor}"
    title = record.get("title")
    published = _parse_date(next((record[k] for k in DATE_FIELDS if record.get(k)), None))
    author = record.get("author")
    record_source = record.get("source")
    document = Document(
        url=url.strip(),
        title=title.strip() if isinstance(title, str) and title.strip() else guess_title(text),
        text=text,
        source=record_source if isinstance(record_source, str) else source,
        author=author if isinstance(author, str) else "",
        published_at=published.moment,
        scope=scope,
    )
    return document, "; ".join(part for part in [published.problem, *notes] if part)


def _record_documents(
    batch: list[tuple[str, object]], base_url: str, source: str, scope: str
) -> list[tuple[Document, str] | BriefbotError]:
    """Clean one batch of records: a Document and its note, or the error that makes a record fail."""
    documents: list[tuple[Document, str] | BriefbotError] = []
    for label, record in batch:
        try:
            documents.append(_record_document(record, label, base_url, source, scope))
        except BriefbotError as exc:
            documents.append(exc)
    return documents


def _batches(records: Iterator[tuple[str, object]]) -> Iterator[list[tuple[str, object]]]:
    batch: list[tuple[str, object]] = []
    for pair in records:
        batch.append(pair)
        if len(batch) >= BATCH_SIZE:
            yield batch
            batch = []
    if batch:
        yield batch


@contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) in this thread while a worker process starts: the worker inherits
    the held signal and never sees it, so only this process stops (and says what it stored),
    as multiprocessing does for its own resource tracker. A Ctrl-C meanwhile arrives after."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _ingest_records(
    store: Store,
    records: Iterator[tuple[str, object]],
    item: str,
    base_url: str,
    source: str,
    scope: str,
    report: Report,
) -> None:
    """Store records in transactions of BATCH_SIZE; each bad record fails alone.

    From the second batch on, a worker process cleans the next batch while this one writes
    the previous one to SQLite: cleaning and FTS indexing each take about half the time, so
    a large .jsonl file ingests up to twice as fast on two cores.
    """

    def store_batch(
        batch: list[tuple[str, object]], documents: list[tuple[Document, str] | BriefbotError]
    ) -> None:
        results = []
        with store.transaction():
            for (label, _), doc in zip(batch, documents, strict=True):
                name = f"{item} {label}"
                if isinstance(doc, BriefbotError):
                    results.append(_failed(name, str(doc)))
                    continue
                try:
                    results.append(_noted(ingest_document(store, doc[0], name), doc[1]))
                except Exception as exc:  # one record the store rejects must not lose the batch
                    log.exception("storing %s failed", name)
                    results.append(_failed(name, f"could not store it: {exc}"))
        for result in results:
            report(result)

    batches = _batches(records)
    first = next(batches, None)
    if first is None:
        return
    following = next(batches, None)
    if following is None:  # one batch: no worker process is worth starting
        store_batch(first, _record_documents(first, base_url, source, scope))
        return
    # "spawn": never fork a process that may hold threads (the bot's worker pools).
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        with _interrupts_held():  # the worker starts on the first submit
            cleaning = (following, pool.submit(_record_documents, following, base_url, source, scope))
        store_batch(first, _record_documents(first, base_url, source, scope))
        for batch in batches:
            ready = cleaning
            cleaning = (batch, pool.submit(_record_documents, batch, base_url, source, scope))
            store_batch(ready[0], ready[1].result())
        store_batch(cleaning[0], cleaning[1].result())
