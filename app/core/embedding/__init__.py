"""Embedding: one small protocol, a factory that picks the backend from settings, and a fake."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from app.core.settings import Settings


class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors (rows), so inner product = cosine."""

    @property
    def dim(self) -> int: ...

    @property
    def model_id(self) -> str:
        """Identifies the model (vectors from different models must never share an index)."""
        ...

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` alone in the model's own tokenizer (no special tokens, no prefix)."""
        ...

    @property
    def max_tokens(self) -> int:
        """Longest input (in tokens, specials and prefix included) the model reads."""
        ...


def create_embedder(settings: Settings) -> Embedder:
    backend = settings.embedding.backend
    if backend == "fake":
        from app.core.embedding.fake import FakeEmbedder

        return FakeEmbedder(dim=settings.embedding.fake_dim, delay_s=settings.embedding.fake_delay_s)
    if backend == "sbert":
        from app.core.embedding.sbert import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(
            settings.embedding_model_path,
            query_prefix=settings.embedding.query_prefix,
            passage_prefix=settings.embedding.passage_prefix,
            batch_size=settings.embedding.batch_size,
            device=settings.embedding.device,
            threads=settings.embedding.threads,
        )
    raise ValueError(f"unknown embedding backend {backend!r}")
