"""Passages as search returns them, read from the database (hydration) and search filters in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, defer

from app.db import models as m
from app.db.session import SessionFactory, session_scope


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
    score: float  # what the list is ranked by: fused, dense, BM25 or reranker score (see retriever)
    retriever: str  # "dense", "keyword" or "dense+keyword": whose candidate lists held it
    dense_score: float | None = None  # cosine similarity to the query (dense and hybrid modes)
    keyword_score: float | None = None  # BM25 score (keyword and hybrid modes)
    rerank_score: float | None = None  # cross-encoder score, when reranked
    ocr: bool = False  # the passage's page was read by OCR (its text may hold recognition errors)


def hydrate(factory: SessionFactory, coll_id: int, ids: list[int]) -> list[Passage]:
    """Passages for ``ids`` in the order given; ids whose chunk is gone, or whose document is not
    `ready` or not in the collection, are dropped. Scores are left for the caller to fill in."""
    if not ids:
        return []
    with session_scope(factory) as session:
        rows = session.execute(
            select(m.Chunk, m.Document.title, m.Document.filename, m.Page.label, m.Page.ocr)
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
    for chunk_id in ids:
        row = by_id.get(chunk_id)
        if row is None:
            continue  # stale id: document deleted or not ready
        chunk, title, filename, label, ocr = row
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
                score=0.0,
                retriever="",
                ocr=bool(ocr),
            )
        )
    return out


def allowed_chunk_ids(
    session: Session, coll_id: int, document_ids: Sequence[int] | None, pages: Sequence[int] | None
) -> np.ndarray:
    """Chunk ids a filtered search may return: in the given documents (if any), touching one of the
    given pages (if any)."""
    query = (
        select(m.Chunk.id, m.Chunk.page_start, m.Chunk.page_end)
        .join(m.Document, m.Document.id == m.Chunk.document_id)
        .where(m.Document.collection_id == coll_id, m.Document.status == m.DocumentStatus.ready)
    )
    if document_ids is not None:
        query = query.where(m.Chunk.document_id.in_(list(document_ids)))
    if pages is not None:
        wanted = sorted(set(pages))
        if not wanted:
            return np.zeros(0, np.int64)
        query = query.where(m.Chunk.page_start <= wanted[-1], m.Chunk.page_end >= wanted[0])
    rows = session.execute(query).all()
    if not rows:
        return np.zeros(0, np.int64)
    ids, starts, ends = (np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
    if pages is not None:
        # A chunk runs from page_start to page_end: keep it when a wanted page lies in that range.
        wanted_arr = np.array(sorted(set(pages)), np.int64)
        first_at_or_after = np.searchsorted(wanted_arr, starts)
        hit = first_at_or_after < len(wanted_arr)
        hit[hit] = wanted_arr[first_at_or_after[hit]] <= ends[hit]
        ids = ids[hit]
    return ids
