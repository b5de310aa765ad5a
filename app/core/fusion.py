"""Fusing dense and keyword scores into one ranking.

The candidate pool is the union of each retriever's top candidates, and every candidate carries its
exact score from *both* retrievers (the service scores the other side's candidates too), so a
passage that one retriever ranks 51st still gets its real score rather than "absent".

Methods:
- ``zscore`` (default): each retriever's scores standardised over the pool (mean 0, sd 1), then a
  weighted sum. Cosine similarities and BM25 scores live on unrelated scales; z-scores put them on
  one scale per query and, unlike ranks, keep how far ahead the leader is.
- ``minmax``: the same with each retriever's scores rescaled to [0, 1] over the pool.
- ``rrf``: reciprocal rank fusion, ``w / (rrf_k + rank)`` summed. Kept for comparison: it discards
  the score gaps, which is why plain RRF lost to BM25 alone on JSQuAD.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

FusionMethod = Literal["zscore", "minmax", "rrf"]


def _standardise(scores: np.ndarray, method: FusionMethod) -> np.ndarray:
    if method == "minmax":
        lo, hi = float(scores.min()), float(scores.max())
        return (scores - lo) / (hi - lo) if hi > lo else np.zeros_like(scores)
    sd = float(scores.std())
    return (scores - scores.mean()) / sd if sd > 0 else np.zeros_like(scores)


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score within the pool (ties share the better rank)."""
    order = np.argsort(-scores, kind="stable")
    descending = -scores[order]
    out = np.empty(len(scores), np.int64)
    # Equal scores share the best rank, so the order of the pool never changes the result.
    out[order] = np.searchsorted(descending, descending, side="left") + 1
    return out


def fuse(
    dense: np.ndarray,
    keyword: np.ndarray,
    *,
    method: FusionMethod = "zscore",
    keyword_weight: float = 0.5,
    rrf_k: int = 60,
) -> np.ndarray:
    """Fused score of each pool member (higher is better), from both retrievers' exact scores."""
    dense = np.asarray(dense, np.float64)
    keyword = np.asarray(keyword, np.float64)
    if dense.shape != keyword.shape:
        raise ValueError("dense and keyword scores must cover the same pool")
    if not len(dense):
        return np.zeros(0, np.float64)
    w = float(keyword_weight)
    if method == "rrf":
        return (1.0 - w) / (rrf_k + ranks(dense)) + w / (rrf_k + ranks(keyword))
    return (1.0 - w) * _standardise(dense, method) + w * _standardise(keyword, method)
