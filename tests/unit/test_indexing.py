"""Index registry: derived from the database, kept in sync, snapshots that can't lie, stale ids dropped."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from app.db import models as m
from app.db.session import SessionFactory, session_scope
from app.services.indexing import IndexRegistry
from app.services.retrieval import Retriever
from tests.support.index_data import EMB, add_document, coll_id, index_database

pytestmark = pytest.mark.unit


@pytest.fixture
def factory(sqlite_url: str) -> SessionFactory:
    return index_database(sqlite_url)


def registry(factory: SessionFactory, snapshot_dir: Path | None = None) -> IndexRegistry:
    return IndexRegistry(factory, dim=EMB.dim, model_id=EMB.model_id, snapshot_dir=snapshot_dir)


def test_sync_adds_ready_documents_only_and_removes_gone_ones(factory: SessionFactory) -> None:
    ready = add_document(factory, ["apples are red", "bananas are yellow"])
    add_document(factory, ["half-done document"], status=m.DocumentStatus.processing)
    reg = registry(factory)
    stats = reg.sync()
    assert (stats.added_documents, stats.added_chunks) == (1, 2)
    assert reg.total_chunks() == 2
    assert reg.sync().added_documents == 0  # idempotent
    with session_scope(factory, write=True) as s:
        s.execute(delete(m.Document).where(m.Document.id == ready))
    assert reg.sync().removed_documents == 1
    assert reg.total_chunks() == 0


def test_retriever_hydrates_and_drops_stale_ids(factory: SessionFactory) -> None:
    keep = add_document(factory, ["東京タワーは赤い", "富士山は高い"])
    drop = add_document(factory, ["東京タワーの高さは333メートル"])
    reg = registry(factory)
    reg.sync()
    retriever = Retriever(factory, EMB, reg)
    hits = retriever.search("東京タワー", "c", k=5).passages
    assert {h.document_id for h in hits} == {keep, drop}
    # Document leaves `ready` (e.g. re-ingestion) but the index hasn't synced yet: still never returned.
    with session_scope(factory, write=True) as s:
        s.execute(update(m.Document).where(m.Document.id == drop).values(status=m.DocumentStatus.processing))
    hits = retriever.search("東京タワー", "c", k=5).passages
    assert {h.document_id for h in hits} == {keep}
    assert hits[0].text == "東京タワーは赤い" and hits[0].page == 1
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))


def test_collections_are_separate(factory: SessionFactory) -> None:
    add_document(factory, ["only in c"])
    other = add_document(factory, ["only in d"], coll="d")
    reg = registry(factory)
    reg.sync()
    hits = Retriever(factory, EMB, reg).search("only in", "d", k=5).passages
    assert [h.document_id for h in hits] == [other]


def test_snapshot_round_trip_and_catch_up(factory: SessionFactory, tmp_path: Path) -> None:
    a = add_document(factory, ["alpha beta", "gamma delta"])
    reg = registry(factory, tmp_path / "idx")
    reg.sync()
    assert reg.save_snapshots() == 1
    b = add_document(factory, ["epsilon"])  # arrives while the API is down
    fresh = registry(factory, tmp_path / "idx")
    assert fresh.load_snapshots() == 1
    assert fresh.stats()[coll_id(factory)] == {"documents": 1, "chunks": 2}
    stats = fresh.sync()
    assert (stats.added_documents, stats.removed_documents) == (1, 0)
    assert fresh.stats()[coll_id(factory)] == {"documents": 2, "chunks": 3}
    assert {a, b} <= set(fresh._collections[coll_id(factory)].doc_chunks)


def test_snapshot_of_another_model_or_corrupt_is_ignored(factory: SessionFactory, tmp_path: Path) -> None:
    add_document(factory, ["alpha"])
    reg = registry(factory, tmp_path / "idx")
    reg.sync()
    reg.save_snapshots()
    other = IndexRegistry(factory, dim=EMB.dim, model_id="another-model", snapshot_dir=tmp_path / "idx")
    assert other.load_snapshots() == 0
    snap = next((tmp_path / "idx").glob("*.npz"))
    snap.write_bytes(b"not a snapshot")
    assert registry(factory, tmp_path / "idx").load_snapshots() == 0


def test_remove_document_is_immediate(factory: SessionFactory) -> None:
    doc = add_document(factory, ["gone soon"])
    reg = registry(factory)
    reg.sync()
    assert reg.remove_document(doc)
    ids, _ = reg.collection(coll_id(factory)).search(EMB.embed_query("gone soon"), 5)
    assert len(ids) == 0


def test_snapshot_entries_not_matching_the_database_are_reloaded(
    factory: SessionFactory, tmp_path: Path
) -> None:
    doc = add_document(factory, ["alpha", "beta"])
    reg = registry(factory, tmp_path / "idx")
    reg.sync()
    reg.save_snapshots()
    # The database's chunks change under the snapshot (recreated database, ids restarted elsewhere).
    with session_scope(factory, write=True) as s:
        s.execute(delete(m.Chunk).where(m.Chunk.document_id == doc))
        s.add(
            m.Chunk(
                document_id=doc,
                ordinal=0,
                page_start=1,
                page_end=1,
                char_start=0,
                char_end=5,
                text="gamma",
                token_count=1,
                embedding=EMB.embed_documents(["gamma"])[0].astype("<f4").tobytes(),
            )
        )
    fresh = registry(factory, tmp_path / "idx")
    fresh.load_snapshots()
    fresh.sync()
    hits = Retriever(factory, EMB, fresh).search("gamma", "c", k=5).passages
    assert [h.text for h in hits] == ["gamma"]


def test_index_sync_thread_follows_the_database_and_saves_on_stop(
    factory: SessionFactory, tmp_path: Path
) -> None:
    from app.core.settings import IndexSettings
    from app.services.index_sync import IndexSync
    from tests.support.waiting import wait_until

    reg = registry(factory, tmp_path / "idx")
    # A long interval: only `wake()` can make the new document show up within the test's wait.
    sync = IndexSync(reg, IndexSettings(sync_interval_s=3600, snapshot_interval_s=3600))
    sync.start()
    try:
        add_document(factory, ["walrus facts"])
        sync.wake()
        wait_until(lambda: reg.total_chunks() == 1, message="the woken sync to add the document")
    finally:
        sync.stop()
    assert not any(t.name == "index-sync" and t.is_alive() for t in threading.enumerate())
    assert [p.name for p in (tmp_path / "idx").glob("*.npz")] == [f"collection-{coll_id(factory)}.npz"]


def test_searching_a_collection_with_nothing_indexed_finds_nothing(factory: SessionFactory) -> None:
    reg = registry(factory)
    empty = reg.collection(12345)
    assert len(empty.search(EMB.embed_query("x"), 5)[0]) == 0
    assert len(empty.keyword_search({"word": ["x"]}, 5).found) == 0 and reg.total_chunks() == 0
