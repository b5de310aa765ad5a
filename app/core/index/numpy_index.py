"""Brute-force numpy index: the fake backend for unit tests and a reference for FAISS."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class NumpyIndex:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._ids = np.zeros(0, dtype=np.int64)
        self._vecs = np.zeros((0, dim), dtype=np.float32)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._ids = np.concatenate([self._ids, np.asarray(ids, dtype=np.int64)])
        self._vecs = np.vstack([self._vecs, np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)])

    def remove(self, ids: np.ndarray) -> int:
        keep = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
        removed = int((~keep).sum())
        self._ids, self._vecs = self._ids[keep], self._vecs[keep]
        return removed

    def search(
        self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        if len(self) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = self._vecs @ np.asarray(query, dtype=np.float32).reshape(self.dim)
        order = np.argsort(-scores, kind="stable")
        if allowed is not None:
            order = order[np.isin(self._ids[order], allowed)]
        order = order[:k]
        return self._ids[order], scores[order]

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        pos = {int(i): row for row, i in enumerate(self._ids)}
        return self._vecs[[pos[int(i)] for i in ids]].reshape(-1, self.dim)

    def ids(self) -> np.ndarray:
        return self._ids.copy()

    def save(self, path: Path) -> None:
        raise NotImplementedError("the numpy index is in-memory only")
