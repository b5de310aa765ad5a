"""BM25 index: the textbook formula, incremental updates equal a fresh build, snapshots round-trip."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from app.core.keyword.bm25 import BM25Index

pytestmark = pytest.mark.unit

DOCS = {
    10: "the cat sat on the mat".split(),
    11: "the dog sat on the log".split(),
    12: "cats and dogs".split(),
    13: "a cat and a dog and a cat".split(),
}


def reference(
    docs: dict[int, list[str]], query: list[str], k1: float = 1.2, b: float = 0.75
) -> dict[int, float]:
    n = len(docs)
    avg = sum(len(t) for t in docs.values()) / n
    out = {}
    for doc_id, toks in docs.items():
        s = 0.0
        for term in set(query):
            df = sum(term in t for t in docs.values())
            tf = toks.count(term)
            if df == 0 or tf == 0:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(toks) / avg))
        out[doc_id] = s
    return out


def build(docs: dict[int, list[str]], batch: int = 100) -> BM25Index:
    index = BM25Index()
    items = list(docs.items())
    for start in range(0, len(items), batch):
        part = items[start : start + batch]
        index.add(np.array([i for i, _ in part]), [t for _, t in part])
    return index


def test_scores_match_the_formula() -> None:
    index = build(DOCS)
    ids, scores = index.search(["cat", "dog"], k=10)
    expected = reference(DOCS, ["cat", "dog"])
    assert dict(zip(ids.tolist(), scores.tolist(), strict=True)) == pytest.approx(
        {d: s for d, s in expected.items() if s > 0}, rel=1e-5
    )
    assert list(ids) == sorted(ids, key=lambda i: (-expected[i], i))  # best first
    exact = index.score(["cat", "dog"], np.array([12, 10, 999]))
    assert exact.tolist() == pytest.approx([expected[12], expected[10], 0.0], rel=1e-5)


def test_unknown_terms_and_empty_index_find_nothing() -> None:
    assert len(BM25Index().search(["x"], 5)[0]) == 0
    index = build(DOCS)
    assert len(index.search(["zebra"], 5)[0]) == 0
    assert len(index.search([], 5)[0]) == 0


def test_incremental_updates_score_like_a_fresh_build() -> None:
    rng = random.Random(7)
    words = [f"w{i}" for i in range(40)]
    docs = {i: [rng.choice(words) for _ in range(rng.randint(1, 30))] for i in range(300)}
    index = BM25Index()
    ids = list(docs)
    pos = 0
    live: dict[int, list[str]] = {}
    while pos < len(ids):  # batches of varying size (exercises segment merges), with deletions between
        step = rng.randint(1, 40)
        batch = ids[pos : pos + step]
        index.add(np.array(batch), [docs[i] for i in batch])
        live.update({i: docs[i] for i in batch})
        pos += step
        gone = rng.sample(sorted(live), k=min(len(live), rng.randint(0, 5)))
        assert index.remove(np.array(gone)) == len(gone)
        for g in gone:
            del live[g]
    assert len(index) == len(live)
    assert index.segments <= 8
    fresh = build(live)
    for _ in range(20):
        query = rng.sample(words, 3)
        got_ids, got = index.search(query, 15)
        want_ids, want = fresh.search(query, 15)
        assert got.tolist() == pytest.approx(want.tolist(), rel=1e-5)
        assert got_ids.tolist() == want_ids.tolist()


def test_allowed_restricts_candidates() -> None:
    ids, _ = build(DOCS).search(["cat"], 10, allowed=np.array([13, 11]))
    assert ids.tolist() == [13]


def test_snapshot_round_trip_and_frozen_copy() -> None:
    index = build(DOCS, batch=1)
    index.remove(np.array([11]))
    frozen = index.frozen_copy()
    index.remove(np.array([10]))  # after the copy: must not show in it
    restored = BM25Index.from_arrays(frozen.to_arrays())
    assert len(restored) == 3 and restored.segments == 1
    live = {i: t for i, t in DOCS.items() if i != 11}
    want = reference(live, ["cat", "sat"])
    ids, scores = restored.search(["cat", "sat"], 10)
    assert dict(zip(ids.tolist(), scores.tolist(), strict=True)) == pytest.approx(
        {d: s for d, s in want.items() if s > 0}, rel=1e-5
    )
    restored.add(np.array([20]), [["cat", "new"]])  # a restored index keeps growing
    assert restored.search(["new"], 5)[0].tolist() == [20]


def test_inconsistent_snapshot_is_rejected() -> None:
    arrays = build(DOCS).to_arrays()
    arrays["rows"] = arrays["rows"] + 100
    with pytest.raises(ValueError):
        BM25Index.from_arrays(arrays)
