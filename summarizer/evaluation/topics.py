"""Query-focused multi-document evaluation data (DUC's format), read and checked.

One JSON object a line: `id`, `title` (the topic as a user would type it), `narrative`
(the question behind it), `docs` [{`id`, `date`, `headline`, `text`}] and `models`
[{`id`, `text`}] (reference summaries, one sentence a line). The DUC 2007 update format
has `sets` {A, B, C: {docs, models}} instead, in date order; each set is read as a topic
of its own (`D0703A-B`) that carries the docs of the sets before it (`earlier`: what the
reader of an update has already read).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from summarizer.errors import BriefbotError
from summarizer.store import parse_utc


class DataError(BriefbotError):
    """An evaluation data file is missing, empty or not in a known format."""


FORMATS = {
    "topics": "query-focused multi-document topics (id, title, narrative, docs, models)",
    "update": "update topics (id, title, narrative, sets of docs and models)",
    "articles": "single articles (id, text, summary)",
}
# NIST's summary length for each format (ROUGE's -l)
WORDS = {"topics": 250, "update": 100}


@dataclass(frozen=True)
class TopicDoc:
    """One article of a topic's set."""

    id: str
    headline: str
    text: str
    published: datetime | None


@dataclass(frozen=True)
class Topic:
    """A topic, its articles and its reference summaries (author -> text)."""

    id: str
    title: str
    narrative: str
    docs: tuple[TopicDoc, ...]
    models: tuple[tuple[str, str], ...]
    earlier: tuple[TopicDoc, ...] = ()  # an update set: the docs of the sets before it
    stage: int = 0  # an update set: how many sets come before it

    def statement(self, part: str) -> str:
        """The topic given to a summarizer: 'title', 'narrative' or 'both' (title then narrative)."""
        if part == "title":
            return self.title
        if part == "narrative":
            return self.narrative or self.title
        return f"{self.title}. {self.narrative}".strip(". ") if self.narrative else self.title


def _first_row(path: Path) -> dict:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(f"{path}:{number} is not JSON ({exc.msg})") from exc
                if not isinstance(row, dict):
                    raise DataError(f"{path}:{number} is not a JSON object")
                return row
    raise DataError(f"{path} is empty")


def detect_format(path: str | Path) -> str:
    """'topics', 'update' or 'articles', from the keys of the file's first row."""
    source = Path(path)
    if not source.is_file():
        raise DataError(f"no data file at {source}")
    row = _first_row(source)
    if "models" in row and "docs" in row:
        return "topics"
    if "sets" in row:
        return "update"
    if "text" in row and "summary" in row:
        return "articles"
    raise DataError(
        f"{source}: unknown format (first row has {', '.join(sorted(row)) or 'no keys'}); expected "
        + "; or ".join(FORMATS.values())
    )


def _doc(raw: object, where: str) -> TopicDoc:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not raw.get("id"):
        raise DataError(f"{where}: every doc needs an 'id' and a 'text'")
    published = None
    if raw.get("date"):
        try:
            published = parse_utc(str(raw["date"]))
        except ValueError as exc:
            raise DataError(f"{where}: doc {raw['id']} has a bad date {raw['date']!r}") from exc
    return TopicDoc(str(raw["id"]), str(raw.get("headline") or ""), raw["text"], published)


def _models(raw: object, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise DataError(f"{where}: 'models' must list at least 2 reference summaries")
    models = []
    for model in raw:
        if not isinstance(model, dict) or not model.get("id") or not isinstance(model.get("text"), str):
            raise DataError(f"{where}: every model needs an 'id' and a 'text'")
        models.append((str(model["id"]), model["text"]))
    return tuple(models)


def _topic(row: object, where: str) -> Topic:
    if not isinstance(row, dict) or not row.get("id") or not row.get("title"):
        raise DataError(f"{where}: a topic needs an 'id' and a 'title'")
    docs = row.get("docs")
    if not isinstance(docs, list) or not docs:
        raise DataError(f"{where}: topic {row['id']} has no 'docs'")
    return Topic(
        str(row["id"]),
        str(row["title"]),
        str(row.get("narrative") or ""),
        tuple(_doc(doc, where) for doc in docs),
        _models(row.get("models"), where),
    )


def _sets(row: object, where: str) -> list[Topic]:
    if not isinstance(row, dict) or not isinstance(row.get("sets"), dict) or not row["sets"]:
        raise DataError(f"{where}: an update topic needs 'sets' of docs and models")
    topics: list[Topic] = []
    for stage, (name, body) in enumerate(row["sets"].items()):
        fields = {**row, **(body if isinstance(body, dict) else {}), "id": f"{row.get('id')}-{name}"}
        topic = _topic(fields, where)
        earlier = tuple(doc for before in topics for doc in before.docs)
        topics.append(replace(topic, earlier=earlier, stage=stage))
    return topics


def load_topics(path: str | Path, limit: int | None = None) -> list[Topic]:
    """The topics of a file in the 'topics' or 'update' format (an update topic gives one
    topic per set), checked; only the first `limit` lines if given."""
    source = Path(path)
    kind = detect_format(source)
    if kind not in WORDS:
        raise DataError(f"{source} is not in a topics format: {FORMATS['topics']}; or {FORMATS['update']}")
    topics: list[Topic] = []
    with source.open(encoding="utf-8") as lines:
        read = 0
        for number, line in enumerate(lines, start=1):
            if limit is not None and read >= limit:
                break
            if not line.strip():
                continue
            where = f"{source}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{where} is not JSON ({exc.msg})") from exc
            topics.extend(_sets(row, where) if kind == "update" else [_topic(row, where)])
            read += 1
    if not topics:
        raise DataError(f"{source} holds no topics")
    return topics
