"""Every sample PDF through the real worker pipeline (fake embedder: this is about extraction).

Good files end `ready` with the right page count and page-accurate chunks; bad files either recover
(lenient parsing, or OCR for scans and fonts without a Unicode map) or end `failed` with a readable
reason and no chunks, and the worker keeps going.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from app.core.settings import Settings
from app.db import models as m
from app.db.session import session_scope
from app.services.container import Container, build_container
from tests.conftest import CORPUS
from tests.support.ci import require
from tests.support.corpus import FAILS, READ_BY_OCR, RECOVERS, TESSERACT_MISSING
from tests.support.ingest import ingest

pytestmark = pytest.mark.integration


def manifest_pages() -> dict[str, int]:
    with (CORPUS / "pdf/MANIFEST.tsv").open(encoding="utf-8") as fh:
        return {
            row["file"].removeprefix("good/"): int(row["pages"])
            for row in csv.DictReader(fh, delimiter="\t")
            if row["category"] == "good"
        }


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Container, dict[str, int]]]:
    require((CORPUS / "pdf").is_dir(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    data = tmp_path_factory.mktemp("corpus")
    settings = Settings(
        paths={"data_dir": data},  # type: ignore[arg-type]
        embedding={"backend": "fake"},  # type: ignore[arg-type]
        worker={"embedded": False, "backoff_base_s": 0},  # type: ignore[arg-type]
    )
    c = build_container(settings, with_index=False)
    ids = ingest(c, sorted((CORPUS / "pdf/good").glob("*.pdf")) + sorted((CORPUS / "pdf/bad").glob("*.pdf")))
    yield c, ids
    c.close()


Fixture = tuple[Container, dict[str, int]]


def doc(c: Container, doc_id: int) -> tuple[m.Document, int]:
    with session_scope(c.factory) as s:
        d = s.get(m.Document, doc_id)
        assert d is not None
        n = int(s.scalar(select(func.count()).where(m.Chunk.document_id == doc_id)) or 0)
        return d, n


@pytest.mark.parametrize("name", sorted(manifest_pages()) if (CORPUS / "pdf").is_dir() else [])
def test_good_pdf_is_ready_with_its_pages(ingested: Fixture, name: str) -> None:
    c, ids = ingested
    d, n_chunks = doc(c, ids[name])
    assert d.status == m.DocumentStatus.ready, d.error
    assert d.pages == manifest_pages()[name] and d.pages_indexed and d.pages_indexed >= 1
    assert n_chunks == d.chunk_count > 0
    with session_scope(c.factory) as s:
        pages = s.execute(
            select(m.Chunk.page_start, m.Chunk.page_end).where(m.Chunk.document_id == d.id)
        ).all()
    assert all(1 <= a <= b <= d.pages for a, b in pages)
    if d.pages > 3:  # chunks come from across the document, not just its first page
        assert max(a for a, _ in pages) > d.pages // 2


@pytest.mark.parametrize("name", sorted(RECOVERS))
def test_recoverable_bad_pdf_is_ready(ingested: Fixture, name: str) -> None:
    c, ids = ingested
    d, n_chunks = doc(c, ids[name])
    assert d.status == m.DocumentStatus.ready, d.error
    assert n_chunks > 0


@pytest.mark.parametrize("name", sorted(READ_BY_OCR))
def test_scanned_and_unmapped_pdfs_are_read_by_ocr(ingested: Fixture, name: str) -> None:
    require(shutil.which("tesseract") is not None, TESSERACT_MISSING)
    c, ids = ingested
    d, n_chunks = doc(c, ids[name])
    assert d.status == m.DocumentStatus.ready, d.error
    assert n_chunks > 0
    with session_scope(c.factory) as s:
        page = s.scalar(select(m.Page).where(m.Page.document_id == d.id, m.Page.number == 1))
        assert page is not None and page.ocr
        assert READ_BY_OCR[name] in page.text, page.text[:300]


@pytest.mark.parametrize("name", sorted(FAILS))
def test_bad_pdf_fails_cleanly_with_a_reason(ingested: Fixture, name: str) -> None:
    c, ids = ingested
    d, n_chunks = doc(c, ids[name])
    assert d.status == m.DocumentStatus.failed
    assert FAILS[name].lower() in (d.error or "").lower(), d.error
    assert n_chunks == 0
    with session_scope(c.factory) as s:
        job = s.scalar(select(m.IngestJob).where(m.IngestJob.document_id == d.id))
        assert job is not None and job.attempts == 1  # bad input is not retried


def test_every_bad_file_is_accounted_for() -> None:
    require((CORPUS / "pdf/bad").is_dir(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    assert {p.name for p in (CORPUS / "pdf/bad").glob("*.pdf")} == RECOVERS | set(FAILS) | set(READ_BY_OCR)
