"""Fusing dense and keyword scores into one ranking.

The signals are the dense similarity and the BM25 score of each keyword field (words, character
bigrams). The candidate pool is the union of each signal's top candidates, and every candidate carries
its exact score in *every* signal (the service scores the others' candidates too), so a passage that
one retriever ranks 51st still gets its real score rather than "absent".

Methods:
- ``zscore`` (default): each retriever's scores standardised over the pool (mean 0, sd 1), then a
  weighted sum. Cosine similarities and BM25 scores live on unrelated scales; z-scores put them on
  one scale per query and, unlike ranks, keep how far ahead the leader is.
- ``minmax``: the same with each retriever's scores rescaled to [0, 1] over the pool.
- ``rrf``: reciprocal rank fusion, ``w / (rrf_k + rank)`` summed. Kept for comparison: it discards
  the score gaps, which is why plain RRF lost to BM25 alone on JSQuAD.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, TypeVar

import numpy as np

FusionMethod = Literal["zscore", "minmax", "rrf"]


def _standardise(scores: np.ndarray, method: FusionMethod, seen: np.ndarray) -> np.ndarray:
    """Scores on a common scale, computed over the ``seen`` entries; the others get the neutral value
    (the mean for z-scores, the middle for min-max): no evidence either way."""
    out = np.zeros_like(scores) if method == "zscore" else np.full_like(scores, 0.5)
    if not seen.any():
        return out
    values = scores[seen]
    if method == "minmax":
        lo, hi = float(values.min()), float(values.max())
        out[seen] = (values - lo) / (hi - lo) if hi > lo else 0.0
        return out
    sd = float(values.std())
    out[seen] = (values - values.mean()) / sd if sd > 0 else 0.0
    return out


def ranks(scores: np.ndarray) -> np.ndarray:
    """1-based rank of each score within the pool (ties share the better rank)."""
    order = np.argsort(-scores, kind="stable")
    descending = -scores[order]
    out = np.empty(len(scores), np.int64)
    # Equal scores share the best rank, so the order of the pool never changes the result.
    out[order] = np.searchsorted(descending, descending, side="left") + 1
    return out


def fuse(
    signals: Sequence[np.ndarray],
    weights: Sequence[float],
    *,
    method: FusionMethod = "zscore",
    rrf_k: int = 60,
    blind: Sequence[np.ndarray | None] | None = None,
) -> np.ndarray:
    """Fused score of each pool member (higher is better) from each signal's exact scores over the
    pool. A signal that is constant over the pool (e.g. an empty field) adds nothing to the order.
    ``blind[i]`` marks pool members signal i cannot judge: they get its neutral value (z-score and
    min-max; RRF ranks everything) and are left out of its mean and spread."""
    if len(signals) != len(weights):
        raise ValueError("one weight per signal")
    arrays = [np.asarray(s, np.float64) for s in signals]
    if not arrays or any(a.shape != arrays[0].shape for a in arrays):
        raise ValueError("every signal must cover the same pool")
    out = np.zeros(len(arrays[0]), np.float64)
    masks = list(blind) if blind is not None else [None] * len(arrays)
    for scores, w, mask in zip(arrays, weights, masks, strict=True):
        if not len(scores) or not w:
            continue
        if method == "rrf":
            out += w / (rrf_k + ranks(scores))
        else:
            seen = np.ones(len(scores), bool) if mask is None else ~np.asarray(mask, bool)
            out += w * _standardise(scores, method, seen)
    return out


def signal_weights(n_keyword_fields: int, keyword_weight: float, *, dense: bool) -> list[float]:
    """Weights for [dense?, field 1, field 2, …]: the keyword share is split evenly over the fields;
    without dense (keyword mode) the fields share everything."""
    if n_keyword_fields == 0:
        return [1.0] if dense else []
    kw = keyword_weight if dense else 1.0
    return ([1.0 - kw] if dense else []) + [kw / n_keyword_fields] * n_keyword_fields


# ---- ranked passage lists ------------------------------------------------------------------------
class HasChunkId(Protocol):
    @property
    def chunk_id(self) -> int: ...


P = TypeVar("P", bound=HasChunkId)


def fuse_rankings(rankings: Sequence[Sequence[P]], k: int, rrf_k: int = 60) -> list[P]:
    """Reciprocal rank fusion of whole result lists (the searches of one follow-up), best ``k``: a
    passage both found comes first; between passages only one found, the better rank wins, and on a
    tie the earlier list."""
    score: dict[int, float] = {}
    first: dict[int, P] = {}
    for ranking in rankings:
        for rank, p in enumerate(ranking, 1):
            score[p.chunk_id] = score.get(p.chunk_id, 0.0) + 1.0 / (rrf_k + rank)
            first.setdefault(p.chunk_id, p)
    return sorted(first.values(), key=lambda p: -score[p.chunk_id])[:k]  # stable: ties keep list order
