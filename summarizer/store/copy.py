"""Move a whole store between backends (`briefbot copy SRC DST`): SQLite to PostgreSQL and back.

Every table (base.TABLES) is copied row for row with its ids, in one transaction on the
target, parents before children. The target's full-text index is rebuilt as the rows arrive
(FTS5 triggers on SQLite; the generated tsvector column on PostgreSQL), its id sequences
move past the largest id copied (PostgreSQL), and its vector queue is the source's (the
insert triggers queue every copied article; those that came with a vector are not queued
again). Both stores are brought to the current schema first, so both have the same columns.
"""

from __future__ import annotations

from collections.abc import Iterator

from summarizer.errors import BriefbotError
from summarizer.store.base import TABLES, Store

BATCH = 1000
# How each table is paged through (a key that orders every row once).
_ORDER = {
    "meta": "key",
    "posted_stories": "channel_id, article_id",
    "posted_sentences": "digest_story_id, position",
    "article_vectors": "article_id",
    "vector_queue": "article_id",
}


def table_counts(store: Store) -> dict[str, int]:
    """Rows per table (base.TABLES)."""
    return {table: store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}


def _rows(store: Store, table: str, columns: list[str]) -> Iterator[tuple]:
    """Every row of `table`, BATCH at a time (a large store never sits in memory whole): by
    its key when it has one column (each page starts where the last ended), else by offset."""
    order = _ORDER.get(table, "id")
    keyed = order in columns
    last: object = None
    offset = 0
    while True:
        if keyed and last is not None:
            sql, params = f"WHERE {order} > ? ORDER BY {order} LIMIT ?", [last, BATCH]
        else:
            sql, params = f"ORDER BY {order} LIMIT ? OFFSET ?", [BATCH, offset]
        rows = store.db.execute(f"SELECT {', '.join(columns)} FROM {table} {sql}", params).fetchall()
        for row in rows:
            yield tuple(bytes(value) if isinstance(value, memoryview) else value for value in row)
        if len(rows) < BATCH:
            return
        offset += BATCH
        if keyed:
            last = rows[-1][columns.index(order)]


def copy_store(source: Store, target: Store, replace: bool = False) -> dict[str, int]:
    """Copy every row of `source` into `target`; returns the rows copied per table.

    Refuses a target that holds any article, feed, subscription or digest record unless
    `replace` (then the target's rows are deleted first, in the same transaction).
    """
    if source.schema_version != target.schema_version:
        raise BriefbotError(
            f"the stores have schema versions {source.schema_version} and {target.schema_version}: "
            "run `briefbot migrate` on the older one"
        )
    held = {table: n for table, n in table_counts(target).items() if n and table != "meta"}
    if held and not replace:
        listed = ", ".join(f"{n} {table}" for table, n in held.items())
        raise BriefbotError(f"{target.path} is not empty ({listed}): copy into an empty store, or --replace")
    copied: dict[str, int] = {}
    with target.transaction():
        for table in reversed(TABLES):
            target.db.execute(
                f"DELETE FROM {table}" + (" WHERE key <> 'schema_version'" if table == "meta" else "")
            )
        for table in TABLES:
            if table == "vector_queue":
                target.db.execute("DELETE FROM vector_queue")  # filled by the articles' insert triggers
            columns = [c for c in source.table_columns(table) if c in set(target.table_columns(table))]
            insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            if table == "meta":
                insert += " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            copied[table] = 0
            batch: list[tuple] = []
            for row in _rows(source, table, columns):
                batch.append(row)
                if len(batch) >= BATCH:
                    target.db.executemany(insert, batch)
                    copied[table] += len(batch)
                    batch = []
            if batch:
                target.db.executemany(insert, batch)
                copied[table] += len(batch)
        target.reset_sequences()
    return copied
