"""Search: embed the query, look it up in the collection's index, hydrate hits from the database.

Hydration is what keeps the index honest: ids whose chunk or document is gone, or whose document is
not `ready`, are dropped, so a stale index can never surface a deleted or half-ingested document.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import defer

from app.core.embedding import Embedder
from app.core.errors import InvalidInput
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from app.services.documents import get_collection
from app.services.indexing import IndexRegistry

logger = logging.getLogger(__name__)

OVERFETCH = 2  # fetch extra ids so hits dropped at hydration don't leave the page short


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    document_id: int
    title: str
    filename: str
    page: int
    page_end: int
    page_label: str | None
    char_start: int
    char_end: int
    text: str
    score: float
    retriever: str


@dataclass(frozen=True)
class SearchResult:
    query: str
    collection: str
    passages: list[Passage]
    timings_ms: dict[str, float]


class Retriever:
    def __init__(self, factory: SessionFactory, embedder: Embedder, registry: IndexRegistry) -> None:
        self.factory = factory
        self.embedder = embedder
        self.registry = registry

    def search(self, query: str, collection: str, k: int = 5) -> SearchResult:
        query = query.strip()
        if not query:
            raise InvalidInput("The query is empty.", code="empty_query")
        if k < 1:
            raise InvalidInput("k must be at least 1.", code="invalid_k")
        t0 = time.perf_counter()
        with session_scope(self.factory) as session:
            coll_id = get_collection(session, collection).id
        qvec = self.embedder.embed_query(query)
        t1 = time.perf_counter()
        ids, scores = self.registry.search(coll_id, qvec, k * OVERFETCH + 8)
        t2 = time.perf_counter()
        passages = self._hydrate(coll_id, [int(i) for i in ids], [float(s) for s in scores])[:k]
        t3 = time.perf_counter()
        timings = {
            "embed_ms": (t1 - t0) * 1000,
            "index_ms": (t2 - t1) * 1000,
            "hydrate_ms": (t3 - t2) * 1000,
            "total_ms": (t3 - t0) * 1000,
        }
        return SearchResult(query, collection, passages, timings)

    def _hydrate(self, coll_id: int, ids: list[int], scores: list[float]) -> list[Passage]:
        if not ids:
            return []
        with session_scope(self.factory) as session:
            rows = session.execute(
                select(m.Chunk, m.Document.title, m.Document.filename, m.Page.label)
                .join(m.Document, m.Document.id == m.Chunk.document_id)
                .outerjoin(
                    m.Page,
                    and_(m.Page.document_id == m.Chunk.document_id, m.Page.number == m.Chunk.page_start),
                )
                .where(
                    m.Chunk.id.in_(ids),
                    m.Document.collection_id == coll_id,
                    m.Document.status == m.DocumentStatus.ready,
                )
                .options(defer(m.Chunk.embedding))  # hydration never needs the vectors
            ).all()
        by_id = {row[0].id: row for row in rows}
        out: list[Passage] = []
        for chunk_id, score in zip(ids, scores, strict=True):
            row = by_id.get(chunk_id)
            if row is None:
                continue  # stale id: document deleted or not ready
            chunk, title, filename, label = row
            out.append(
                Passage(
                    chunk_id=chunk.id,
                    document_id=chunk.document_id,
                    title=title or filename,
                    filename=filename,
                    page=chunk.page_start,
                    page_end=chunk.page_end,
                    page_label=label,
                    char_start=chunk.char_start,
                    char_end=chunk.char_end,
                    text=chunk.text,
                    score=score,
                    retriever="dense",
                )
            )
        return out
