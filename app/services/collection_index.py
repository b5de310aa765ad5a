"""One collection's search indexes: dense vectors and BM25 per analyzer field, always holding the same
documents. This is the object a search talks to; `IndexRegistry` keeps one per collection in step with
the database, and `index_snapshots` writes and reads it.

Searches of a collection run concurrently with each other; adding or removing documents takes the
collection's lock for the moment it changes the indexes (tokenising and reading vectors happen
before, outside it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from app.core.index import VectorIndex, create_index
from app.core.keyword import Analyzer, BM25Index
from app.services.index_loading import LoadedDocument

logger = logging.getLogger(__name__)

_NO_HITS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


@dataclass(frozen=True)
class KeywordHits:
    ids: np.ndarray  # sorted candidate pool
    scores: dict[str, np.ndarray]  # field -> exact BM25 score of each pool id
    found: np.ndarray  # the pool ids some field ranked in its top k
    # Pool ids BM25 can't judge for this query: passages without Japanese, for a Japanese query.
    other_script: np.ndarray | None = None


@dataclass(frozen=True)
class FrozenCollection:
    """A consistent copy of a collection's indexes, taken under its lock, for a snapshot."""

    vectors: np.ndarray  # the serialised vector index
    keyword: dict[str, BM25Index] | None
    doc_chunks: dict[int, np.ndarray]


@dataclass
class CollectionIndex:
    index: VectorIndex
    keyword: dict[str, BM25Index] | None  # one BM25 index per analyzer field; None: keyword search off
    doc_chunks: dict[int, np.ndarray] = field(default_factory=dict)  # document id -> its chunk ids
    dirty: bool = False  # changed since the last snapshot
    # The keyword field that holds only Japanese terms (analyzer.script_field), if any.
    script_field: str | None = None
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @classmethod
    def empty(cls, dim: int, analyzer: Analyzer | None, k1: float, b: float) -> CollectionIndex:
        if analyzer is None:
            return cls(create_index(dim), None)
        keyword = {f: BM25Index(k1, b) for f in analyzer.fields}
        return cls(create_index(dim), keyword, script_field=analyzer.script_field)

    @property
    def size(self) -> int:
        return len(self.index)

    @property
    def dim(self) -> int:
        return self.index.dim

    def document_ids(self) -> set[int]:
        with self._lock:
            return set(self.doc_chunks)

    # ---- searching -----------------------------------------------------------------------------
    def search(
        self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Dense search: best ``k`` (chunk ids, cosine similarities)."""
        with self._lock:
            return self.index.search(query, k, allowed=allowed) if len(self.index) else _NO_HITS

    def keyword_search(
        self,
        terms: Mapping[str, list[str]],
        k: int,
        *,
        allowed: np.ndarray | None = None,
        also: np.ndarray | None = None,
    ) -> KeywordHits:
        """BM25 in every field: the union of each field's best ``k`` ids (plus ``also``, e.g. the
        dense candidates) with every field's exact score for each of them. One pass per field."""
        extra = np.asarray(also if also is not None else [], np.int64)
        with self._lock:
            if self.keyword is None:
                return KeywordHits(extra, {}, extra[:0])
            scored = {f: index.query(terms.get(f, [])) for f, index in self.keyword.items()}
            tops = [sq.top(k, allowed=allowed)[0] for sq in scored.values()]
            found = np.unique(np.concatenate(tops)) if tops else extra[:0]
            pool = np.union1d(found, extra)
            other_script = None
            script_field = self.script_field
            if script_field is not None and terms.get(script_field):
                # A Japanese query and a passage without any Japanese. (Not the reverse: an English
                # query can match the Latin words of a Japanese passage, and English passages often
                # quote a CJK name, which must not hide them from BM25.)
                other_script = self.keyword[script_field].lengths_of(pool) == 0
            return KeywordHits(pool, {f: sq.lookup(pool) for f, sq in scored.items()}, found, other_script)

    def dense_scores(self, query: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Exact cosine similarity of each id (-1, the worst, for ids no longer in the index)."""
        vecs, known = self.vectors(ids)
        return np.where(known, vecs @ np.asarray(query, np.float32), -1.0).astype(np.float32)

    def vectors(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stored vectors of ``ids`` and which ids were found (zero rows for the others)."""
        ids = np.asarray(ids, np.int64)
        with self._lock:
            if not len(ids) or not len(self.index):
                return np.zeros((len(ids), self.dim), np.float32), np.zeros(len(ids), bool)
            try:
                return self.index.vectors(ids), np.ones(len(ids), bool)
            except (KeyError, RuntimeError):  # a document was removed since its ids were found
                out, known = np.zeros((len(ids), self.dim), np.float32), np.zeros(len(ids), bool)
                for row, chunk_id in enumerate(ids):
                    try:
                        out[row] = self.index.vectors(ids[row : row + 1])[0]
                        known[row] = True
                    except (KeyError, RuntimeError):
                        logger.debug("vector gone chunk=%s", chunk_id)
                return out, known

    # ---- changing ------------------------------------------------------------------------------
    def add(self, loaded: Mapping[int, LoadedDocument]) -> tuple[int, int]:
        """Add documents not held yet; returns (documents, chunks) added."""
        with self._lock:
            fresh = {d: doc for d, doc in loaded.items() if d not in self.doc_chunks}
            if not fresh:
                return 0, 0
            ids = np.concatenate([doc.ids for doc in fresh.values()])
            self.index.add(ids, np.concatenate([doc.vectors for doc in fresh.values()]))
            for field_name, index in (self.keyword or {}).items():
                index.add(ids, [t[field_name] for doc in fresh.values() for t in doc.terms])
            for doc_id, doc in fresh.items():
                self.doc_chunks[doc_id] = doc.ids
            self.dirty = True
            return len(fresh), len(ids)

    def remove(self, doc_id: int) -> bool:
        with self._lock:
            ids = self.doc_chunks.pop(doc_id, None)
            if ids is None:
                return False
            self.index.remove(ids)
            for index in (self.keyword or {}).values():
                index.remove(ids)
            self.dirty = True
            return True

    def freeze(self) -> FrozenCollection:
        """Copy for a snapshot (the copy is written after the lock is released)."""
        with self._lock:
            keyword = None
            if self.keyword is not None:
                keyword = {f: index.frozen_copy() for f, index in self.keyword.items()}
            self.dirty = False
            return FrozenCollection(self.index.to_bytes(), keyword, dict(self.doc_chunks))
