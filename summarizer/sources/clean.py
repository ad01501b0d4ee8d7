"""Generic boilerplate removal for article text, and a title guess for plain-text files.

Hand-written on purpose: trafilatura removes page chrome from HTML, but text files, feed
summaries and trafilatura's own output still carry what a page glues around an article
(calls to action, credits, teaser stories, navigation). The rules below work on line
*shapes* and generic vocabulary only, never on a particular site's strings:

* a line is **body** when it reads like prose (ends like a sentence, or is long);
* **junk** lines are dropped: calls to action and share/follow/subscribe/newsletter lines,
  photo/image credits, "read more"/"keep reading"/"show less" markers, byline/timestamp
  lines, and short lines repeated on the page (a long repeated paragraph is kept once);
* **navigation** is dropped: short title-less lines (<= 5 words, no sentence punctuation)
  next to other such lines or to junk, before the first body paragraph, or carrying
  navigation vocabulary; runs of 3+ title-like lines (a headline list); the list after a
  "Related stories"/"More from..." heading;
* **teaser stories** glued after the main one are dropped whole: a block that ends with a
  "keep reading"/"read more" marker and opens with a header run (title-like lines, credits,
  repeated headlines) that starts after the main article's first paragraph.

Short real sentences survive (they end with punctuation), and so does the first body
paragraph unless it is itself a call to action.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

import lxml.etree
import lxml.html

from summarizer.sentences import split_sentences

TITLE_MAX_CHARS = 100
# A title as given (feed, page, record) is kept whole up to this length, then cut at a word.
STORED_TITLE_MAX_CHARS = 300
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_ENTITY = re.compile(r"&#?[A-Za-z0-9]+;")

# Whitespace that is not already one plain space (runs, tabs, no-break and other Unicode
# spaces): replacing only these leaves the text as `\s+` -> " " would, at a fraction of the cost.
_SPACES = re.compile(r"\s{2,}|[^\S ]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_BULLET = re.compile(r"^(?:[-*•·–—▪►>]+|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"[.!?…;,][\"'”’»)\]]*$")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")

# Calls to action that are never article prose, whatever the line's length (up to _CTA_MAX_WORDS).
_STRONG_CTA = re.compile(
    r"^follow us\b|\bfollow us (?:on|at|@)|"
    r"\b(?:sign up|subscribe|register)(?: now| today| here)?(?: for| to)? (?:our|my|the "
    r"(?:free |weekly |daily )?newsletter)\b|^(?:sign up|subscribe|register|join)(?: now| today| "
    r"here)?\W*$|^(?:sign up|subscribe|join|register) (?:now|today|here|for free)\b|"
    r"\bour (?:weekly |daily |free )?(?:newsletters?|podcast|app)\b|"
    r"\bnewsletters?\b.{0,40}\b(?:inbox|sign up|subscribe)\b|\b(?:click|tap) here\b|"
    r"\bshare (?:this|on|via) (?:article|story|page|post|facebook|twitter|x|email)\b|"
    r"\blike us on\b|\bpreferred source\b|\bwe use cookies\b|\baccept (?:all )?cookies\b|"
    r"\bcookie (?:policy|settings|preferences)\b|\ball rights reserved\b|\bcopyright ©|^©|"
    r"\bscroll down for\b|\bread the (?:original|full) (?:article|story)\b|"
    r"\b(?:download|get) our app\b|\bsupport (?:our|independent) journalism\b|"
    r"^(?:advertisement|sponsored(?: content)?|paid content)\W*$|^(?:\w+ )?cta$|"
    r"\bmore of our stories\b|\bdon'?t miss a beat\b|^the post .{3,200} appeared first on\b|"
    r"\bjoin (?:our|the) (?:mailing list|community|conversation)\b|"
    r"\bdelivered (?:straight |directly )?to your inbox\b",
    re.IGNORECASE,
)
_CTA_MAX_WORDS = 45
# Every alternative of _STRONG_CTA contains one of these lower-case strings: a line with none
# of them skips the regex, which is costly (hundreds of microseconds on a long line).
_CTA_TRIGGERS = (
    "follow us",
    "sign up",
    "subscribe",
    "register",
    "join",
    "newsletter",
    "podcast",
    "app",
    "click here",
    "tap here",
    "share ",
    "like us on",
    "preferred source",
    "cookie",
    "rights reserved",
    "©",
    "scroll down for",
    "read the ",
    "journalism",
    "advertisement",
    "sponsored",
    "paid content",
    "cta",
    "more of our stories",
    "miss a beat",
    "appeared first on",
    "inbox",
)
# Before the first paragraph, lines this short without punctuation are kickers, not headlines.
_KICKER_MAX_WORDS = 3

# Navigation vocabulary: drops a line only when it is short and title-less.
_NAV_WORDS = re.compile(
    r"\b(?:subscribe|subscription|newsletters?|share|follow|comments?|related|latest|trending|"
    r"most (?:read|popular|viewed)|more (?:stories|from|news|on)|menu|search|home|log ?in|"
    r"sign ?in|sign ?up|register|print|e-?mail|facebook|twitter|whatsapp|linkedin|reddit|"
    r"instagram|youtube|tiktok|telegram|recommended|sponsored|advert(?:isement)?|podcasts?|"
    r"watch|listen|skip to|back to top|topics?|tags?)\b",
    re.IGNORECASE,
)

# The heading of a list of other stories: everything title-like after it goes.
_RELATED_HEADING = re.compile(
    r"^(?:related(?: stories| articles| content| coverage| links| news)?|more (?:stories|from|on|"
    r"news)\b.*|most (?:read|popular|viewed)|trending(?: now)?|recommended(?: for you)?|"
    r"you (?:may|might) also (?:like|be interested in)|read (?:next|more|also)|see also|"
    r"top stories|latest (?:news|stories)|editor'?s picks?)\s*:?$",
    re.IGNORECASE,
)

_CREDIT = re.compile(
    r"^\(?(?:(?:top|main|lead|header|featured|cover|hero)\s+)?(?:photo|image|picture|pic|"
    r"photograph|illustration|graphic|video|caption)s?(?:\s+(?:credits?|by|courtesy))?\s*[:|/-]"
    r"|^(?:credits?|photo by|image by|picture by|courtesy of)\b"
    r"|(?:\(|/|\||\bvia\b|\bphoto:?|\bcredit:?|©)\s*(?:getty(?: images)?|shutterstock|ap photo|afp|"
    r"reuters|istock|alamy|unsplash|epa|pa (?:images|wire)|bloomberg|ddp)\b",
    re.IGNORECASE,
)
_CREDIT_MAX_WORDS = 60
# A teaser shows a few paragraphs; a longer block before a marker is the article itself.
_TEASER_MAX_PARAGRAPHS = 6

# A line made only of "read more" / "keep reading" / "show less" pieces.
_MARKER_WORDS = (
    r"(?:read|keep reading|continue reading|show|see|view|load|click to|tap to)"
    r"(?:\s+(?:more|less|full story|the full story|full article|the rest|all))?"
)
_MARKER_LINE = re.compile(
    rf"^[\W_]*(?:{_MARKER_WORDS}[\W_]*)+$|^[\W_]*(?:keep reading|continue reading)",
    re.IGNORECASE,
)
_TRAILING_MARKER = re.compile(
    r"(?<=[.!?…\"”’)])\s*(?:…|\.\.\.)?\s*(?:read more|keep reading|continue reading|show less|"
    r"show more)\W*$",
    re.IGNORECASE,
)

# Byline and timestamp lines ("By Jane Doe", "PUBLISHED: 10:00 EST, 1 May 2013 | UPDATED: ...").
_META_LINE = re.compile(
    r"^(?:by\s+[\w.'’ -]{2,60}|(?:published|updated|last updated|posted|modified)\b.{0,80}"
    r"|\d+\s+min(?:ute)?s?\s+read|\d+\s+(?:seconds?|minutes?|hours?|days?)\s+ago)$",
    re.IGNORECASE,
)
_SCROLL_DOWN = re.compile(r"\s*\bScroll down for (?:video|more|the video)s?\b\s*\.?", re.IGNORECASE)
# The same fragments when a scraper glued them to the start of a paragraph, or inline.
_INLINE_JUNK = (
    re.compile(r"^\s*By\s+\.\s+[^.]{1,80}?\s+\.(?:\s+|$)"),  # "By . Daily Mail Reporter . "
    re.compile(
        r"^\s*(?:PUBLISHED|Published)\s*:.{0,80}?\|\s*\.?\s*(?:UPDATED|Updated)\s*:.{0,60}?\d{4}"
        r"\s*\.?(?:\s+|$)"
    ),
    _SCROLL_DOWN,
)


@dataclass
class _Line:
    """One non-empty line of the input and what it looks like."""

    text: str
    words: int
    key: str  # lower-case words only: equal keys are the same line
    body: bool = False
    junk: bool = False
    nav: bool = False  # short and title-less
    titlelike: bool = False  # no sentence ending, not too long: a headline, kicker, subhead
    marker: bool = False
    credit: bool = False
    repeated: bool = False


def _normalise(line: str) -> str:
    return _SPACES.sub(" ", _INVISIBLE.sub("", line)).strip()


def _key(line: str) -> str:
    return re.sub(r"[\W_]+", " ", line.lower()).strip()


def _classify(text: str) -> list[_Line]:
    """Split text into non-empty lines and label each one by shape and vocabulary."""
    lines: list[_Line] = []
    for raw in text.splitlines():
        cleaned = _normalise(raw)
        for pattern in _INLINE_JUNK:
            if pattern is not _SCROLL_DOWN or "scroll down" in cleaned.lower():
                cleaned, found = pattern.subn(" ", cleaned)
                if found:
                    cleaned = _SPACES.sub(" ", cleaned).strip()
        if not cleaned:
            continue
        lines.append(_Line(text=cleaned, words=len(_BULLET.sub("", cleaned).split()), key=_key(cleaned)))
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.key] = counts.get(line.key, 0) + 1
    for line in lines:
        text_ = line.text
        lowered = text_.lower()
        ends_sentence = bool(_SENTENCE_END.search(text_))
        line.repeated = counts[line.key] > 1 and bool(line.key)
        line.marker = line.words <= 8 and bool(_MARKER_LINE.search(text_))
        line.credit = line.words <= _CREDIT_MAX_WORDS and bool(_CREDIT.search(text_))
        cta = (
            line.words <= _CTA_MAX_WORDS
            and any(trigger in lowered for trigger in _CTA_TRIGGERS)
            and bool(_STRONG_CTA.search(text_))
        )
        meta = line.words <= 14 and not text_.endswith(".") and bool(_META_LINE.match(text_))
        prose = (
            bool(re.search(r"[.!…][\"'”’»)\]]*$", text_))
            and line.words >= 6
            or ends_sentence
            and line.words >= 15
            or line.words >= 25
        )
        line.nav = line.words <= 5 and not ends_sentence and not text_.endswith(":")
        line.titlelike = not ends_sentence and not text_.endswith(":") and line.words <= 20
        line.junk = (
            line.marker
            or line.credit
            or cta
            or meta
            or (line.repeated and not prose)
            or (line.nav and bool(_NAV_WORDS.search(text_)))
            or not re.search(r"\w", text_)
        )
        line.body = prose and not line.junk
    return lines


def _teaser_spans(lines: list[_Line], first_body: int) -> list[tuple[int, int]]:
    """(start, end) index ranges of teaser stories: a header run, a few paragraphs, a marker."""
    spans: list[tuple[int, int]] = []
    floor = first_body
    for end, line in enumerate(lines):
        if not line.marker or end <= first_body:
            continue
        j = end - 1
        while j > floor and lines[j].body:
            j -= 1
        paragraphs = end - 1 - j
        k = j
        while k > floor and not lines[k].body and not lines[k].marker:
            k -= 1
        header = lines[k + 1 : j + 1]
        headed = (
            any(h.credit or (h.repeated and h.titlelike) for h in header)
            or sum(h.titlelike and not h.junk for h in header) >= 2
        )
        if header and headed and paragraphs <= _TEASER_MAX_PARAGRAPHS:
            spans.append((k + 1, end))
            floor = end
    return spans


def _drop_navigation(lines: list[_Line], first_body: int) -> set[int]:
    """Indices of navigation lines: menus, captions, kickers, headline lists."""
    dropped: set[int] = set()
    for i, line in enumerate(lines):
        if not line.nav or line.junk or (i > first_body and _BULLET.match(line.text)):
            continue  # a bulleted list inside the article is content
        before = lines[i - 1] if i > 0 else None
        after = lines[i + 1] if i + 1 < len(lines) else None
        near_junk = any(n is not None and (n.nav or n.junk) for n in (before, after))
        if near_junk or (i < first_body and line.words <= _KICKER_MAX_WORDS):
            dropped.add(i)
    run: list[int] = []  # runs of 3+ headline-long title-like lines without bullets
    for i, maybe in enumerate([*lines, None]):  # None: the end closes the last run
        if maybe is not None and (maybe.junk or maybe.nav):
            continue  # junk and menu words between headlines do not break the list
        if maybe is not None and maybe.titlelike and not _BULLET.match(maybe.text):
            run.append(i)
            continue
        if len(run) >= 3:
            dropped.update(run)
        run = []
    for i, line in enumerate(lines):  # the list under a "Related stories" heading
        if line.titlelike and _RELATED_HEADING.match(_BULLET.sub("", line.text)):
            dropped.add(i)
            j = i + 1
            while j < len(lines) and (lines[j].titlelike or lines[j].junk):
                dropped.add(j)
                j += 1
    return dropped


def clean_text(text: str) -> str:
    """Return `text` without what is not the article, one paragraph per line.

    Drops calls to action, share/follow/subscribe lines, read-more fragments, photo and image
    credits, newsletter blurbs, bylines/timestamps, navigation lists and captions, short lines
    repeated on the page (long repeated paragraphs are kept once) and teaser stories glued
    after the main one. Whitespace is normalised; empty lines are removed.
    """
    lines = _classify(text or "")
    if not lines:
        return ""
    first_body = next((i for i, line in enumerate(lines) if line.body), len(lines))
    dropped = {i for i, line in enumerate(lines) if line.junk}
    for start, end in _teaser_spans(lines, first_body):
        dropped.update(range(start, end + 1))
    dropped |= _drop_navigation(lines, first_body)
    kept: list[str] = []
    seen: set[str] = set()
    for i, line in enumerate(lines):
        if i in dropped:
            continue
        if line.key in seen:
            continue
        seen.add(line.key)
        kept.append(_TRAILING_MARKER.sub("", line.text))
    return "\n".join(kept)


def guess_title(text: str) -> str:
    """Pick a title for a plain-text article.

    A heading-like line before the first paragraph wins: a Markdown heading, or a line of
    4-25 words that does not end with a full stop and is not boilerplate (a headline, usually
    followed by a standfirst). Otherwise the first sentence of the first paragraph, cut to
    about 100 characters on a word boundary ("…" marks the cut). Empty text gives "".
    """
    lines = _classify(text or "")
    for line in lines:
        if _MARKDOWN_HEADING.match(line.text):
            return _MARKDOWN_HEADING.sub("", line.text).strip()
        if line.body:
            break
        credit_or_cta = line.credit or line.marker or (line.junk and not line.repeated)
        if not credit_or_cta and 4 <= line.words <= 25 and not line.text.endswith((".", ":")):
            return line.text
    paragraph = next((line.text for line in lines if line.body and not line.junk), "")
    if not paragraph:
        paragraph = next((line.text for line in lines if not line.junk), "")
    sentences = split_sentences(paragraph)
    return _shorten(sentences[0] if sentences else paragraph)


def _shorten(sentence: str, limit: int = TITLE_MAX_CHARS) -> str:
    sentence = sentence.strip().rstrip(".")
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit + 1].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "…"


def tidy_title(raw: str, limit: int = STORED_TITLE_MAX_CHARS) -> str:
    """A title as plain text: markup dropped (`<sup>2</sup>` -> `2`), character references
    resolved (`&#x0024;` -> `$`, once more when double-escaped), unknown entity references
    (`&lol9;`) removed, whitespace collapsed, and cut at a word after `limit` characters ("…").
    A bare ampersand (`Look&Lease`) stays as it is.
    """
    text = (raw or "")[: limit * 20]  # markup aside, nothing past this can survive the cut
    if _MARKUP.search(text):
        try:
            fragment = lxml.html.fragment_fromstring(text, create_parent="div")
        except (lxml.etree.ParserError, ValueError):
            pass
        else:
            for element in fragment.xpath(".//script | .//style"):
                element.drop_tree()
            text = fragment.text_content()  # the parser resolves character references
    for _ in range(2):  # "&amp;amp;" is double-escaped "&"; stop once nothing changes
        resolved = unescape(text)
        if resolved == text:
            break
        text = resolved
    text = " ".join(_ENTITY.sub("", text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1]
    head = cut.rsplit(" ", 1)[0] if " " in cut else ""
    if len(head) < limit // 2:  # one very long "word" (a URL, a run of letters): cut inside it
        head = text[:limit]
    return head.rstrip(",;:—–- ") + "…"
