"""Reranking: a thin protocol over (query, passages) → relevance scores, a factory and a fake.

The model-based backend (a cross-encoder) is optional and off by default: no reranker weights ship
in a package, so a user points settings at a local folder. `mmr.py` is the no-model step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from app.core.settings import RerankSettings


class Reranker(Protocol):
    @property
    def model_id(self) -> str: ...

    def rerank(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """One relevance score per passage (higher is better), in the order given."""
        ...


def create_reranker(settings: RerankSettings) -> Reranker | None:
    """The configured reranker, or None when reranking is off."""
    backend = settings.backend
    if backend == "none":
        return None
    if backend == "fake":
        from app.core.rerank.fake import FakeReranker

        return FakeReranker()
    if backend == "cross-encoder":
        from app.core.rerank.cross_encoder import CrossEncoderReranker

        if settings.model_path is None:
            raise ValueError("rerank.backend=cross-encoder needs rerank.model_path (a local model folder)")
        return CrossEncoderReranker(
            settings.model_path,
            batch_size=settings.batch_size,
            max_length=settings.max_length,
            device=settings.device,
        )
    raise ValueError(f"unknown reranker backend {backend!r}")


__all__ = ["Reranker", "create_reranker"]
