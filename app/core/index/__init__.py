"""Vector index: a protocol over id-addressed, L2-normalised vectors searched by inner product."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol

import numpy as np


class VectorIndex(Protocol):
    dim: int

    def __len__(self) -> int: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: np.ndarray) -> int: ...

    def ids(self) -> np.ndarray: ...

    def search(
        self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Best ``k`` (ids, scores) for one query vector, best first; fewer if the index is small.
        With ``allowed``, only those ids are candidates (search filters)."""
        ...

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (rows in the order given); every id must be in the index."""
        ...

    def save(self, path: Path) -> None:
        """Write a snapshot atomically (a reader never sees a half-written file)."""
        ...


def create_index(dim: int, backend: Literal["faiss", "numpy"] = "faiss") -> VectorIndex:
    if backend == "numpy":
        from app.core.index.numpy_index import NumpyIndex

        return NumpyIndex(dim)
    from app.core.index.faiss_index import FaissIndex

    return FaissIndex(dim)


def load_index(path: Path) -> VectorIndex:
    from app.core.index.faiss_index import FaissIndex

    return FaissIndex.load(path)
