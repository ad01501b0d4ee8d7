"""A small, safe query language compiled to an FTS5 MATCH expression (SQLite) or a tsquery
(PostgreSQL's to_tsquery), the same query meaning the same on both backends.

Users type: words, "quoted phrases", -excluded words or -"phrases", and OR between two
terms (`ukraine OR kyiv`). Everything else (unbalanced quotes, parentheses, AND/NEAR,
`*`, `:`, `^`, emoji, very long text) is searched as plain words: every term reaches
FTS5 as a double-quoted string of its word characters, so no input can raise an FTS5
syntax error or name a column.

The tsquery form quotes every word the same way ('word', phrases joined by `<->`), so no
input reaches PostgreSQL as an operator (`&`, `|`, `!`, `:*`, weights) either.

FTS5's and tsquery's own syntaxes are too powerful to pass through (column filters, NEAR,
prefix `*`, `^`, weights), and their errors are unreadable to a user, hence this
hand-written compiler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_TERMS = 24  # longer queries keep their first terms: enough to find, cheap to run
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class Query:
    """A parsed query: groups of alternatives that must all match, and excluded terms."""

    groups: list[list[str]] = field(default_factory=list)  # AND of (OR of phrases)
    excluded: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups

    @property
    def terms(self) -> list[str]:
        """Every positive word, lower-cased (for highlighting and relevance)."""
        return [w for group in self.groups for phrase in group for w in phrase.split()]

    def to_fts(self) -> str:
        """The FTS5 MATCH expression ('' when there is nothing to search for)."""
        if self.empty:
            return ""
        clauses = []
        for group in self.groups:
            alternatives = " OR ".join(_quote(p) for p in group)
            clauses.append(f"({alternatives})" if len(group) > 1 else alternatives)
        expression = " AND ".join(clauses)
        for phrase in self.excluded:
            expression = f"({expression}) NOT {_quote(phrase)}"
        return expression

    def to_tsquery(self) -> str:
        """The text for PostgreSQL's to_tsquery ('' when there is nothing to search for)."""
        if self.empty:
            return ""
        clauses = []
        for group in self.groups:
            alternatives = " | ".join(_ts_phrase(p) for p in group)
            clauses.append(f"( {alternatives} )")
        expression = " & ".join(clauses)
        for phrase in self.excluded:
            expression = f"( {expression} ) & !( {_ts_phrase(phrase)} )"
        return expression


def _ts_phrase(phrase: str) -> str:
    # Words hold only \w characters, so no quote can break out; doubling the quote and the
    # backslash is tsquery's escape, kept as a second line of defence.
    words = [w.replace("\\", "\\\\").replace("'", "''") for w in phrase.split()]
    return " <-> ".join(f"'{w}'" for w in words)


def _quote(phrase: str) -> str:
    # Phrases hold only \w characters and spaces, so no quote can break out; doubling is
    # FTS5's escape for a literal quote, kept as a second line of defence.
    return '"' + phrase.replace('"', '""') + '"'


def _phrase(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def parse_query(text: str) -> Query:
    """Parse what a user typed; never raises. See the module docstring for the language."""
    query = Query()
    pending_or = False
    count = 0
    for match in _TOKEN.finditer(text or ""):
        if count >= MAX_TERMS:
            break
        negated, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare == "OR":
                pending_or = bool(query.groups)
                continue
            negated = "-" if bare.startswith("-") and len(bare) > 1 else ""
            phrase = _phrase(bare[1:] if negated else bare)
        else:
            phrase = _phrase(quoted)
        if not phrase:
            continue
        count += 1
        if negated:
            query.excluded.append(phrase)
            pending_or = False
        elif pending_or:
            query.groups[-1].append(phrase)
            pending_or = False
        else:
            query.groups.append([phrase])
    return query
