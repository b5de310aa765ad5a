"""Hybrid search through the registry and retriever, with fakes: keyword index kept in sync with the
database, snapshots that carry it, filters, labels and scores, reranking."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete, update

from app.core.errors import InvalidInput
from app.core.keyword.fake import FakeAnalyzer
from app.core.rerank.fake import FakeReranker
from app.core.settings import SearchSettings
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from app.services.indexing import IndexRegistry
from app.services.retrieval import Retriever
from tests.support.index_data import EMB, add_document, coll_id, index_database

pytestmark = pytest.mark.unit


@pytest.fixture
def factory(sqlite_url: str) -> SessionFactory:
    return index_database(sqlite_url)


class WordAnalyzer(FakeAnalyzer):
    """Whole lower-cased words (the fake's CJK single characters are not needed here)."""

    def analyze(self, text: str) -> dict[str, list[str]]:
        return {"word": text.lower().replace(".", " ").split()}


def registry(
    factory: SessionFactory, snapshot_dir: Path | None = None, analyzer: object = None
) -> IndexRegistry:
    return IndexRegistry(
        factory,
        dim=EMB.dim,
        model_id=EMB.model_id,
        snapshot_dir=snapshot_dir,
        analyzer=analyzer or WordAnalyzer(),  # type: ignore[arg-type]
    )


def retriever(factory: SessionFactory, reg: IndexRegistry, **kwargs: object) -> Retriever:
    return Retriever(factory, EMB, reg, **kwargs)  # type: ignore[arg-type]


def test_keyword_index_follows_the_database(factory: SessionFactory) -> None:
    a = add_document(factory, ["zebra crossing rules", "traffic lights"])
    add_document(factory, ["zebra half done"], status=m.DocumentStatus.processing)
    reg = registry(factory)
    reg.sync()
    cid = coll_id(factory)
    hits = reg.collection(cid).keyword_search({"word": ["zebra"]}, 5)
    assert len(hits.found) == 1 and hits.scores["word"][0] > 0
    with session_scope(factory, write=True) as s:
        s.execute(delete(m.Document).where(m.Document.id == a))
    reg.sync()
    assert len(reg.collection(cid).keyword_search({"word": ["zebra"]}, 5).found) == 0


def test_modes_labels_and_scores(factory: SessionFactory) -> None:
    add_document(factory, ["the quick brown fox", "a lazy dog sleeps", "quantum chromodynamics lecture"])
    reg = registry(factory)
    reg.sync()
    r = retriever(factory, reg)
    hybrid = r.search("quantum chromodynamics", "c", k=3)
    assert hybrid.mode == "hybrid"  # the default
    top = hybrid.passages[0]
    assert top.text == "quantum chromodynamics lecture"
    assert top.retriever == "dense+keyword" and top.keyword_score and top.keyword_score > 0
    assert top.dense_score is not None and -1 <= top.dense_score <= 1
    assert all(p.dense_score is not None and p.keyword_score is not None for p in hybrid.passages)
    assert all(a.score >= b.score for a, b in zip(hybrid.passages, hybrid.passages[1:], strict=False))

    kw = r.search("quantum chromodynamics", "c", k=3, mode="keyword")
    assert [p.text for p in kw.passages] == ["quantum chromodynamics lecture"]  # BM25 only matches
    assert kw.passages[0].retriever == "keyword" and kw.passages[0].dense_score is None
    dense = r.search("quantum chromodynamics", "c", k=3, mode="dense")
    assert len(dense.passages) == 3 and all(p.retriever == "dense" for p in dense.passages)
    assert dense.passages[0].score == dense.passages[0].dense_score


def test_keyword_only_candidates_get_exact_dense_scores(factory: SessionFactory) -> None:
    texts = [f"filler passage number {i} about nothing" for i in range(30)] + ["xylophone"]
    add_document(factory, texts)
    reg = registry(factory)
    reg.sync()
    r = retriever(factory, reg, settings=SearchSettings(candidates=2))
    res = r.search("xylophone filler", "c", k=40)
    by_text = {p.text: p for p in res.passages}
    xylo = by_text["xylophone"]
    expected = float(EMB.embed_query("xylophone filler") @ EMB.embed_documents(["xylophone"])[0])
    assert xylo.dense_score == pytest.approx(expected, abs=1e-5)


def test_filters_by_document_and_page(factory: SessionFactory) -> None:
    a = add_document(factory, ["apple pie recipe", "apple tart", "apple cider"])  # pages 1, 2, 3
    b = add_document(factory, ["apple orchard"])
    reg = registry(factory)
    reg.sync()
    r = retriever(factory, reg)
    for mode in ("dense", "keyword", "hybrid"):
        hits = r.search("apple", "c", k=10, mode=mode, document_ids=[a], pages=[2, 3]).passages  # type: ignore[arg-type]
        assert {(p.document_id, p.page) for p in hits} == {(a, 2), (a, 3)}, mode
        hits = r.search("apple", "c", k=10, mode=mode, document_ids=[b]).passages  # type: ignore[arg-type]
        assert [p.document_id for p in hits] == [b]
    assert r.search("apple", "c", k=10, pages=[99]).passages == []


def test_stale_ids_are_dropped_before_the_next_sync(factory: SessionFactory) -> None:
    keep = add_document(factory, ["tokyo tower is red"])
    drop = add_document(factory, ["tokyo tower height"])
    reg = registry(factory)
    reg.sync()
    with session_scope(factory, write=True) as s:
        s.execute(update(m.Document).where(m.Document.id == drop).values(status=m.DocumentStatus.processing))
    for mode in ("keyword", "hybrid"):
        hits = retriever(factory, reg).search("tokyo tower", "c", k=5, mode=mode).passages  # type: ignore[arg-type]
        assert {p.document_id for p in hits} == {keep}


def test_snapshot_carries_the_keyword_index(factory: SessionFactory, tmp_path: Path) -> None:
    add_document(factory, ["alpha beta", "gamma delta"])
    reg = registry(factory, tmp_path / "idx")
    reg.sync()
    reg.save_snapshots()

    class CountingAnalyzer(WordAnalyzer):
        calls = 0

        def analyze(self, text: str) -> dict[str, list[str]]:
            CountingAnalyzer.calls += 1
            return super().analyze(text)

    fresh = registry(factory, tmp_path / "idx", analyzer=CountingAnalyzer())
    assert fresh.load_snapshots() == 1
    fresh.sync()
    assert CountingAnalyzer.calls == 0  # nothing re-tokenised at start-up
    assert len(fresh.collection(coll_id(factory)).keyword_search({"word": ["gamma"]}, 5).found) == 1

    class OtherAnalyzer(WordAnalyzer):
        @property
        def analyzer_id(self) -> str:
            return "other"

    other = registry(factory, tmp_path / "idx", analyzer=OtherAnalyzer())
    assert other.load_snapshots() == 0  # built with another analyzer: rebuilt from the database
    other.sync()
    assert len(other.collection(coll_id(factory)).keyword_search({"word": ["gamma"]}, 5).found) == 1


def test_remove_document_drops_it_from_both_indexes(factory: SessionFactory) -> None:
    doc = add_document(factory, ["walrus facts"])
    reg = registry(factory)
    reg.sync()
    assert reg.remove_document(doc)
    assert len(reg.collection(coll_id(factory)).keyword_search({"word": ["walrus"]}, 5).found) == 0
    assert len(reg.collection(coll_id(factory)).search(EMB.embed_query("walrus facts"), 5)[0]) == 0


def test_reranker_reorders_and_keyword_off_falls_back(factory: SessionFactory) -> None:
    add_document(factory, ["東京タワーは赤い", "大阪城", "東京"])
    reg = registry(factory)
    reg.sync()
    r = retriever(factory, reg, reranker=FakeReranker())
    res = r.search("東京タワー", "c", k=2)
    assert res.reranked and res.passages[0].text == "東京タワーは赤い"
    assert res.passages[0].rerank_score == res.passages[0].score == pytest.approx(1.0)
    assert not r.search("東京タワー", "c", k=2, rerank=False).reranked
    with pytest.raises(InvalidInput):
        retriever(factory, reg).search("x", "c", rerank=True)

    dense_only = IndexRegistry(factory, dim=EMB.dim, model_id=EMB.model_id, snapshot_dir=None)
    dense_only.sync()
    assert retriever(factory, dense_only).search("東京", "c").mode == "dense"
    with pytest.raises(InvalidInput, match="turned off"):
        retriever(factory, dense_only).search("東京", "c", mode="keyword")


def test_mmr_spreads_near_duplicates(factory: SessionFactory) -> None:
    add_document(
        factory,
        ["red apples are sweet", "red apples are sweet!", "green pears are sweet", "boats", "tax law"],
    )
    reg = registry(factory)
    reg.sync()
    plain = retriever(factory, reg).search("red apples sweet", "c", k=2).passages
    assert {p.text for p in plain} == {"red apples are sweet", "red apples are sweet!"}
    mmr = retriever(factory, reg, settings=SearchSettings(mmr_lambda=0.5)).search(
        "red apples sweet", "c", k=2
    )
    assert mmr.passages[0].text == "red apples are sweet"  # the best stays first
    assert "red apples are sweet!" not in {p.text for p in mmr.passages}  # its near-copy makes room
    assert np.isfinite([p.score for p in mmr.passages]).all()


def test_keyword_signals_abstain_across_scripts(factory: SessionFactory) -> None:
    from app.core.keyword.analyzer import MecabAnalyzer

    add_document(factory, ["著作権法の歴史と法律の署名について", "Copyright law was signed in 1998"])
    reg = registry(factory, analyzer=MecabAnalyzer())
    reg.sync()
    cid = coll_id(factory)
    hits = reg.collection(cid).keyword_search(
        reg.query_terms("著作権法はいつ署名されたか"), 5, also=np.array([1, 2])
    )
    assert hits.other_script is not None
    by_text = dict(zip(hits.ids.tolist(), hits.other_script.tolist(), strict=True))
    assert sorted(by_text.values()) == [False, True]  # the English passage is out of BM25's sight
    english = reg.collection(cid).keyword_search(reg.query_terms("copyright law"), 5, also=np.array([1, 2]))
    assert english.other_script is None  # English questions may match Latin words anywhere
