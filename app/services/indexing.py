"""Per-collection vector indexes kept in step with the database (the source of truth).

``sync()`` compares the set of `ready` documents in SQL with what each index holds, adds the chunks of
new documents and removes those of documents that are gone. Snapshots let a restart skip re-reading
every vector; a snapshot that doesn't match the model or is unreadable is ignored and rebuilt.
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from app.core.index import VectorIndex, create_index
from app.db import models as m
from app.db.session import SessionFactory, session_scope

logger = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1
LOAD_BATCH_DOCS = 200


@dataclass
class CollectionIndex:
    index: VectorIndex
    doc_chunks: dict[int, np.ndarray] = field(default_factory=dict)  # document id -> its chunk ids
    dirty: bool = False

    @property
    def size(self) -> int:
        return len(self.index)


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
        backend: str = "faiss",
    ) -> None:
        self.factory = factory
        self.dim = dim
        self.model_id = model_id
        self.snapshot_dir = snapshot_dir
        self.backend = backend
        self._collections: dict[int, CollectionIndex] = {}
        # FAISS searches may run concurrently with each other but not with add/remove.
        self._lock = threading.RLock()
        self._sync_lock = threading.Lock()

    # ---- queries -------------------------------------------------------------------------------
    def search(self, collection_id: int, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            ci = self._collections.get(collection_id)
            if ci is None:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            return ci.index.search(query, k)

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
        return CollectionIndex(create_index(self.dim, backend=self.backend))  # type: ignore[arg-type]

    def remove_document(self, document_id: int) -> bool:
        """Drop a document at once (on delete), without waiting for the next sync."""
        with self._lock:
            for ci in self._collections.values():
                ids = ci.doc_chunks.pop(document_id, None)
                if ids is not None:
                    ci.index.remove(ids)
                    ci.dirty = True
                    return True
        return False

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
                        ci.index.remove(ci.doc_chunks.pop(doc_id))
                        removed += 1
                    if gone:
                        ci.dirty = True
                    if coll_id not in ready and not ci.doc_chunks:
                        del self._collections[coll_id]
                wanted = {coll_id: sorted(ids - self._known(coll_id)) for coll_id, ids in ready.items()}
            added_docs = added_chunks = 0
            for coll_id, doc_ids in wanted.items():
                for start in range(0, len(doc_ids), LOAD_BATCH_DOCS):
                    batch = doc_ids[start : start + LOAD_BATCH_DOCS]
                    loaded = self._load_chunks(batch)
                    with self._lock:
                        ci = self._collections.setdefault(coll_id, self._new())
                        for doc_id, (ids, vecs) in loaded.items():
                            if doc_id in ci.doc_chunks:
                                continue
                            ci.index.add(ids, vecs)
                            ci.doc_chunks[doc_id] = ids
                            added_docs += 1
                            added_chunks += len(ids)
                        ci.dirty = ci.dirty or bool(loaded)
            if added_docs or removed:
                logger.info(
                    "index synced added_docs=%s removed_docs=%s chunks=%s", added_docs, removed, added_chunks
                )
            return SyncStats(added_docs, removed, added_chunks)

    def _known(self, coll_id: int) -> set[int]:
        ci = self._collections.get(coll_id)
        return set(ci.doc_chunks) if ci is not None else set()

    def _load_chunks(self, doc_ids: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        per_doc: dict[int, tuple[list[int], list[bytes]]] = defaultdict(lambda: ([], []))
        with session_scope(self.factory) as session:
            result = session.execute(
                select(m.Chunk.document_id, m.Chunk.id, m.Chunk.embedding)
                .join(m.Document, m.Document.id == m.Chunk.document_id)
                .where(m.Chunk.document_id.in_(doc_ids), m.Document.status == m.DocumentStatus.ready)
                .order_by(m.Chunk.document_id, m.Chunk.ordinal)
            )
            for doc_id, chunk_id, blob in result:
                ids, blobs = per_doc[doc_id]
                ids.append(chunk_id)
                blobs.append(blob)
        out: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for doc_id, (ids, blobs) in per_doc.items():
            if any(len(b) != self.dim * 4 for b in blobs):
                logger.warning(
                    "document skipped: stored vectors do not match the model (dim %s); run `shiori reindex "
                    "--reembed` document=%s",
                    self.dim,
                    doc_id,
                )
                continue
            vecs = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(ids), self.dim)
            out[doc_id] = (np.asarray(ids, dtype=np.int64), vecs)
        return out

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
            payloads = [(cid, self._serialize(ci)) for cid, ci in items]
            for _, ci in items:
                ci.dirty = False
        for cid, payload in payloads:
            _atomic_write(self._snapshot_path(cid), payload)
            saved += 1
        return saved

    def _serialize(self, ci: CollectionIndex) -> bytes:
        from app.core.index.faiss_index import FaissIndex

        assert isinstance(ci.index, FaissIndex)
        doc_ids = np.array(sorted(ci.doc_chunks), dtype=np.int64)
        counts = np.array([len(ci.doc_chunks[d]) for d in doc_ids], dtype=np.int64)
        chunk_ids = (
            np.concatenate([ci.doc_chunks[d] for d in doc_ids]) if len(doc_ids) else np.zeros(0, np.int64)
        )
        meta = json.dumps({"version": SNAPSHOT_VERSION, "model_id": self.model_id, "dim": self.dim})
        buf = io.BytesIO()
        np.savez(
            buf,
            meta=np.array(meta),
            index=ci.index.to_bytes(),
            doc_ids=doc_ids,
            counts=counts,
            chunk_ids=chunk_ids,
        )
        return buf.getvalue()

    def load_snapshots(self) -> int:
        """Load what snapshots exist; then `sync()` brings them up to date with the database."""
        if self.snapshot_dir is None or not self.snapshot_dir.is_dir() or self.backend != "faiss":
            return 0
        loaded = 0
        for path in sorted(self.snapshot_dir.glob("collection-*.npz")):
            try:
                coll_id = int(path.stem.split("-", 1)[1])
                ci = self._deserialize(path)
            except Exception as exc:  # a snapshot is only a cache: ignore it and rebuild
                logger.warning("index snapshot ignored path=%s reason=%s", path, exc)
                continue
            if ci is not None:
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
        actual: dict[int, tuple[int, int, int]] = {}
        doc_ids = sorted(expected)
        with session_scope(self.factory) as session:
            for start in range(0, len(doc_ids), 500):
                rows = session.execute(
                    select(m.Chunk.document_id, func.count(), func.min(m.Chunk.id), func.max(m.Chunk.id))
                    .join(m.Document, m.Document.id == m.Chunk.document_id)
                    .where(m.Chunk.document_id.in_(doc_ids[start : start + 500]))
                    .group_by(m.Chunk.document_id)
                )
                actual.update({d: (n, lo, hi) for d, n, lo, hi in rows})
        stale = [d for d, (_, n, lo, hi) in expected.items() if actual.get(d) != (n, lo, hi)]
        for doc_id in stale:
            self.remove_document(doc_id)
        if stale:
            logger.info("index snapshot entries dropped, not matching the database documents=%s", len(stale))

    def _deserialize(self, path: Path) -> CollectionIndex | None:
        from app.core.index.faiss_index import FaissIndex

        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("version") != SNAPSHOT_VERSION or meta.get("model_id") != self.model_id:
                logger.info("index snapshot is for another model; rebuilding path=%s", path)
                return None
            index = FaissIndex.from_bytes(data["index"])
            if index.dim != self.dim:
                return None
            doc_ids, counts, chunk_ids = data["doc_ids"], data["counts"], data["chunk_ids"]
        if len(index) != len(chunk_ids) or int(counts.sum()) != len(chunk_ids):
            raise ValueError("snapshot is inconsistent")
        splits = np.split(chunk_ids, np.cumsum(counts)[:-1]) if len(counts) else []
        return CollectionIndex(index, {int(d): s for d, s in zip(doc_ids, splits, strict=True)})

    def delete_snapshots(self) -> None:
        if self.snapshot_dir is not None and self.snapshot_dir.is_dir():
            for path in self.snapshot_dir.glob("collection-*.npz"):
                path.unlink(missing_ok=True)


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
