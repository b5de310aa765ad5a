"""Maximal marginal relevance: reorder a ranked list so near-duplicates don't crowd the top.

Overlapping chunks of one page (chunking repeats a sentence between neighbours) and copies of the same
passage in two files are near-duplicates: showing both to the model spends context on nothing new.
Each pick maximises ``λ·relevance − (1−λ)·max similarity to what was already picked``.
"""

from __future__ import annotations

import numpy as np


def mmr_order(relevance: np.ndarray, similarity: np.ndarray, lambda_: float, k: int) -> list[int]:
    """Indices of the first ``k`` picks (then the rest in their original order).

    ``relevance`` is rescaled to [0, 1] so λ means the same whatever scale the scores come in;
    ``similarity`` is the items' pairwise similarity (e.g. cosine of their embeddings).
    """
    n = len(relevance)
    if n == 0:
        return []
    rel = np.asarray(relevance, np.float64)
    span = float(rel.max() - rel.min())
    rel = (rel - rel.min()) / span if span > 0 else np.ones(n)
    picked: list[int] = []
    max_sim = np.full(n, -np.inf)
    left = np.ones(n, bool)
    for _ in range(min(k, n)):
        penalty = np.where(np.isfinite(max_sim), max_sim, 0.0)
        gain = np.where(left, lambda_ * rel - (1.0 - lambda_) * penalty, -np.inf)
        best = int(np.argmax(gain))  # ties go to the better-ranked item
        picked.append(best)
        left[best] = False
        max_sim = np.maximum(max_sim, similarity[best])
    return picked + [i for i in range(n) if left[i]]
