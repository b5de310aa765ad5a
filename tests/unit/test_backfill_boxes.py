"""`shiori backfill-boxes` (#13) with small generated files and a fake OCR engine: what it prints, its
exit status, and pages read by OCR (filled with OCR, skipped and counted without). Corpus PDFs on
SQLite and PostgreSQL: tests/integration/test_backfill_boxes.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from app import cli
from app.core.errors import NotFound
from app.core.settings import Settings
from app.db import models as m
from app.db.session import session_scope
from app.services.container import Container, build_container
from ingestion import pipeline
from ingestion.backfill_boxes import backfill_boxes
from ingestion.ocr import DocumentOcr, OcrLimits, OcrPage
from ingestion.ocr.tesseract import parse_tsv
from tests.support.ingest import ingest
from tests.support.pdf_files import write_pdf

pytestmark = pytest.mark.unit

TYPED = "Character boxes let a citation be drawn on the page it came from, line by line."
HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
LIMITS = OcrLimits(dpi=100, max_pages=5, time_budget_s=60, page_timeout_s=30, min_confidence=50)


def reading(*lines: str) -> OcrPage:
    """Tesseract's TSV for `lines`, one word box after another."""
    rows = [HEADER]
    for n, line in enumerate(lines, 1):
        for k, word in enumerate(line.split()):
            rows.append(f"5\t1\t1\t1\t{n}\t{k}\t{100 + 60 * k}\t{40 * n}\t50\t20\t91\t{word}")
    return OcrPage(tuple(parse_tsv("\n".join(rows) + "\n")), "jpn+eng", False, 0.0)


class SameReading:
    """An OCR engine that reads every image as the same page."""

    def __init__(self, page: OcrPage) -> None:
        self.page = page
        self.calls = 0

    def read(self, image: Image.Image, *, dpi: int | None, timeout_s: float) -> OcrPage:
        self.calls += 1
        return self.page


def scan() -> Image.Image:
    image = Image.new("L", (827, 1169), 255)  # A4 at 100 dpi
    image.info["dpi"] = (100, 100)
    return image


@pytest.fixture
def c(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[Container]:
    container = build_container(
        make_settings(sqlite_url, ingest={"char_boxes": False}, ocr={"enabled": False}), with_index=False
    )
    yield container
    container.close()


def boxes_of(c: Container, doc_id: int) -> list[bytes | None]:
    with session_scope(c.factory) as s:
        return list(s.scalars(select(m.Page.boxes).where(m.Page.document_id == doc_id)))


def stored_path(c: Container, doc_id: int) -> Path:
    with session_scope(c.factory) as s:
        doc = s.get(m.Document, doc_id)
        assert doc is not None
        return c.settings.paths.uploads_dir / doc.storage_path


def backfill_cli(c: Container, *argv: str) -> int:
    return cli.cmd_backfill_boxes(cli.build_parser().parse_args(["backfill-boxes", *argv]), c.settings)


def test_the_command_prints_a_line_per_document_and_a_summary(
    c: Container, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ingest(c, [write_pdf(tmp_path / "evidence.pdf", [TYPED, TYPED.upper()])], {"notes.txt": TYPED})
    capsys.readouterr()

    assert backfill_cli(c) == 0

    doc = ids["evidence.pdf"]
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"✓ [1/1] evidence.pdf (document {doc}): 2 page(s) filled",  # the text file has no layout
        "Character boxes: 1 document(s) done, 2 page(s) filled.",
    ]
    assert None not in boxes_of(c, doc) and boxes_of(c, ids["notes.txt"]) == [None]
    assert backfill_cli(c) == 0
    assert capsys.readouterr().out == "No PDF or image page is without character boxes: nothing to do.\n"


def test_a_damaged_file_fails_its_document_only_and_the_command_says_so(
    c: Container, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = ingest(
        c,
        [
            write_pdf(tmp_path / "damaged.pdf", [TYPED]),
            write_pdf(tmp_path / "gone.pdf", ["A page whose file was removed from storage."]),
            write_pdf(tmp_path / "fine.pdf", ["A page that reads the same as it did."]),
        ],
    )
    stored_path(c, ids["damaged.pdf"]).write_bytes(b"%PDF-1.7\nnot a PDF any more")
    stored_path(c, ids["gone.pdf"]).unlink()
    capsys.readouterr()

    assert backfill_cli(c) == 1

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"✗ [1/3] damaged.pdf (document {ids['damaged.pdf']}): ") and len(out[0]) > 60
    gone = f"? [2/3] gone.pdf (document {ids['gone.pdf']}): "
    assert out[1] == gone + "the stored file is missing; its pages keep no boxes"
    assert out[2] == f"✓ [3/3] fine.pdf (document {ids['fine.pdf']}): 1 page(s) filled"
    assert out[3] == (
        "Character boxes: 1 document(s) done, 1 page(s) filled, 1 file(s) missing, 1 document(s) failed."
    )
    assert boxes_of(c, ids["damaged.pdf"]) == [None] and boxes_of(c, ids["fine.pdf"]) != [None]


def test_an_unknown_collection_is_an_error_not_an_empty_run(c: Container) -> None:
    with pytest.raises(NotFound) as exc:
        backfill_cli(c, "--collection", "nope")
    assert exc.value.code == "collection_not_found"


def test_ocrd_pages_are_read_again_with_ocr_and_skipped_without(
    c: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = reading("Scanned pages need OCR", "to be read again.")
    monkeypatch.setattr(pipeline, "make_document_ocr", lambda _s: DocumentOcr(SameReading(page), LIMITS))
    png = tmp_path / "photo.png"
    scan().save(png, dpi=(100, 100))
    ids = ingest(c, [write_pdf(tmp_path / "scan.pdf", [TYPED, scan()]), png])
    scanned, photo = ids["scan.pdf"], ids["photo.png"]
    with session_scope(c.factory) as s:
        assert list(s.scalars(select(m.Page.ocr).where(m.Page.document_id == scanned))) == [False, True]
    assert boxes_of(c, scanned) == [None, None] and boxes_of(c, photo) == [None]

    without = backfill_boxes(c.settings, c.factory)  # settings: OCR off

    assert (without.pages_filled, without.pages_needing_ocr_skipped, without.pages_text_changed) == (1, 2, 0)
    assert boxes_of(c, scanned)[0] is not None and boxes_of(c, scanned)[1] is None
    assert boxes_of(c, photo) == [None]

    engine = SameReading(page)
    with_ocr = backfill_boxes(c.settings, c.factory, ocr=DocumentOcr(engine, LIMITS))

    assert (with_ocr.pages_filled, with_ocr.pages_needing_ocr_skipped, with_ocr.pages_text_changed) == (
        2,
        0,
        0,
    )
    assert engine.calls == 2 and None not in boxes_of(c, scanned) + boxes_of(c, photo)
