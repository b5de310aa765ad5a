"""Per-collection search indexes (vectors + BM25) kept in step with the database, the source of truth.

``sync()`` compares the set of `ready` documents in SQL with what each collection's indexes hold, adds
the chunks of new documents and removes those of documents that are gone; both indexes always hold
the same documents. Chunk texts are tokenised here, once per chunk, outside the lock, so searches
never wait for MeCab; snapshots (see index_snapshots) let a restart skip re-reading vectors and
re-tokenising texts. A snapshot that doesn't match the model, the analyzer or the database is ignored.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import select

from app.core.index import create_index
from app.core.keyword import Analyzer, BM25Index, create_analyzer
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from app.services.index_loading import chunk_id_ranges, load_documents
from app.services.index_snapshots import (
    CollectionIndex,
    SnapshotMeta,
    atomic_write,
    deserialize,
    freeze,
    serialize,
)

if TYPE_CHECKING:
    from app.core.embedding import Embedder
    from app.core.settings import Settings

logger = logging.getLogger(__name__)

LOAD_BATCH_DOCS = 200

_NO_HITS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


@dataclass(frozen=True)
class SyncStats:
    added_documents: int = 0
    removed_documents: int = 0
    added_chunks: int = 0


@dataclass(frozen=True)
class KeywordHits:
    ids: np.ndarray  # sorted candidate pool
    scores: dict[str, np.ndarray]  # field -> exact BM25 score of each pool id
    found: np.ndarray  # the pool ids some field ranked in its top k
    # Pool ids BM25 can't judge for this query: passages without Japanese, for a Japanese query.
    other_script: np.ndarray | None = None


class IndexRegistry:
    def __init__(
        self,
        factory: SessionFactory,
        *,
        dim: int,
        model_id: str,
        snapshot_dir: Path | None,
        backend: str = "faiss",
        analyzer: Analyzer | None = None,
        bm25_k1: float = 1.2,
        bm25_b: float = 0.75,
    ) -> None:
        self.factory = factory
        self.dim = dim
        self.model_id = model_id
        self.snapshot_dir = snapshot_dir
        self.backend = backend
        self.analyzer = analyzer  # None: no keyword index (dense search only)
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self._collections: dict[int, CollectionIndex] = {}
        # Searches may run concurrently with each other but not with add/remove.
        self._lock = threading.RLock()
        self._sync_lock = threading.Lock()

    @property
    def has_keyword(self) -> bool:
        return self.analyzer is not None

    @property
    def _meta(self) -> SnapshotMeta:
        return SnapshotMeta(self.model_id, self.dim, self.analyzer.analyzer_id if self.analyzer else None)

    # ---- queries -------------------------------------------------------------------------------
    def search(
        self, collection_id: int, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Dense search: best ``k`` (chunk ids, cosine similarities)."""
        with self._lock:
            ci = self._collections.get(collection_id)
            if ci is None:
                return _NO_HITS
            return ci.index.search(query, k, allowed=allowed)

    def query_terms(self, text: str) -> dict[str, list[str]]:
        """The query's terms per keyword field (empty when keyword search is off)."""
        return self.analyzer.analyze(text) if self.analyzer is not None else {}

    def keyword_search(
        self,
        collection_id: int,
        terms: dict[str, list[str]],
        k: int,
        *,
        allowed: np.ndarray | None = None,
        also: np.ndarray | None = None,
    ) -> KeywordHits:
        """BM25 in every field: the union of each field's best ``k`` ids (plus ``also``, e.g. the
        dense candidates) with every field's exact score for each of them. One pass per field."""
        fields = self.analyzer.fields if self.analyzer is not None else ()
        extra = np.asarray(also if also is not None else [], np.int64)
        with self._lock:
            ci = self._collections.get(collection_id)
            if ci is None or ci.keyword is None:
                return KeywordHits(extra, {f: np.zeros(len(extra), np.float32) for f in fields}, extra[:0])
            scored = {f: ci.keyword[f].query(terms.get(f, [])) for f in fields}
            tops = [sq.top(k, allowed=allowed)[0] for sq in scored.values()]
            found = np.unique(np.concatenate(tops)) if tops else extra[:0]
            pool = np.union1d(found, extra)
            other_script = None
            script = self.analyzer.script_field if self.analyzer is not None else None
            if script is not None and terms.get(script):
                # A Japanese query and a passage without any Japanese. (Not the reverse: an English
                # query can match the Latin words of a Japanese passage, and English passages often
                # quote a CJK name, which must not hide them from BM25.)
                other_script = ci.keyword[script].lengths_of(pool) == 0
            return KeywordHits(pool, {f: sq.lookup(pool) for f, sq in scored.items()}, found, other_script)

    def dense_scores(self, collection_id: int, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact cosine similarity of each id (-1, the worst, for ids no longer in the index)."""
        vecs, known = self.vectors(collection_id, ids)
        return np.where(known, vecs @ np.asarray(query, np.float32), -1.0).astype(np.float32)

    def vectors(self, collection_id: int, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stored vectors of ``ids`` and which ids were found (zero rows for the others)."""
        ids = np.asarray(ids, np.int64)
        with self._lock:
            ci = self._collections.get(collection_id)
            if ci is None or not len(ids):
                return np.zeros((len(ids), self.dim), np.float32), np.zeros(len(ids), bool)
            try:
                return ci.index.vectors(ids), np.ones(len(ids), bool)
            except (KeyError, RuntimeError):  # a document was removed since its ids were found
                out, known = np.zeros((len(ids), self.dim), np.float32), np.zeros(len(ids), bool)
                for row, chunk_id in enumerate(ids):
                    try:
                        out[row] = ci.index.vectors(ids[row : row + 1])[0]
                        known[row] = True
                    except (KeyError, RuntimeError):
                        logger.debug("vector gone chunk=%s", chunk_id)
                return out, known

    def stats(self) -> dict[int, dict[str, int]]:
        with self._lock:
            return {
                cid: {"documents": len(ci.doc_chunks), "chunks": ci.size}
                for cid, ci in self._collections.items()
            }

    def total_chunks(self) -> int:
        with self._lock:
            return sum(ci.size for ci in self._collections.values())

    # ---- updates -------------------------------------------------------------------------------
    def _new(self) -> CollectionIndex:
        keyword = None
        if self.analyzer is not None:
            keyword = {f: BM25Index(self.bm25_k1, self.bm25_b) for f in self.analyzer.fields}
        return CollectionIndex(create_index(self.dim, backend=self.backend), keyword)  # type: ignore[arg-type]

    def remove_document(self, document_id: int) -> bool:
        """Drop a document at once (on delete), without waiting for the next sync."""
        with self._lock:
            for ci in self._collections.values():
                if document_id in ci.doc_chunks:
                    self._remove(ci, document_id)
                    return True
        return False

    def _remove(self, ci: CollectionIndex, doc_id: int) -> None:
        ids = ci.doc_chunks.pop(doc_id)
        ci.index.remove(ids)
        for index in (ci.keyword or {}).values():
            index.remove(ids)
        ci.dirty = True

    def sync(self) -> SyncStats:
        with self._sync_lock:
            with session_scope(self.factory) as session:
                rows = session.execute(
                    select(m.Document.id, m.Document.collection_id).where(
                        m.Document.status == m.DocumentStatus.ready
                    )
                ).all()
            ready: dict[int, set[int]] = defaultdict(set)
            for doc_id, coll_id in rows:
                ready[coll_id].add(doc_id)

            removed = 0
            with self._lock:
                for coll_id in list(self._collections):
                    ci = self._collections[coll_id]
                    gone = set(ci.doc_chunks) - ready.get(coll_id, set())
                    for doc_id in gone:
                        self._remove(ci, doc_id)
                        removed += 1
                    if coll_id not in ready and not ci.doc_chunks:
                        del self._collections[coll_id]
                wanted = {coll_id: sorted(ids - self._known(coll_id)) for coll_id, ids in ready.items()}
            added_docs = added_chunks = 0
            for coll_id, doc_ids in wanted.items():
                for start in range(0, len(doc_ids), LOAD_BATCH_DOCS):
                    loaded = load_documents(
                        self.factory, doc_ids[start : start + LOAD_BATCH_DOCS], self.dim, self.analyzer
                    )
                    with self._lock:
                        ci = self._collections.setdefault(coll_id, self._new())
                        fresh = {d: doc for d, doc in loaded.items() if d not in ci.doc_chunks}
                        if not fresh:
                            continue
                        ids = np.concatenate([doc.ids for doc in fresh.values()])
                        ci.index.add(ids, np.concatenate([doc.vectors for doc in fresh.values()]))
                        for field_name, index in (ci.keyword or {}).items():
                            index.add(ids, [t[field_name] for doc in fresh.values() for t in doc.terms])
                        for doc_id, doc in fresh.items():
                            ci.doc_chunks[doc_id] = doc.ids
                        added_docs += len(fresh)
                        added_chunks += len(ids)
                        ci.dirty = True
            if added_docs or removed:
                logger.info(
                    "index synced added_docs=%s removed_docs=%s chunks=%s", added_docs, removed, added_chunks
                )
            return SyncStats(added_docs, removed, added_chunks)

    def _known(self, coll_id: int) -> set[int]:
        ci = self._collections.get(coll_id)
        return set(ci.doc_chunks) if ci is not None else set()

    def clear(self) -> None:
        with self._lock:
            self._collections.clear()

    # ---- snapshots -----------------------------------------------------------------------------
    def _snapshot_path(self, coll_id: int) -> Path:
        assert self.snapshot_dir is not None
        return self.snapshot_dir / f"collection-{coll_id}.npz"

    def save_snapshots(self, *, force: bool = False) -> int:
        if self.snapshot_dir is None or self.backend != "faiss":
            return 0
        saved = 0
        with self._lock:
            items = [(cid, ci) for cid, ci in self._collections.items() if ci.dirty or force]
            # Copies taken under the lock and written after it, so searches don't wait for the disk.
            frozen = [(cid, freeze(ci)) for cid, ci in items]
            for _, ci in items:
                ci.dirty = False
        for cid, snapshot in frozen:
            atomic_write(self._snapshot_path(cid), serialize(snapshot, self._meta))
            saved += 1
        return saved

    def load_snapshots(self) -> int:
        """Load what snapshots exist; then `sync()` brings them up to date with the database."""
        if self.snapshot_dir is None or not self.snapshot_dir.is_dir() or self.backend != "faiss":
            return 0
        loaded = 0
        for path in sorted(self.snapshot_dir.glob("collection-*.npz")):
            try:
                coll_id = int(path.stem.split("-", 1)[1])
                ci = deserialize(path, self._meta)
            except Exception as exc:  # a snapshot is only a cache: ignore it and rebuild
                logger.warning("index snapshot ignored path=%s reason=%s", path, exc)
                continue
            if ci is not None:
                for index in (ci.keyword or {}).values():
                    index.k1, index.b = self.bm25_k1, self.bm25_b  # settings win over the file
                with self._lock:
                    self._collections[coll_id] = ci
                loaded += 1
        if loaded:
            self._drop_mismatched()
        return loaded

    def _drop_mismatched(self) -> None:
        """Forget snapshot entries whose chunks differ from the database's (e.g. the database was
        recreated and ids restarted); `sync()` then reloads those documents from the database."""
        with self._lock:
            expected = {
                doc_id: (cid, len(ids), int(ids.min()), int(ids.max()))
                for cid, ci in self._collections.items()
                for doc_id, ids in ci.doc_chunks.items()
                if len(ids)
            }
        actual = chunk_id_ranges(self.factory, sorted(expected))
        stale = [d for d, (_, n, lo, hi) in expected.items() if actual.get(d) != (n, lo, hi)]
        for doc_id in stale:
            self.remove_document(doc_id)
        if stale:
            logger.info("index snapshot entries dropped, not matching the database documents=%s", len(stale))

    def delete_snapshots(self) -> None:
        if self.snapshot_dir is not None and self.snapshot_dir.is_dir():
            for path in self.snapshot_dir.glob("collection-*.npz"):
                path.unlink(missing_ok=True)


def create_registry(settings: Settings, factory: SessionFactory, embedder: Embedder) -> IndexRegistry:
    """The registry the settings describe (keyword index on unless ``keyword.enabled`` is false)."""
    cfg = settings.keyword
    return IndexRegistry(
        factory,
        dim=embedder.dim,
        model_id=embedder.model_id,
        snapshot_dir=settings.paths.index_dir,
        analyzer=create_analyzer(cfg) if cfg.enabled else None,
        bm25_k1=cfg.k1,
        bm25_b=cfg.b,
    )
