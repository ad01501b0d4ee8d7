"""Publication dates as written by feeds and records, read without guessing.

A date is read by the strictest reader that recognises its shape: ISO 8601 (`fromisoformat`),
then RFC 822 with English names (`email.utils`), then dateparser for everything else
(12-hour clocks, month and day names in other languages). A date whose shape is recognised
but whose fields are impossible (`2021-02-30`, `2023-13-45`, `0000-00-00`) is not a date: it
is never shifted into a neighbouring month. Dates outside [EARLIEST, now + FUTURE_SLACK] are
placeholders or mistakes, not publication dates; they too mean "undated", because a date in
the future would give the article full freshness until then. The caller gets the reason, to
say once per item.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dateparser

# Earlier dates are placeholders (0001-01-01, the zero date of many databases), not news.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
# Clocks and time zones disagree a little; more than this ahead is not a publication date.
FUTURE_SLACK = timedelta(days=1)

_ISO_SHAPE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ]|$)")
_RFC822_SHAPE = re.compile(
    r"^(?:[A-Za-z]{3},?\s+)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s+(?:[+-]\d{4}|[A-Za-z]{1,5}))?$"
)
# Absolute dates only: a feed's "2 hours ago" has no reference time we could trust.
_DATEPARSER_SETTINGS = {
    "TIMEZONE": "UTC",
    "RETURN_AS_TIMEZONE_AWARE": True,
    "REQUIRE_PARTS": ["day", "month", "year"],
    "PARSERS": ["absolute-time"],
}


@dataclass(frozen=True)
class DateReading:
    """A date as read: the moment (aware, UTC) or None, and why it is None when a date was given."""

    moment: datetime | None
    problem: str = ""  # "" when the date was read or when there was none


def _checked(moment: datetime, raw: str, now: datetime) -> DateReading:
    try:
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError):
        return DateReading(None, f"date {raw!r} is out of range; stored undated")
    if moment < EARLIEST:
        return DateReading(None, f"date {raw!r} is before {EARLIEST.year}; stored undated")
    if moment > now + FUTURE_SLACK:
        return DateReading(None, f"date {raw!r} is in the future; stored undated")
    return DateReading(moment)


def read_date(
    raw: str | None, languages: list[str] | None = None, now: datetime | None = None
) -> DateReading:
    """Read a publication date written as text; `languages` (ISO 639-1 codes) hint dateparser."""
    text = (raw or "").strip()
    if not text:
        return DateReading(None)
    now = now or datetime.now(UTC)
    iso = _ISO_SHAPE.match(text)
    if iso:
        try:
            year, month, day = (int(part) for part in iso.groups())
            datetime(year, month, day)
        except ValueError:  # month 13, February 30th, year 0: no reader may "fix" it
            return DateReading(None, f"date {text!r} is not a real date; stored undated")
        try:
            return _checked(datetime.fromisoformat(text.replace("Z", "+00:00")), text, now)
        except ValueError:
            pass  # a real day in a form fromisoformat does not take (odd time part): dateparser
    elif _RFC822_SHAPE.match(text):
        try:
            return _checked(email.utils.parsedate_to_datetime(text), text, now)
        except (TypeError, ValueError, IndexError):
            pass
    try:
        parsed = dateparser.parse(text, languages=languages or None, settings=_DATEPARSER_SETTINGS)
    except Exception:  # dateparser raises assorted errors (OverflowError, ValueError...) on odd input
        parsed = None
    if parsed is None:
        return DateReading(None, f"date {text!r} is not a real date; stored undated")
    return _checked(parsed, text, now)


def read_timestamp(value: float, now: datetime | None = None) -> DateReading:
    """A Unix timestamp (seconds) as a date, with the same range checks as `read_date`."""
    try:
        moment = datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return DateReading(None, f"timestamp {value!r} is out of range; stored undated")
    return _checked(moment, repr(value), now or datetime.now(UTC))
