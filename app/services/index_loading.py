"""Reading what the search indexes are built from: each ready document's chunk ids, vectors and
(tokenised) texts, straight from the database, the source of truth."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import func, select

from app.core.keyword import Analyzer
from app.db import models as m
from app.db.session import SessionFactory, session_scope

logger = logging.getLogger(__name__)


@dataclass
class LoadedDocument:
    ids: np.ndarray
    vectors: np.ndarray
    terms: list[dict[str, list[str]]]  # per chunk: terms per keyword field (empty without an analyzer)


def load_documents(
    factory: SessionFactory, doc_ids: list[int], dim: int, analyzer: Analyzer | None
) -> dict[int, LoadedDocument]:
    """The chunks of those documents that are `ready`; documents whose vectors don't match ``dim``
    are skipped with a warning. Texts are tokenised here, so callers can do it outside any lock."""
    per_doc: dict[int, tuple[list[int], list[bytes], list[str]]] = defaultdict(lambda: ([], [], []))
    with session_scope(factory) as session:
        result = session.execute(
            select(m.Chunk.document_id, m.Chunk.id, m.Chunk.embedding, m.Chunk.text)
            .join(m.Document, m.Document.id == m.Chunk.document_id)
            .where(m.Chunk.document_id.in_(doc_ids), m.Document.status == m.DocumentStatus.ready)
            .order_by(m.Chunk.document_id, m.Chunk.ordinal)
        )
        for doc_id, chunk_id, blob, text in result:
            ids, blobs, texts = per_doc[doc_id]
            ids.append(chunk_id)
            blobs.append(blob)
            texts.append(text)
    out: dict[int, LoadedDocument] = {}
    for doc_id, (ids, blobs, texts) in per_doc.items():
        if any(len(b) != dim * 4 for b in blobs):
            logger.warning(
                "document skipped: stored vectors do not match the model (dim %s); run `shiori reindex "
                "--reembed` document=%s",
                dim,
                doc_id,
            )
            continue
        vecs = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(ids), dim)
        # Tokenising is the costly part of a sync (MeCab over every chunk).
        terms = [analyzer.analyze(t) for t in texts] if analyzer is not None else []
        out[doc_id] = LoadedDocument(np.asarray(ids, dtype=np.int64), vecs, terms)
    return out


def chunk_id_ranges(factory: SessionFactory, doc_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(chunk count, lowest id, highest id) per document: a cheap fingerprint of its chunks."""
    out: dict[int, tuple[int, int, int]] = {}
    with session_scope(factory) as session:
        for start in range(0, len(doc_ids), 500):
            rows = session.execute(
                select(m.Chunk.document_id, func.count(), func.min(m.Chunk.id), func.max(m.Chunk.id))
                .join(m.Document, m.Document.id == m.Chunk.document_id)
                .where(m.Chunk.document_id.in_(doc_ids[start : start + 500]))
                .group_by(m.Chunk.document_id)
            )
            out.update({d: (n, lo, hi) for d, n, lo, hi in rows})
    return out
