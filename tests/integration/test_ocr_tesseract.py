"""Real Tesseract (#12) on pages typeset with IPA Gothic: horizontal and vertical Japanese and English
read within a character error rate, the direction found per page; a speckled, skewed scan cleaned and
straightened before it is read; an image upload and the corpus's
scanned PDFs read; a sideways scan turned upright; unreadable and empty pages skipped instead of
indexed; a hung run killed."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
from PIL import ImageFilter

from app.core.errors import UnreadableDocument
from app.core.settings import OcrSettings
from app.core.span_rects import span_rects
from ingestion.loaders import load_document
from ingestion.normalize import normalize_pages
from ingestion.ocr import (
    DocumentOcr,
    OcrError,
    TesseractEngine,
    limits_from_settings,
    make_document_ocr,
    unavailable_reason,
)
from ingestion.ocr.tesseract import run_tesseract
from tests.conftest import CORPUS
from tests.support.ci import require
from tests.support.corpus import READ_BY_OCR, TESSERACT_MISSING
from tests.support.page_images import cer, drawn_box, have_font, typeset
from tests.support.pdf_files import write_pdf

pytestmark = pytest.mark.integration

require(shutil.which("tesseract") is not None, TESSERACT_MISSING)
require(have_font(), "IPA Gothic is not installed: apt-get install fonts-ipafont-gothic")

JA = (
    "梅雨は、北海道と小笠原諸島を除く日本、朝鮮半島南部、中国の南部から長江流域にかけての沿海部、"
    "および台湾など、東アジアの広範囲においてみられる特有の気象現象で、五月から七月にかけて来る曇りや"
    "雨の多い期間のことである。雨季の一種である。"
)
EN = (
    "The quick brown fox jumps over the lazy dog. Retrieval finds the passages first, and then the model "
    "answers with citations that point at the page where each claim was found."
)
DPI = OcrSettings().dpi


def read(text: str, *, vertical: bool = False) -> tuple[float, bool]:
    image, typed = typeset(text * 4, dpi=DPI, vertical=vertical)  # a few lines, as on a real page
    page = TesseractEngine(OcrSettings()).read(image, dpi=DPI, timeout_s=60)
    got = normalize_pages([page.text])[0]
    return cer(unicodedata.normalize("NFKC", typed), got), page.vertical


@pytest.mark.parametrize(
    ("text", "vertical"), [(JA, False), (JA, True), (EN, False)], ids=["ja-horizontal", "ja-vertical", "en"]
)
def test_typeset_pages_are_read_in_their_direction(text: str, vertical: bool) -> None:
    error, read_vertical = read(text, vertical=vertical)
    assert read_vertical == vertical
    assert error < 0.10, error


def test_a_speckled_skewed_vertical_scan_is_cleaned_and_straightened_before_reading() -> None:
    # Measured on this page (seeds 0-2): CER 24-36% read as scanned (preprocess off), 0.2-0.3% with it.
    image, typed = typeset(JA * 8, dpi=DPI, vertical=True, noise=0.01, skew_deg=1.0)
    page = TesseractEngine(OcrSettings()).read(image, dpi=DPI, timeout_s=60)
    assert page.vertical and page.angle == pytest.approx(-1.0, abs=0.2)
    error = cer(unicodedata.normalize("NFKC", typed), normalize_pages([page.text])[0])
    assert error < 0.03, error


def test_an_uploaded_image_is_read_and_marked(tmp_path: Path) -> None:
    image, _ = typeset(EN, dpi=DPI)
    path = tmp_path / "photo.jpg"
    image.save(path, quality=90)
    doc = load_document(path, ocr=make_document_ocr(OcrSettings()))
    assert doc.mime == "image/jpeg" and [p.ocr for p in doc.pages] == [True]
    assert "quick brown fox" in doc.pages[0].text


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize(
    ("text", "word", "vertical", "kind"),
    [(EN, "citations", False, "pdf"), (JA, "北海道", True, "pdf"), (JA, "小笠原諸島", False, "png")],
    ids=["en-pdf", "ja-vertical-pdf", "ja-png"],
)
def test_boxes_of_a_read_word_land_where_it_was_drawn(
    tmp_path: Path, text: str, word: str, vertical: bool, kind: str
) -> None:
    """#13: a scanned page's character boxes, from Tesseract's word boxes, in page points."""
    image, typed = typeset(text, dpi=DPI, vertical=vertical)
    lines = typed.split("\n")
    line = next(i for i, t in enumerate(lines) if word in t)
    start = lines[line].index(word)
    drawn = [
        v * 72 / DPI for v in drawn_box(lines, line, start, start + len(word), dpi=DPI, vertical=vertical)
    ]
    if kind == "pdf":
        path = write_pdf(tmp_path / "scan.pdf", [image])
    else:
        path = tmp_path / "scan.png"
        image.save(path, dpi=(DPI, DPI))
    (page,) = load_document(path, ocr=make_document_ocr(OcrSettings())).pages
    assert page.ocr and page.boxes is not None and page.text.count(word) == 1, page.text
    at = page.text.index(word)
    rects = span_rects(page.boxes, page.text, at, at + len(word)).rects
    assert len(rects) == 1 and rects[0].vertical == vertical, rects
    ours = (rects[0].x0, rects[0].y0, rects[0].x1, rects[0].y1)
    assert iou(ours, tuple(drawn)) >= 0.5, (ours, drawn)
    assert page.boxes.width == pytest.approx(8.27 * 72, abs=1)  # A4 in points, from a PDF or a PNG


@pytest.mark.parametrize("name", sorted(READ_BY_OCR))
def test_corpus_scans_and_unmapped_fonts_are_read(name: str) -> None:
    path = CORPUS / "pdf/bad" / name
    require(path.is_file(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    doc = load_document(path, ocr=make_document_ocr(OcrSettings()))
    assert doc.pages[0].ocr and READ_BY_OCR[name] in doc.pages[0].text, doc.pages[0].text[:300]


def test_a_sideways_scan_is_turned_upright_and_read(tmp_path: Path) -> None:
    image, _ = typeset(JA * 4, dpi=DPI)
    sideways = tmp_path / "sideways.png"
    image.rotate(90, expand=True).save(sideways, dpi=(DPI, DPI))
    doc = load_document(sideways, ocr=make_document_ocr(OcrSettings()))
    assert "小笠原諸島を除く日本" in doc.pages[0].text


def test_unreadable_and_empty_pages_are_skipped_not_indexed(tmp_path: Path) -> None:
    image, _ = typeset(JA * 4, dpi=DPI)
    blurred = tmp_path / "blurred.png"
    image.filter(ImageFilter.GaussianBlur(5)).save(blurred, dpi=(DPI, DPI))
    with pytest.raises(UnreadableDocument, match="OCR confidence too low"):
        load_document(blurred, ocr=make_document_ocr(OcrSettings()))
    blank = tmp_path / "blank.png"
    image.point(lambda _: 255).save(blank)
    with pytest.raises(UnreadableDocument, match="blank"):
        load_document(blank, ocr=make_document_ocr(OcrSettings()))


def test_a_run_past_its_timeout_is_killed_and_the_page_skipped(tmp_path: Path) -> None:
    image, _ = typeset(JA, dpi=DPI)
    with pytest.raises(OcrError, match="OCR took longer than"):
        run_tesseract(image, languages="jpn+eng", dpi=DPI, timeout_s=0.05)
    png = tmp_path / "page.png"
    image.save(png)
    ocr = DocumentOcr(TesseractEngine(OcrSettings()), limits_from_settings(OcrSettings(page_timeout_s=0.05)))
    with pytest.raises(UnreadableDocument, match="OCR took longer than"):
        load_document(png, ocr=ocr)


def test_missing_language_data_is_named() -> None:
    reason = unavailable_reason(OcrSettings(languages="jpn+tlh"))
    assert reason is not None and "language data tlh" in reason and "tesseract-ocr-jpn" in reason
    assert unavailable_reason(OcrSettings()) is None
