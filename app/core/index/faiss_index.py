"""FAISS backend: exact inner-product search (IndexFlatIP) behind an id map (ids = chunk ids)."""

from __future__ import annotations

from typing import Any

import numpy as np


def _faiss() -> Any:
    import faiss  # imported lazily: the module pulls in a large native library

    return faiss


class FaissIndex:
    def __init__(self, dim: int, _index: Any = None) -> None:
        faiss = _faiss()
        self.dim = dim
        self._index = _index if _index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        self._index.add_with_ids(vectors, np.ascontiguousarray(ids, dtype=np.int64))

    def remove(self, ids: np.ndarray) -> int:
        if len(ids) == 0:
            return 0
        return int(self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64)))

    def search(
        self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(self) if allowed is None else min(len(self), len(allowed))
        if n == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        params = None
        if allowed is not None:
            params = _faiss().SearchParameters()
            params.sel = _faiss().IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
        scores, ids = self._index.search(q, min(k, n), params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        for row, i in enumerate(np.asarray(ids, dtype=np.int64)):
            out[row] = self._index.reconstruct(int(i))
        return out

    def ids(self) -> np.ndarray:
        faiss = _faiss()
        ids: np.ndarray = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        return ids

    def to_bytes(self) -> np.ndarray:
        return np.asarray(_faiss().serialize_index(self._index))

    @classmethod
    def from_bytes(cls, data: np.ndarray) -> FaissIndex:
        index = _faiss().deserialize_index(np.ascontiguousarray(data, dtype=np.uint8))
        return cls(index.d, index)
