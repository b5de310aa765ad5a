"""Fusion of dense and keyword scores, and MMR reordering."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.fusion import fuse, ranks, signal_weights
from app.core.rerank import create_reranker
from app.core.rerank.fake import FakeReranker
from app.core.rerank.mmr import mmr_order
from app.core.settings import RerankSettings

pytestmark = pytest.mark.unit


def test_ranks_share_ties() -> None:
    assert ranks(np.array([0.5, 0.9, 0.5, 0.1])).tolist() == [2, 1, 2, 4]


@pytest.mark.parametrize("method", ["zscore", "minmax", "rrf"])
def test_weights_move_the_ranking_between_retrievers(method: str) -> None:
    dense = np.array([0.9, 0.5, 0.1])  # dense prefers item 0
    keyword = np.array([1.0, 9.0, 2.0])  # BM25 prefers item 1
    assert int(np.argmax(fuse([dense, keyword], [1.0, 0.0], method=method))) == 0  # type: ignore[arg-type]
    assert int(np.argmax(fuse([dense, keyword], [0.0, 1.0], method=method))) == 1  # type: ignore[arg-type]


def test_zscore_keeps_score_gaps_that_rrf_throws_away() -> None:
    # Both retrievers agree on rank order for items 0 and 1 in opposite ways, but BM25's lead for item 1
    # is huge while dense's lead for item 0 is tiny: z-scores follow the confident retriever.
    dense = np.array([0.81, 0.80, 0.20, 0.21])
    keyword = np.array([1.0, 25.0, 0.0, 0.5])
    z = fuse([dense, keyword], [0.5, 0.5], method="zscore")
    assert int(np.argmax(z)) == 1
    r = fuse([dense, keyword], [0.5, 0.5], method="rrf")
    assert r[0] == pytest.approx(r[1])  # ranks 1+2 vs 2+1: a coin toss for RRF


def test_degenerate_pools() -> None:
    assert len(fuse([np.array([]), np.array([])], [0.5, 0.5])) == 0
    flat = fuse([np.array([0.5, 0.5]), np.array([0.0, 0.0])], [0.5, 0.5])
    assert flat.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError):
        fuse([np.array([1.0]), np.array([1.0, 2.0])], [0.5, 0.5])
    with pytest.raises(ValueError):
        fuse([np.array([1.0])], [0.5, 0.5])


def test_an_empty_field_changes_nothing() -> None:
    # English text has no character-bigram terms: that signal is all zeros and must not move the order.
    dense, words = np.array([0.2, 0.9, 0.5]), np.array([3.0, 0.0, 1.0])
    with_empty = fuse([dense, words, np.zeros(3)], signal_weights(2, 0.5, dense=True))
    without = fuse([dense, words], [0.5, 0.25])
    assert with_empty.tolist() == pytest.approx(without.tolist())


def test_signal_weights() -> None:
    assert signal_weights(2, 0.5, dense=True) == [0.5, 0.25, 0.25]
    assert signal_weights(2, 0.5, dense=False) == [0.5, 0.5]
    assert signal_weights(1, 0.3, dense=True) == [0.7, 0.3]
    assert signal_weights(0, 0.5, dense=True) == [1.0]


def test_mmr_pushes_near_duplicates_down() -> None:
    relevance = np.array([1.0, 0.99, 0.8, 0.0])
    sim = np.eye(4)
    sim[0, 1] = sim[1, 0] = 0.98  # 0 and 1: overlapping chunks of one page
    assert mmr_order(relevance, sim, lambda_=1.0, k=4) == [0, 1, 2, 3]  # λ=1: relevance only
    assert mmr_order(relevance, sim, lambda_=0.5, k=2) == [0, 2, 1, 3]  # the duplicate waits
    assert mmr_order(np.array([]), np.zeros((0, 0)), 0.5, 3) == []


def test_reranker_factory_and_fake() -> None:
    assert create_reranker(RerankSettings()) is None
    fake = create_reranker(RerankSettings(backend="fake"))
    assert isinstance(fake, FakeReranker)
    scores = fake.rerank("東京タワー", ["大阪城", "東京タワーは赤い"])
    assert scores[1] > scores[0]
    with pytest.raises(ValueError, match="model_path"):
        create_reranker(RerankSettings(backend="cross-encoder"))


def test_blind_entries_get_the_neutral_value_and_leave_the_statistics_alone() -> None:
    # Entry 2 is an English passage for a Japanese query: BM25 scored it 0 because it can't read it.
    dense = np.array([0.80, 0.70, 0.86])
    keyword = np.array([20.0, 10.0, 0.0])
    blind = np.array([False, False, True])
    plain = fuse([dense, keyword], [0.5, 0.5])
    fair = fuse([dense, keyword], [0.5, 0.5], blind=[None, blind])
    assert int(np.argmax(plain)) == 0  # the unreadable passage is punished for BM25's blindness
    assert fair[2] > plain[2]  # its keyword part is neutral (0) instead of strongly negative
    # The readable entries are standardised among themselves (two values: +1 and -1), the blind one is 0.
    dense_part = 0.5 * (dense - dense.mean()) / dense.std()
    assert (fair - dense_part).tolist() == pytest.approx([0.5, -0.5, 0.0])
