"""Hybrid search with the real embedding model, MeCab, FAISS, on SQLite and PostgreSQL: keyword hits the
dense model misses, snapshots that carry the keyword index across a restart, `shiori reindex`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import delete

from app import cli
from app.core.settings import Settings
from app.db import models as m
from app.db.session import session_scope
from app.services import documents as docs
from app.services.container import Container, build_container
from app.services.indexing import create_registry
from tests.support.ingest import ingest

pytestmark = pytest.mark.integration

TEXTS = {
    "parts.txt": "交換部品の型番はQX-7731Bです。注文は総務部の山田さんへ。",
    "tower.txt": "東京タワーは1958年に完成した電波塔である。高さは333メートルで、当時は世界一だった。",
    "lake.txt": "琵琶湖は滋賀県にある日本最大の湖である。面積は約670平方キロメートル。",
    "paper.txt": "The Transformer architecture was introduced in the paper Attention Is All You Need.",
    "castle.txt": "大阪城は豊臣秀吉が築いた城で、現在の天守閣は1931年に再建された。",
}


@pytest.fixture
def container(make_settings: Callable[..., Settings], db_url: str, real_embedder: Any) -> Iterator[Container]:
    settings = make_settings(db_url, embedding={"backend": "sbert"})
    c = build_container(settings, embedder=real_embedder)
    ingest(c, texts=TEXTS)
    yield c
    c.close()


def names(c: Container, query: str, mode: str, k: int = 2) -> list[str]:
    assert c.retriever is not None
    return [p.filename for p in c.retriever.search(query, "default", k, mode=mode).passages]  # type: ignore[arg-type]


def test_hybrid_finds_what_each_retriever_finds(container: Container) -> None:
    # A part number: BM25 matches it exactly; hybrid keeps it first.
    assert names(container, "QX-7731Bの注文先", "keyword")[0] == "parts.txt"
    assert names(container, "QX-7731Bの注文先", "hybrid")[0] == "parts.txt"
    # Paraphrase across languages: no shared words, the dense model carries it.
    assert names(container, "Which is the biggest lake in Japan?", "keyword") == []
    assert names(container, "Which is the biggest lake in Japan?", "hybrid")[0] == "lake.txt"
    assert names(container, "東京タワーはいつ完成しましたか", "hybrid")[0] == "tower.txt"
    assert names(container, "Who introduced the Transformer?", "hybrid")[0] == "paper.txt"


def test_restart_from_snapshot_and_reindex(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    assert container.registry is not None
    container.registry.save_snapshots(force=True)
    fresh = create_registry(container.settings, container.factory, container.embedder)
    calls = 0
    analyze = fresh.analyzer.analyze  # type: ignore[union-attr]

    def counting(text: str) -> dict[str, list[str]]:
        nonlocal calls
        calls += 1
        return analyze(text)

    monkeypatch.setattr(fresh.analyzer, "analyze", counting)
    assert fresh.load_snapshots() == 1
    fresh.sync()
    assert calls == 0  # nothing re-tokenised on restart
    terms = fresh.query_terms("QX-7731B")
    calls = 0
    with session_scope(container.factory) as s:
        coll_id = docs.get_collection(s, "default").id
        parts = next(d.id for d in s.query(m.Document) if d.filename == "parts.txt")
    assert len(fresh.collection(coll_id).keyword_search(terms, 5).found) == 1

    # Deleted in the database while the API was down: gone after the next sync.
    with session_scope(container.factory, write=True) as s:
        s.execute(delete(m.Document).where(m.Document.id == parts))
    assert fresh.sync().removed_documents == 1
    assert len(fresh.collection(coll_id).keyword_search(terms, 5).found) == 0

    # `shiori reindex` rebuilds both indexes from the database.
    settings = container.settings
    monkeypatch.setenv("SHIORI_PATHS__DATA_DIR", str(settings.paths.data_dir))
    monkeypatch.setenv("SHIORI_DB__URL", settings.database_url)
    monkeypatch.setenv("SHIORI_EMBEDDING__MODEL_PATH", str(container.embedder.path))  # type: ignore[attr-defined]
    assert cli.main(["reindex"]) == 0
    rebuilt = create_registry(settings, container.factory, container.embedder)
    assert rebuilt.load_snapshots() == 1
    assert rebuilt.stats()[coll_id] == {"documents": len(TEXTS) - 1, "chunks": len(TEXTS) - 1}
