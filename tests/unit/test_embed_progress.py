"""Ingestion shows embedding progress on documents of every size: the seed document's 56 chunks were
embedded in one call and showed "embedding 0/56" until they were done."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.chunking import ChunkDraft
from app.core.embedding.fake import FakeEmbedder
from ingestion.pipeline import EMBED_GROUP, Pipeline, Progress

pytestmark = pytest.mark.unit


class _Keeper:
    """Stands in for the lease keeper: records the progress each time the pipeline checks in."""

    def __init__(self, progress: Progress) -> None:
        self.progress, self.seen = progress, list[Any]()

    def check(self) -> None:
        self.seen.append(self.progress.snapshot()["chunks_done"])


def embedded(chunks: int, make_settings: Any) -> tuple[list[Any], int]:
    pipeline = Pipeline(make_settings(), factory=None, embedder=FakeEmbedder(), owner="test")  # type: ignore[arg-type]
    drafts = [ChunkDraft(i, 1, 1, 0, 4, f"本文{i}です。", 4) for i in range(chunks)]
    progress = Progress()
    keeper = _Keeper(progress)
    vectors = pipeline._embed(drafts, progress, keeper)  # type: ignore[arg-type]
    return keeper.seen, len(vectors)


def test_a_small_document_moves_before_it_is_done(make_settings: Any) -> None:
    seen, n = embedded(56, make_settings)
    assert n == 56 and seen[-1] == 56
    assert any(0 < done < 56 for done in seen)


def test_a_long_document_moves_in_several_steps_of_whole_batches(make_settings: Any) -> None:
    seen, n = embedded(1000, make_settings)
    assert n == 1000 and seen[-1] == 1000
    assert len(seen) >= 4 and all(done % 32 == 0 for done in seen[:-1])
    assert all(b - a <= EMBED_GROUP for a, b in zip([0, *seen], seen, strict=False))
