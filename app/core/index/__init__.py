"""Vector index: a protocol over id-addressed, L2-normalised vectors searched by inner product.

FAISS (exact inner product, `faiss_index`) is the one implementation; the protocol is what the
services rely on, persistence included (`to_bytes` / `index_from_bytes`, used by index snapshots).
"""

from __future__ import annotations

from typing import Protocol

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

    def to_bytes(self) -> np.ndarray:
        """The whole index serialised (uint8), for `index_from_bytes`."""
        ...


def create_index(dim: int) -> VectorIndex:
    from app.core.index.faiss_index import FaissIndex

    return FaissIndex(dim)


def index_from_bytes(data: np.ndarray) -> VectorIndex:
    from app.core.index.faiss_index import FaissIndex

    return FaissIndex.from_bytes(data)
