"""Article vectors: stored with the articles, kept in memory for search, caught up after ingest.

Table `article_vectors` (migration 3 in summarizer/store/sqlite.py): one unit-length float32
vector per article (`embeddings.embed_static` of its title and first words), the model that
made it, and `seq`, a counter that grows with every write so a reader's in-memory copy
loads only what is new. Triggers put every added article, and every article whose title or
text changes (its old vector deleted), in `vector_queue`.

Text is searchable as soon as an article is stored; `embed_pending()` then works off the
queue (ingest and the bot's poller call it after storing; `briefbot embed` runs it by
hand). The queue makes that cheap when there is nothing to do, at any store size.

Vector search is numpy over an in-memory matrix (`VectorIndex`): one matrix-vector product
over 100,000 × 256 float32 takes a few milliseconds, faster than sqlite-vec's brute-force
vec0 table on this machine (bench/vector_search.py, BENCHMARKS.md).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime

import numpy as np

from summarizer import embeddings
from summarizer.config import Settings
from summarizer.store.sqlite import Store, utc_iso

EMBED_BATCH = 256


def _blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _queue_other_models(store: Store) -> None:
    """Queue every article whose vector another model made (after the model changed)."""
    row = store.db.execute("SELECT value FROM meta WHERE key = 'vector_model'").fetchone()
    if row and row[0] == embeddings.STATIC_MODEL_NAME:
        return
    with store.transaction():
        store.db.execute(
            "INSERT OR IGNORE INTO vector_queue (article_id) "
            "SELECT article_id FROM article_vectors WHERE model != ?",
            [embeddings.STATIC_MODEL_NAME],
        )
        store.db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('vector_model', ?)",
            [embeddings.STATIC_MODEL_NAME],
        )


def embed_pending(store: Store, settings: Settings, limit: int | None = None) -> int:
    """Give a vector to every article in `vector_queue` (added or changed since); returns how many.

    Works newest first in batches of EMBED_BATCH, one transaction each, so search sees
    vectors arrive as they are made. No-op when VECTOR_SEARCH is off (the queue keeps
    growing, and is worked off once it is on).
    """
    if not settings.vector_search:
        return 0
    _queue_other_models(store)
    done = 0
    while limit is None or done < limit:
        size = EMBED_BATCH if limit is None else min(EMBED_BATCH, limit - done)
        queued = [
            row[0]
            for row in store.db.execute(
                "SELECT article_id FROM vector_queue ORDER BY article_id DESC LIMIT ?", [size]
            )
        ]
        if not queued:
            break
        rows = store.db.execute(
            f"SELECT id, title, text, content_hash FROM articles WHERE id IN ({','.join('?' * len(queued))})",
            queued,
        ).fetchall()
        vectors = embeddings.embed_static(
            [embeddings.article_passage(title, text) for _, title, text, _ in rows], settings
        )
        # Written only where the article is still what was encoded: one changed meanwhile
        # stays queued (its trigger queued it again) and is encoded afresh next time.
        unchanged = (
            "EXISTS (SELECT 1 FROM articles WHERE id = :id AND title = :title AND content_hash = :hash)"
        )
        with store.transaction():
            seq = store.db.execute("SELECT coalesce(max(seq), 0) FROM article_vectors").fetchone()[0]
            written = store.db.conn.executemany(
                "INSERT OR REPLACE INTO article_vectors (article_id, model, seq, vector) "
                f"SELECT :id, :model, :seq, :vector WHERE {unchanged}",
                [
                    {
                        "id": article_id,
                        "title": title,
                        "hash": digest,
                        "model": embeddings.STATIC_MODEL_NAME,
                        "seq": seq + 1 + i,
                        "vector": _blob(vector),
                    }
                    for i, ((article_id, title, _, digest), vector) in enumerate(
                        zip(rows, vectors, strict=True)
                    )
                ],
            )
            store.db.conn.executemany(
                f"DELETE FROM vector_queue WHERE article_id = :id AND ({unchanged} OR NOT EXISTS "
                "(SELECT 1 FROM articles WHERE id = :id))",
                [{"id": article_id, "title": title, "hash": digest} for article_id, title, _, digest in rows]
                + [{"id": i, "title": "", "hash": ""} for i in set(queued) - {row[0] for row in rows}],
            )
        done += written.rowcount
    return done


def pending_count(store: Store) -> int:
    """How many articles wait for a vector."""
    return store.db.execute("SELECT count(*) FROM vector_queue").fetchone()[0]


def _dot(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """matrix @ query without BLAS: OpenBLAS's threads made the 100,000-row product 2-3x
    slower and far less steady on the shared 2-core machine (bench/vector_search.py)."""
    return np.einsum("ij,j->i", matrix, np.asarray(query, dtype=np.float32))


class VectorIndex:
    """The store's article vectors in memory: ids, a float32 matrix, scopes and dates.

    `refresh()` loads only rows written since the last call (by `seq`). Shared by every
    Store opened on the same file in this process (`index_for`).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seq = 0
        self.size = 0
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, embeddings.STATIC_DIMS), dtype=np.float32)
        self.scopes = np.zeros(0, dtype=np.int32)  # codes of self.scope_codes
        self.scope_codes: dict[str, int] = {}
        self.published = np.zeros(0, dtype="datetime64[s]")  # NaT when undated
        self.position: dict[int, int] = {}

    def refresh(self, store: Store) -> None:
        """Load the vectors written since the last refresh."""
        with self.lock:
            new = store.db.execute(
                "SELECT count(*) FROM article_vectors WHERE seq > ? AND model = ?",
                [self.seq, embeddings.STATIC_MODEL_NAME],
            ).fetchone()[0]
            if not new:
                return
            self._grow(self.size + new)  # once, at most the size needed: rows are streamed in
            rows = store.db.execute(
                "SELECT v.article_id, v.seq, v.vector, a.scope, a.published_at FROM article_vectors v "
                "JOIN articles a ON a.id = v.article_id WHERE v.seq > ? AND v.model = ? ORDER BY v.seq",
                [self.seq, embeddings.STATIC_MODEL_NAME],
            )
            for article_id, seq, blob, scope, published in rows:
                at = self.position.get(article_id)
                if at is None:
                    at = self.position[article_id] = self.size
                    self.size += 1
                    self.ids[at] = article_id
                self.matrix[at] = np.frombuffer(blob, dtype=np.float32)
                self.scopes[at] = self.scope_codes.setdefault(scope, len(self.scope_codes))
                self.published[at] = (
                    np.datetime64(published.rstrip("Z"), "s") if published else np.datetime64("NaT")
                )
                self.seq = max(self.seq, seq)

    def _grow(self, needed: int) -> None:
        capacity = len(self.ids)
        if needed <= capacity:
            return
        capacity = max(needed, capacity + capacity // 4, 1024)
        for name in ("ids", "matrix", "scopes", "published"):
            old = getattr(self, name)
            grown = np.zeros((capacity, *old.shape[1:]), dtype=old.dtype)
            if name == "published":
                grown[:] = np.datetime64("NaT")
            grown[: self.size] = old[: self.size]
            setattr(self, name, grown)

    def nearest(
        self,
        query: np.ndarray,
        k: int,
        *,
        scopes: Iterable[str],
        since: datetime | None = None,
        allowed: set[int] | None = None,
    ) -> list[tuple[int, float]]:
        """The `k` articles most similar to `query` (cosine) among those the filters keep.

        Filters (scopes, `since` on the publication date, `allowed` ids) are applied to
        every vector before the top k are taken.
        """
        with self.lock:
            n = self.size
            if n == 0 or k <= 0:
                return []
            sims = _dot(self.matrix[:n], query)
            keep = None
            codes = [self.scope_codes[s] for s in scopes if s in self.scope_codes]
            if len(codes) < len(self.scope_codes):
                keep = np.isin(self.scopes[:n], codes)
            if since is not None:
                dated = self.published[:n] >= np.datetime64(utc_iso(since).rstrip("Z"), "s")
                keep = dated if keep is None else keep & dated
            if allowed is not None:
                listed = np.isin(self.ids[:n], np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
                keep = listed if keep is None else keep & listed
            if keep is not None:
                sims = np.where(keep, sims, -np.inf)
            top = np.argpartition(-sims, k - 1)[:k] if n > k else np.arange(n)
            ordered = [i for i in top[np.argsort(-sims[top])] if sims[i] > -np.inf]
            return [(int(self.ids[i]), float(sims[i])) for i in ordered]

    def similarity(self, query: np.ndarray, article_ids: Iterable[int]) -> dict[int, float]:
        """Cosine of `query` with each of these articles that has a vector."""
        with self.lock:
            at = [(i, self.position[i]) for i in article_ids if i in self.position]
            if not at:
                return {}
            sims = _dot(self.matrix[np.fromiter((p for _, p in at), dtype=np.int64, count=len(at))], query)
            return {i: float(s) for (i, _), s in zip(at, sims, strict=True)}


_INDEXES: dict[str, VectorIndex] = {}
_INDEXES_LOCK = threading.Lock()


def index_for(store: Store) -> VectorIndex:
    """The up-to-date in-memory vector index of this store's file."""
    key = store.path if store.path != ":memory:" else f":memory:{id(store)}"
    with _INDEXES_LOCK:
        index = _INDEXES.setdefault(key, VectorIndex())
    index.refresh(store)
    return index


def article_vectors(store: Store, ids: Iterable[int]) -> dict[int, np.ndarray]:
    """The stored vectors of these articles (those that have one from the current model)."""
    wanted = list(dict.fromkeys(ids))
    found: dict[int, np.ndarray] = {}
    for start in range(0, len(wanted), 500):  # within SQLite's limit on bound parameters
        chunk = wanted[start : start + 500]
        rows = store.db.execute(
            f"SELECT article_id, vector FROM article_vectors WHERE model = ? "
            f"AND article_id IN ({','.join('?' * len(chunk))})",
            [embeddings.STATIC_MODEL_NAME, *chunk],
        )
        found.update((article_id, np.frombuffer(blob, dtype=np.float32)) for article_id, blob in rows)
    return found
