"""The search indexes of every collection, kept in step with the database, the source of truth.

``sync()`` compares the set of `ready` documents in SQL with what each collection's index holds
(`CollectionIndex`, the object a search talks to), adds the chunks of new documents and removes those
of documents that are gone. Chunk texts are tokenised outside any lock, so searches never wait for
MeCab; snapshots (see index_snapshots) let a restart skip re-reading vectors and re-tokenising texts.
A snapshot that doesn't match the model, the analyzer or the database is ignored. `IndexSync` runs
`sync()` and the snapshots in the background.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.core.keyword import Analyzer, create_analyzer
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from app.services.collection_index import CollectionIndex
from app.services.index_loading import chunk_id_ranges, load_documents
from app.services.index_snapshots import SnapshotMeta, atomic_write, deserialize, serialize

if TYPE_CHECKING:
    from app.core.embedding import Embedder
    from app.core.settings import Settings

logger = logging.getLogger(__name__)

LOAD_BATCH_DOCS = 200


@dataclass(frozen=True)
class SyncStats:
    added_documents: int = 0
    removed_documents: int = 0
    added_chunks: int = 0


class IndexRegistry:
    def __init__(
        self,
        factory: SessionFactory,
        *,
        dim: int,
        model_id: str,
        snapshot_dir: Path | None,
        analyzer: Analyzer | None = None,
        bm25_k1: float = 1.2,
        bm25_b: float = 0.75,
    ) -> None:
        self.factory = factory
        self.dim = dim
        self.model_id = model_id
        self.snapshot_dir = snapshot_dir
        self.analyzer = analyzer  # None: no keyword index (dense search only)
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self._collections: dict[int, CollectionIndex] = {}
        self._lock = threading.Lock()  # the map of collections; each collection locks itself
        self._sync_lock = threading.Lock()  # one sync at a time (the background one, a reindex)

    @property
    def has_keyword(self) -> bool:
        return self.analyzer is not None

    @property
    def _meta(self) -> SnapshotMeta:
        return SnapshotMeta(self.model_id, self.dim, self.analyzer.analyzer_id if self.analyzer else None)

    # ---- what searches use ---------------------------------------------------------------------
    def collection(self, collection_id: int) -> CollectionIndex:
        """The collection's index (an empty one for a collection with nothing indexed yet)."""
        with self._lock:
            ci = self._collections.get(collection_id)
        return ci if ci is not None else self._new()

    def query_terms(self, text: str) -> dict[str, list[str]]:
        """The query's terms per keyword field (empty when keyword search is off)."""
        return self.analyzer.analyze(text) if self.analyzer is not None else {}

    def stats(self) -> dict[int, dict[str, int]]:
        with self._lock:
            items = list(self._collections.items())
        return {cid: {"documents": len(ci.document_ids()), "chunks": ci.size} for cid, ci in items}

    def total_chunks(self) -> int:
        with self._lock:
            items = list(self._collections.values())
        return sum(ci.size for ci in items)

    # ---- keeping in step with the database -----------------------------------------------------
    def _new(self) -> CollectionIndex:
        return CollectionIndex.empty(self.dim, self.analyzer, self.bm25_k1, self.bm25_b)

    def remove_document(self, document_id: int) -> bool:
        """Drop a document at once (on delete), without waiting for the next sync."""
        with self._lock:
            items = list(self._collections.values())
        return any(ci.remove(document_id) for ci in items)

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
                held = dict(self._collections)
            known: dict[int, set[int]] = {}
            for coll_id, ci in held.items():
                indexed = ci.document_ids()
                gone = indexed - ready.get(coll_id, set())
                removed += sum(ci.remove(doc_id) for doc_id in gone)
                known[coll_id] = indexed - gone
                if coll_id not in ready and not known[coll_id]:
                    with self._lock:
                        self._collections.pop(coll_id, None)
            wanted = {coll_id: sorted(ids - known.get(coll_id, set())) for coll_id, ids in ready.items()}
            added_docs = added_chunks = 0
            for coll_id, doc_ids in wanted.items():
                for start in range(0, len(doc_ids), LOAD_BATCH_DOCS):
                    loaded = load_documents(
                        self.factory, doc_ids[start : start + LOAD_BATCH_DOCS], self.dim, self.analyzer
                    )
                    if not loaded:
                        continue
                    with self._lock:
                        ci = self._collections.setdefault(coll_id, self._new())
                    docs, chunks = ci.add(loaded)
                    added_docs += docs
                    added_chunks += chunks
            if added_docs or removed:
                logger.info(
                    "index synced added_docs=%s removed_docs=%s chunks=%s", added_docs, removed, added_chunks
                )
            return SyncStats(added_docs, removed, added_chunks)

    def clear(self) -> None:
        with self._lock:
            self._collections.clear()

    # ---- snapshots -----------------------------------------------------------------------------
    def _snapshot_path(self, coll_id: int) -> Path:
        assert self.snapshot_dir is not None
        return self.snapshot_dir / f"collection-{coll_id}.npz"

    def save_snapshots(self, *, force: bool = False) -> int:
        if self.snapshot_dir is None:
            return 0
        with self._lock:
            items = [(cid, ci) for cid, ci in self._collections.items() if ci.dirty or force]
        saved = 0
        for cid, ci in items:
            # A copy taken under the collection's lock and written after it: searches don't wait.
            atomic_write(self._snapshot_path(cid), serialize(ci.freeze(), self._meta))
            saved += 1
        return saved

    def load_snapshots(self) -> int:
        """Load what snapshots exist; then `sync()` brings them up to date with the database."""
        if self.snapshot_dir is None or not self.snapshot_dir.is_dir():
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
                ci.script_field = self.analyzer.script_field if self.analyzer is not None else None
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
                for doc_id, ids in dict(ci.doc_chunks).items()
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
