"""`backfill_boxes` (#13) on real corpus PDFs through the real worker pipeline, on SQLite and
PostgreSQL (fake embedder: this is about extraction). Documents ingested without character boxes get
the very boxes a fresh ingest stores, and only those pages whose text reads the same again."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from app.core.errors import NotFound
from app.core.settings import Settings
from app.db import models as m
from app.db.session import session_scope
from app.services.container import Container, build_container
from app.services.page_boxes import span_boxes
from ingestion.backfill_boxes import BackfillReport, DocumentBackfill, backfill_boxes
from tests.conftest import CORPUS
from tests.support.ci import require
from tests.support.ingest import ingest

pytestmark = pytest.mark.integration

PDF_NOTICE = CORPUS / "pdf/good/ja_gov_notice_mhlw-tsuchi.pdf"  # 2 pages, horizontal Japanese
PDF_EXCERPT = CORPUS / "pdf/good/ja_gov_regulation_excerpt_acrobat.pdf"  # 1 page
PDF_LABELS = CORPUS / "pdf/good/en_pagelabels_roman_latex.pdf"  # 5 pages


@pytest.fixture
def c(make_settings: Callable[..., Settings], db_url: str) -> Iterator[Container]:
    require(CORPUS.is_dir(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    # As before migration 0004 kept boxes; OCR off: none of these pages is a scan.
    settings = make_settings(db_url, ingest={"char_boxes": False}, ocr={"enabled": False})
    c = build_container(settings, with_index=False)
    yield c
    c.close()


def run(c: Container, collection: str | None = None) -> tuple[BackfillReport, list[DocumentBackfill]]:
    heard: list[DocumentBackfill] = []
    report = backfill_boxes(c.settings, c.factory, collection=collection, on_document=heard.append)
    return report, heard


def stored_boxes(c: Container, doc_id: int) -> dict[int, bytes | None]:
    with session_scope(c.factory) as s:
        rows = s.execute(select(m.Page.number, m.Page.boxes).where(m.Page.document_id == doc_id))
        return dict(rows.all())


def chunks_and_document(c: Container, doc_id: int) -> tuple[list[tuple[Any, ...]], tuple[Any, ...]]:
    with session_scope(c.factory) as s:
        chunks = s.execute(
            select(m.Chunk.id, m.Chunk.text, m.Chunk.char_start, m.Chunk.embedding)
            .where(m.Chunk.document_id == doc_id)
            .order_by(m.Chunk.id)
        ).all()
        doc = s.execute(
            select(m.Document.status, m.Document.chunk_count, m.Document.updated_at).where(
                m.Document.id == doc_id
            )
        ).one()
        return [tuple(r) for r in chunks], tuple(doc)


def test_old_pdf_pages_get_the_boxes_a_fresh_ingest_stores_and_nothing_else_changes(c: Container) -> None:
    doc_id = ingest(c, [PDF_NOTICE])[PDF_NOTICE.name]
    assert stored_boxes(c, doc_id) == {1: None, 2: None}
    with session_scope(c.factory) as s, pytest.raises(NotFound) as missing:
        span_boxes(s, doc_id, 1, 0, 5)
    assert missing.value.code == "boxes_unavailable" and "shiori backfill-boxes" in missing.value.detail
    before = chunks_and_document(c, doc_id)

    report, heard = run(c, collection="default")

    assert (report.documents_done, report.pages_filled, report.pages_text_changed) == (1, 2, 0)
    assert (report.files_missing, report.documents_failed, report.pages_needing_ocr_skipped) == (0, [], 0)
    assert [(d.document_id, d.pages_filled, d.position, d.total) for d in heard] == [(doc_id, 2, 1, 1)]
    assert chunks_and_document(c, doc_id) == before  # chunks, vectors, status: untouched
    with session_scope(c.factory) as s:
        text = s.scalars(select(m.Page.text).where(m.Page.document_id == doc_id, m.Page.number == 2)).one()
        word = "労働基準法"
        start = text.index(word)
        rects = span_boxes(s, doc_id, 2, start, start + len(word))
    assert rects.rects and rects.missing == 0
    assert all(0 <= r.x0 < r.x1 <= rects.width and 0 <= r.y0 < r.y1 <= rects.height for r in rects.rects)

    # The boxes are byte for byte those of the same file ingested with boxes on.
    c.settings.ingest.char_boxes = True
    c.library.ensure_collection("fresh")
    fresh_id = ingest(c, [PDF_NOTICE], collection="fresh")[PDF_NOTICE.name]
    assert stored_boxes(c, doc_id) == stored_boxes(c, fresh_id)

    again, heard = run(c)
    assert again == BackfillReport() and heard == []  # nothing left to do


def test_changed_text_missing_and_corrupt_files_are_counted_and_keep_no_boxes(c: Container) -> None:
    ids = ingest(c, [PDF_NOTICE, PDF_EXCERPT, PDF_LABELS])
    notice, excerpt, labels = ids[PDF_NOTICE.name], ids[PDF_EXCERPT.name], ids[PDF_LABELS.name]
    with session_scope(c.factory, write=True) as s:
        # As if an older extractor had read page 1 differently.
        s.execute(
            update(m.Page)
            .where(m.Page.document_id == notice, m.Page.number == 1)
            .values(text=m.Page.text + "。")
        )
        paths = {
            d.id: c.settings.paths.uploads_dir / d.storage_path
            for d in s.scalars(select(m.Document).where(m.Document.id.in_([excerpt, labels])))
        }
    paths[excerpt].unlink()
    paths[labels].write_bytes(paths[labels].read_bytes()[:300])  # cut short: unreadable

    report, heard = run(c)

    by_doc = {d.document_id: d for d in heard}
    assert (by_doc[notice].pages_filled, by_doc[notice].pages_text_changed) == (1, 1)
    assert by_doc[excerpt].file_missing and by_doc[excerpt].error is None
    assert by_doc[labels].error and not by_doc[labels].file_missing
    assert (report.documents_done, report.pages_filled, report.pages_text_changed) == (1, 1, 1)
    assert report.files_missing == 1
    assert [doc for doc, _ in report.documents_failed] == [labels]
    assert stored_boxes(c, notice)[1] is None and stored_boxes(c, notice)[2] is not None
    assert set(stored_boxes(c, excerpt).values()) == {None}
    assert set(stored_boxes(c, labels).values()) == {None}
    with session_scope(c.factory) as s:
        statuses = set(s.scalars(select(m.Document.status)))
    assert statuses == {m.DocumentStatus.ready}

    again, _ = run(c)
    assert again.pages_filled == 0 and again.pages_text_changed == 1  # the changed page stays as it is
