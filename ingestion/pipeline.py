"""One document through the pipeline: extract pages → normalise → chunk → embed → write (one tx)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import delete, insert, select, update

from app.core.char_boxes import encode_boxes
from app.core.chunking import ChunkDraft, chunk_pages
from app.core.embedding import Embedder
from app.core.settings import Settings
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from ingestion import jobs
from ingestion.loaders import load_document
from ingestion.loaders.base import LoadedDocument
from ingestion.ocr import DocumentOcr, make_document_ocr, unavailable_reason

logger = logging.getLogger(__name__)

EMBED_GROUP = 128  # texts per encode call at most: big enough for length-sorted batches
# Smaller documents are embedded in groups of whole encoder batches (embedding.batch_size), at least
# four steps where there are enough chunks: one group of 56 showed "embedding 0/56" until it was done.
EMBED_STEPS = 4


@dataclass
class Progress:
    """Progress the pipeline reports; the lease keeper writes it to the job row with each renewal."""

    values: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, **values: Any) -> None:
        with self.lock:
            self.values.update(values)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return dict(self.values)


class LeaseKeeper:
    """Renews the job's lease in the background while the pipeline works, flushing progress.

    If the lease is lost (another worker took over after we stalled), ``check()`` raises LeaseLost at
    the pipeline's next checkpoint so this worker stops before writing anything.
    """

    def __init__(
        self, factory: SessionFactory, job_id: int, owner: str, lease_s: float, progress: Progress
    ) -> None:
        self.factory, self.job_id, self.owner, self.lease_s = factory, job_id, owner, lease_s
        self.progress = progress
        self.interval = min(max(lease_s / 3.0, 0.2), 1.0)  # also how fresh progress is in the API
        self._stop = threading.Event()
        self._lost: jobs.LeaseLost | None = None
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)
        self._last_flushed: dict[str, Any] = {}
        self._last_renew = 0.0

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            snap = self.progress.snapshot()
            due = time.monotonic() - self._last_renew >= self.lease_s / 3.0
            if snap == self._last_flushed and not due:
                continue
            try:
                with session_scope(self.factory, write=True) as session:
                    jobs.heartbeat(session, self.job_id, self.owner, self.lease_s, **snap)
                self._last_flushed, self._last_renew = snap, time.monotonic()
            except jobs.LeaseLost as exc:
                self._lost = exc
                return
            except Exception as exc:  # DB hiccup: keep trying until the lease really runs out
                logger.warning("lease renewal failed job=%s error=%s", self.job_id, exc)

    def check(self) -> None:
        if self._lost is not None:
            raise self._lost


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        factory: SessionFactory,
        embedder: Embedder,
        owner: str,
        *,
        ocr: DocumentOcr | None = None,
    ) -> None:
        """`ocr`: None builds it from settings (None again where OCR is off or not installed)."""
        self.settings = settings
        self.factory = factory
        self.embedder = embedder
        self.owner = owner
        self.ocr = ocr if ocr is not None else make_document_ocr(settings.ocr)
        self.ocr_off = None if self.ocr is not None else unavailable_reason(settings.ocr)

    def max_chunk_tokens(self) -> int:
        # Leave room for the special tokens and the passage prefix the model reads too.
        room = (
            self.embedder.max_tokens - 2 - self.embedder.count_tokens(self.settings.embedding.passage_prefix)
        )
        return max(16, min(self.settings.chunking.max_tokens, room))

    def process(self, job: jobs.ClaimedJob) -> tuple[int, int] | None:
        """Ingest the job's document; returns (pages, chunks) written, or None if it was deleted."""
        with session_scope(self.factory) as session:
            doc = session.get(m.Document, job.document_id)
            if doc is None:  # deleted while queued: the job row went with it (cascade)
                return None
            path = self.settings.paths.uploads_dir / doc.storage_path
            filename = doc.filename
        progress = Progress()
        with LeaseKeeper(
            self.factory, job.job_id, self.owner, self.settings.worker.lease_s, progress
        ) as keeper:
            loaded = self._extract(path, filename, progress, keeper)
            drafts = self._chunk(loaded, progress, keeper)
            vectors = self._embed(drafts, progress, keeper)
            keeper.check()
            progress.set(stage="writing")
        self._write(job, loaded, drafts, vectors)
        return loaded.page_count, len(drafts)

    def _extract(self, path: Path, filename: str, progress: Progress, keeper: LeaseKeeper) -> LoadedDocument:
        progress.set(stage="extracting", pages_done=0)
        if not path.is_file():
            from app.core.errors import UnreadableDocument

            raise UnreadableDocument("The uploaded file is missing from storage; upload it again.")

        def on_page(done: int, total: int) -> None:
            progress.set(pages_done=done, pages_total=total)
            keeper.check()

        def on_ocr_page(done: int, total: int) -> None:
            # Stage "ocr": the UI says "OCR page {done} of {total}" (total: the pages being OCR'd).
            progress.set(stage="ocr", pages_done=done, pages_total=total)
            keeper.check()

        return load_document(
            path,
            filename=filename,
            max_pages=self.settings.limits.max_pages,
            on_page=on_page,
            ocr=self.ocr,
            ocr_off=self.ocr_off,
            on_ocr_page=on_ocr_page,
            char_boxes=self.settings.ingest.char_boxes,
        )

    def _chunk(self, loaded: LoadedDocument, progress: Progress, keeper: LeaseKeeper) -> list[ChunkDraft]:
        progress.set(stage="chunking")
        drafts = chunk_pages(
            loaded.pages,
            self.embedder.count_tokens,
            max_tokens=self.max_chunk_tokens(),
            overlap_sentences=self.settings.chunking.overlap_sentences,
        )
        keeper.check()
        if not drafts:
            from app.core.errors import UnreadableDocument

            raise UnreadableDocument("No text to index was found in this document.")
        progress.set(chunks_total=len(drafts), chunks_done=0)
        return drafts

    def _embed(self, drafts: list[ChunkDraft], progress: Progress, keeper: LeaseKeeper) -> np.ndarray:
        progress.set(stage="embedding")
        parts = []
        size = embed_group(len(drafts), self.settings.embedding.batch_size)
        for start, group in _groups(drafts, size):
            parts.append(self.embedder.embed_documents([d.text for d in group]))
            progress.set(chunks_done=start + len(group))
            keeper.check()
        return np.vstack(parts).astype(np.float32, copy=False)

    def _write(
        self, job: jobs.ClaimedJob, loaded: LoadedDocument, drafts: list[ChunkDraft], vectors: np.ndarray
    ) -> None:
        """Chunks, pages and the `ready` status land together, or not at all."""
        doc_id = job.document_id
        # Encoded before the transaction: it holds the write lock (SQLite) for as short as it can.
        boxes = [None if p.boxes is None else encode_boxes(p.boxes) for p in loaded.pages]
        with session_scope(self.factory, write=True) as session:
            jobs.assert_owned(session, job.job_id, self.owner)
            # Defensive: nothing should be here (only this transaction writes chunks), but a document
            # must never end with two sets.
            session.execute(delete(m.Chunk).where(m.Chunk.document_id == doc_id))
            session.execute(delete(m.Page).where(m.Page.document_id == doc_id))
            session.execute(
                insert(m.Page),
                [
                    {
                        "document_id": doc_id,
                        "number": p.number,
                        "label": p.label,
                        "text": p.text,
                        "ocr": p.ocr,
                        "boxes": page_boxes,
                    }
                    for p, page_boxes in zip(loaded.pages, boxes, strict=True)
                ],
            )
            session.execute(
                insert(m.Chunk),
                [_chunk_row(doc_id, d, vectors[i]) for i, d in enumerate(drafts)],
            )
            title = session.execute(select(m.Document.title).where(m.Document.id == doc_id)).scalar()
            session.execute(
                update(m.Document)
                .where(m.Document.id == doc_id)
                .values(
                    mime=loaded.mime,
                    pages=loaded.page_count,
                    pages_indexed=len(loaded.pages),
                    chunk_count=len(drafts),
                    title=title or loaded.title,
                )
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(m.IngestJob)
                .where(m.IngestJob.id == job.job_id)
                .values(
                    pages_done=loaded.page_count,
                    pages_total=loaded.page_count,
                    chunks_done=len(drafts),
                    chunks_total=len(drafts),
                )
                .execution_options(synchronize_session=False)
            )
            jobs.mark_done(session, job)
        logger.info(
            "document ready id=%s pages=%s chunks=%s", job.document_id, loaded.page_count, len(drafts)
        )


def _chunk_row(document_id: int, d: ChunkDraft, vector: np.ndarray) -> dict[str, Any]:
    return {
        "document_id": document_id,
        "ordinal": d.ordinal,
        "page_start": d.page_start,
        "page_end": d.page_end,
        "char_start": d.char_start,
        "char_end": d.char_end,
        "text": d.text,
        "token_count": d.token_count,
        "embedding": np.asarray(vector, dtype="<f4").tobytes(),
    }


def embed_group(chunks: int, batch: int) -> int:
    """Texts per encode call for a document of ``chunks``: whole batches of ``batch``, EMBED_STEPS
    steps of progress where the document is long enough, never more than EMBED_GROUP (or one batch)."""
    batches = -(-chunks // (EMBED_STEPS * batch))  # ceil
    return max(batch, min(EMBED_GROUP, batches * batch))


def _groups(items: list[ChunkDraft], size: int) -> Iterator[tuple[int, list[ChunkDraft]]]:
    for start in range(0, len(items), size):
        yield start, items[start : start + size]
