"""A deterministic embedder for unit tests: hashed character n-grams, no model to load.

Texts that share characters get similar vectors, so retrieval tests still mean something.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

import numpy as np


class FakeEmbedder:
    def __init__(self, dim: int = 64, delay_s: float = 0.0) -> None:
        self._dim = dim
        self._delay_s = delay_s  # lets fault tests catch a worker in the middle of a document

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model_id(self) -> str:
        return f"fake-ngram-{self._dim}"

    @property
    def max_tokens(self) -> int:
        return 512

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dim, dtype=np.float32)
        t = text.lower()
        grams = [t[i : i + 2] for i in range(max(len(t) - 1, 1))]
        for g in grams:
            h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=4).digest(), "little")
            vec[h % self._dim] += 1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        if self._delay_s:
            time.sleep(self._delay_s * len(texts))
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)

    def count_tokens(self, text: str) -> int:
        # Roughly what a subword tokenizer does: a token per word, or per 2 CJK characters.
        words = text.split()
        return sum(max(1, len(w) // 2) if not w.isascii() else 1 for w in words)
