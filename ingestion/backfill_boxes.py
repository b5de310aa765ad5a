"""Character boxes for pages stored without them: ingested before Shiori kept boxes (migration 0004)
or with SHIORI_INGEST__CHAR_BOXES=false. `shiori backfill-boxes` runs it.

The stored file is read again, with boxes. A page gets them only where the text read now is the
stored `pages.text` exactly: then box k is the box of character k of the text that chunk and citation
offsets index into. A page read differently now (another extractor or normaliser version) keeps none.
Only `pages.boxes` is written, one short transaction per document: chunks, vectors and document
status stay as they are, so nothing needs reindexing and search never sees a change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.char_boxes import encode_boxes
from app.core.errors import NotFound, ShioriError
from app.core.settings import Settings
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from ingestion.loaders import load_document
from ingestion.loaders.sniff import PDF
from ingestion.ocr import DocumentOcr, make_document_ocr, unavailable_reason

logger = logging.getLogger(__name__)


@dataclass
class DocumentBackfill:
    """What happened to one document's pages without boxes."""

    document_id: int
    filename: str
    position: int  # 1-based, among the `total` documents that had pages without boxes
    total: int
    pages_filled: int = 0
    pages_text_changed: int = 0  # read again, but to a different text: no boxes
    pages_no_boxes: int = 0  # read to the same text, but the reader placed none of its characters
    pages_needing_ocr_skipped: int = 0  # read by OCR at ingestion, and OCR is not available now
    file_missing: bool = False
    error: str | None = None  # the document could not be read again (it keeps what it had)


@dataclass
class BackfillReport:
    # Gone through without failing, whether or not a page was filled (a document whose pages all
    # need OCR, when there is none, is done without reading it); missing files are counted apart.
    documents_done: int = 0
    pages_filled: int = 0
    pages_text_changed: int = 0
    pages_no_boxes: int = 0
    pages_needing_ocr_skipped: int = 0
    files_missing: int = 0
    documents_failed: list[tuple[int, str]] = field(default_factory=list)  # (document id, reason)

    def add(self, outcome: DocumentBackfill) -> None:
        if outcome.error is not None:
            self.documents_failed.append((outcome.document_id, outcome.error))
        elif outcome.file_missing:
            self.files_missing += 1
        else:
            self.documents_done += 1
        self.pages_filled += outcome.pages_filled
        self.pages_text_changed += outcome.pages_text_changed
        self.pages_no_boxes += outcome.pages_no_boxes
        self.pages_needing_ocr_skipped += outcome.pages_needing_ocr_skipped


@dataclass(frozen=True)
class _Pending:
    document_id: int
    filename: str
    storage_path: str


@dataclass(frozen=True)
class _StoredPage:
    text: str
    ocr: bool


def backfill_boxes(
    settings: Settings,
    factory: SessionFactory,
    *,
    collection: str | None = None,
    ocr: DocumentOcr | None = None,
    on_document: Callable[[DocumentBackfill], None] | None = None,
) -> BackfillReport:
    """Fill `pages.boxes` of every `ready` PDF or image document (of `collection`, else all) that has
    pages without. `ocr`: None builds it from settings, as the worker does (None again where OCR is off
    or not installed: pages read by OCR are then skipped and counted). `on_document` hears each
    document's outcome as it ends. Idempotent: filled pages are not looked at again. Raises NotFound
    for an unknown collection; a document that can't be read fails alone, with its reason."""
    ocr = ocr if ocr is not None else make_document_ocr(settings.ocr)
    ocr_off = None if ocr is not None else unavailable_reason(settings.ocr)
    with session_scope(factory) as session:
        pending = _pending_documents(session, collection)
    report = BackfillReport()
    for position, doc in enumerate(pending, 1):
        outcome = DocumentBackfill(doc.document_id, doc.filename, position, len(pending))
        try:
            _backfill_document(settings, factory, doc, outcome, ocr, ocr_off)
        except SQLAlchemyError:
            raise  # the database, not this file: stop rather than fail every document after it
        except ShioriError as exc:
            outcome.error = exc.detail
        except Exception as exc:  # a reader's bug on one odd file must not stop the others
            logger.exception("boxes backfill failed document=%s", doc.document_id)
            outcome.error = f"{type(exc).__name__}: {exc}"
        logger.info(
            "boxes backfill document=%s filled=%s text_changed=%s ocr_skipped=%s missing=%s error=%s",
            doc.document_id,
            outcome.pages_filled,
            outcome.pages_text_changed,
            outcome.pages_needing_ocr_skipped,
            outcome.file_missing,
            outcome.error,
        )
        report.add(outcome)
        if on_document is not None:
            on_document(outcome)
    return report


def _pending_documents(session: Session, collection: str | None) -> list[_Pending]:
    query = (
        select(m.Document.id, m.Document.filename, m.Document.storage_path)
        .where(
            m.Document.status == m.DocumentStatus.ready,
            or_(m.Document.mime == PDF, m.Document.mime.startswith("image/")),
            exists().where(m.Page.document_id == m.Document.id, m.Page.boxes.is_(None)),
        )
        .order_by(m.Document.id)
    )
    if collection is not None:
        coll_id = session.scalar(select(m.Collection.id).where(m.Collection.name == collection))
        if coll_id is None:
            raise NotFound(f"No collection named {collection!r}.", code="collection_not_found")
        query = query.where(m.Document.collection_id == coll_id)
    return [_Pending(i, name, path) for i, name, path in session.execute(query)]


def _backfill_document(
    settings: Settings,
    factory: SessionFactory,
    doc: _Pending,
    outcome: DocumentBackfill,
    ocr: DocumentOcr | None,
    ocr_off: str | None,
) -> None:
    with session_scope(factory) as session:
        rows = session.execute(
            select(m.Page.number, m.Page.text, m.Page.ocr, m.Page.boxes.is_(None)).where(
                m.Page.document_id == doc.document_id
            )
        ).all()
    without = {number: _StoredPage(text, bool(was_ocr)) for number, text, was_ocr, empty in rows if empty}
    # Read the file as ingestion did: with OCR only where ingestion OCR'd a page. Pages dropped or
    # added change the running headers the normaliser strips from every page, so OCR on a document
    # that had none (or none on one that had) would change texts that otherwise match.
    had_ocr = any(was_ocr for _, _, was_ocr, _ in rows)
    use_ocr = ocr if had_ocr else None
    if had_ocr and ocr is None:
        outcome.pages_needing_ocr_skipped = sum(p.ocr for p in without.values())
        without = {n: p for n, p in without.items() if not p.ocr}
        if not without:  # an image, or a PDF whose every page left is a scan: nothing to read for
            return
    path = settings.paths.uploads_dir / doc.storage_path
    if not path.is_file():
        outcome.file_missing = True
        return
    blobs = _matching_boxes(path, doc.filename, settings, without, use_ocr, ocr_off, outcome)
    with session_scope(factory, write=True) as session:
        # Checked again under the write lock: the document may have been deleted or re-ingested (new
        # pages, maybe new texts) while the file was read.
        ready = session.scalar(
            select(m.Document.id).where(
                m.Document.id == doc.document_id, m.Document.status == m.DocumentStatus.ready
            )
        )
        if ready is None:
            return
        current = session.execute(
            select(m.Page.id, m.Page.number, m.Page.text).where(
                m.Page.document_id == doc.document_id, m.Page.boxes.is_(None)
            )
        ).all()
        updates = [
            {"id": page_id, "boxes": blobs[number][1]}
            for page_id, number, text in current
            if number in blobs and blobs[number][0] == text
        ]
        if updates:
            session.execute(update(m.Page), updates)
    outcome.pages_filled = len(updates)


def _matching_boxes(
    path: Path,
    filename: str,
    settings: Settings,
    without: dict[int, _StoredPage],
    ocr: DocumentOcr | None,
    ocr_off: str | None,
    outcome: DocumentBackfill,
) -> dict[int, tuple[str, bytes]]:
    """The encoded boxes of the pages in `without` whose text reads the same again, by page number
    (with the text they belong to); the others are counted on `outcome`."""
    loaded = load_document(
        path,
        filename=filename,
        max_pages=settings.limits.max_pages,
        ocr=ocr,
        ocr_off=ocr_off,
        char_boxes=True,
    )
    fresh = {p.number: p for p in loaded.pages}
    blobs: dict[int, tuple[str, bytes]] = {}
    for number, stored in without.items():
        page = fresh.get(number)
        if page is None or page.text != stored.text:
            outcome.pages_text_changed += 1
        elif page.boxes is None or len(page.boxes) != len(page.text):
            outcome.pages_no_boxes += 1
        else:
            blobs[number] = (page.text, encode_boxes(page.boxes))
    return blobs
