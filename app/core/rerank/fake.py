"""A reranker for unit tests: the share of the query's words found in the passage. No model."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"\w", re.UNICODE)


class FakeReranker:
    @property
    def model_id(self) -> str:
        return "fake-overlap"

    def rerank(self, query: str, passages: Sequence[str]) -> np.ndarray:
        # Characters rather than words, so Japanese (no spaces) is scored too.
        wanted = set(_WORD.findall(query.lower()))
        if not wanted:
            return np.zeros(len(passages), np.float32)
        return np.array(
            [len(wanted & set(_WORD.findall(p.lower()))) / len(wanted) for p in passages], np.float32
        )
