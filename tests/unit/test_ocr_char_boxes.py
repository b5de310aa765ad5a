"""Character boxes of OCR'd pages (#13), with a fake engine: Tesseract's word boxes (image pixels)
split among the word's characters and put on the page in points, like a text layer's boxes. Real
Tesseract on a rendered page: tests/integration/test_ocr_tesseract.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ingestion.loaders import load_document
from ingestion.ocr import DocumentOcr, OcrLimits, OcrPage
from ingestion.ocr.boxes import PAGE_SIZE_KEY, image_to_page, ocr_char_boxes, page_size
from ingestion.ocr.tesseract import parse_tsv
from tests.support.pdf_files import write_pdf

pytestmark = pytest.mark.unit

HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def reading(*words: tuple[int, int, int, tuple[int, int, int, int], str]) -> OcrPage:
    """(block, paragraph, line, (left, top, width, height), text) words as Tesseract's TSV reports."""
    rows = [HEADER]
    for i, (block, par, line, (left, top, width, height), text) in enumerate(words):
        rows.append(f"5\t1\t{block}\t{par}\t{line}\t{i}\t{left}\t{top}\t{width}\t{height}\t91\t{text}")
    return OcrPage(tuple(parse_tsv("\n".join(rows) + "\n")), "jpn+eng", False, 0.0)


def image(size: tuple[int, int], dpi: int) -> Image.Image:
    im = Image.new("L", size, 255)
    im.info["dpi"] = (dpi, dpi)
    return im


PAGE = reading(
    (1, 1, 1, (100, 50, 40, 10), "Word"),
    (1, 1, 1, (150, 50, 20, 10), "is"),
    (1, 2, 1, (100, 80, 30, 10), "東京"),
    (1, 2, 1, (130, 80, 15, 10), "は"),
)


def test_each_character_of_the_text_knows_its_line() -> None:
    text, positions = PAGE.text_and_positions()
    assert text == PAGE.text == "Word is\n\n東京は"
    assert positions == [*((0, k) for k in range(7)), None, None, *((1, k) for k in range(3))]


def test_latin_words_are_split_evenly_japanese_lines_on_a_grid_in_points() -> None:
    found = ocr_char_boxes(PAGE, image((720, 1440), dpi=144))  # 2 pixels a point
    assert (found.width, found.height) == (360, 720) and len(found) == len(PAGE.text)
    assert found.boxes[:4].tolist() == [[50 + 5 * k, 25, 55 + 5 * k, 30] for k in range(4)]
    assert np.isnan(found.boxes[4]).all()  # the space between words
    assert found.boxes[9:12].tolist() == [[50, 40, 57.5, 45], [57.5, 40, 65, 45], [65, 40, 72.5, 45]]


def test_a_japanese_line_is_shared_by_its_characters_not_by_tesseracts_word_boxes() -> None:
    """Tesseract's Japanese word boxes can be a character off; its line box is not. Across the line,
    the words' typical extent (one word box running the line's full height and more is ignored)."""
    line = reading(
        (1, 1, 1, (100, 100, 90, 30), "台湾"),  # boxed one and a half times too wide
        (1, 1, 1, (190, 90, 20, 60), "な"),  # and a word boxed twice too high
        (1, 1, 1, (210, 100, 30, 30), "ど"),
        (1, 1, 1, (240, 100, 20, 30), "AI"),
    )
    found = ocr_char_boxes(line, image((1000, 1000), dpi=72))
    cell = 160 / (4 + 2 * 0.55)
    lefts = [100 + cell * k for k in (0, 1, 2, 3, 4, 4.55)]
    assert found.boxes[:, 0].tolist() == pytest.approx(lefts, abs=0.01)
    assert found.boxes[:, 1].tolist() == [100] * 6 and found.boxes[:, 3].tolist() == [130] * 6


def test_a_vertical_word_is_split_downwards() -> None:
    column = reading((1, 1, 1, (300, 100, 20, 60), "入院患"))
    found = ocr_char_boxes(column, image((600, 800), dpi=72))
    assert found.boxes.tolist() == [[300, 100 + 20 * k, 320, 120 + 20 * k] for k in range(3)]


def test_page_size_of_a_rendered_pdf_page_and_of_an_image_file() -> None:
    rendered = image((1654, 2339), dpi=200)
    rendered.info[PAGE_SIZE_KEY] = (595.3, 841.9)
    assert page_size(rendered) == (595.3, 841.9)
    assert page_size(image((300, 600), dpi=300)) == (72, 144)
    assert page_size(Image.new("L", (300, 600))) == (300, 600)  # no resolution: a unit is a pixel


class OneReading:
    def __init__(self, page: OcrPage) -> None:
        self.page = page
        self.image: Image.Image | None = None

    def read(self, image: Image.Image, *, dpi: int | None, timeout_s: float) -> OcrPage:
        self.image = image
        return self.page


def test_an_ocrd_pdf_page_gets_boxes_through_normalisation(tmp_path: Path) -> None:
    """The scan is 100 dpi when rendered (the limits' resolution): 72/100 points a pixel."""
    scan = image((827, 1169), dpi=100)  # A4 at 100 dpi
    path = write_pdf(tmp_path / "scan.pdf", [scan])
    page = reading(
        (1, 1, 1, (100, 100, 300, 20), "ＯＣＲ"),  # full width: NFKC folds it, the boxes follow
        (1, 1, 2, (100, 130, 200, 20), "continues"),
        (1, 1, 3, (100, 160, 100, 20), "here."),
    )
    limits = OcrLimits(dpi=100, max_pages=5, time_budget_s=60, page_timeout_s=30, min_confidence=50)
    engine = OneReading(page)
    doc = load_document(path, ocr=DocumentOcr(engine, limits))
    (loaded,) = doc.pages
    assert loaded.ocr and loaded.text == "OCR continues here."  # lines joined by the normaliser
    assert loaded.boxes is not None and len(loaded.boxes) == len(loaded.text)
    assert loaded.boxes.width == pytest.approx(595.4, abs=0.5)
    assert engine.image is not None
    # The page as rendered is 827 or 828 pixels wide: scaled per axis to the page's size in points.
    sx, sy = loaded.boxes.width / engine.image.width, loaded.boxes.height / engine.image.height
    assert sx == pytest.approx(0.72, abs=0.001) and sy == pytest.approx(0.72, abs=0.001)
    first_c = loaded.boxes.boxes[loaded.text.index("c")]
    assert first_c.tolist()[:2] == pytest.approx([100 * sx, 130 * sy])
    assert loaded.boxes.boxes[1].tolist() == pytest.approx([200 * sx, 100 * sy, 300 * sx, 120 * sy])


def test_boxes_off_keeps_none(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "scan.pdf", [image((827, 1169), dpi=100)])
    limits = OcrLimits(dpi=100, max_pages=5, time_budget_s=60, page_timeout_s=30, min_confidence=50)
    doc = load_document(path, ocr=DocumentOcr(OneReading(PAGE), limits), char_boxes=False)
    assert doc.pages[0].text == "Word is\n\n東京は" and doc.pages[0].boxes is None


@pytest.mark.parametrize("angle", [1.5, -2.0, 4.6])
def test_boxes_on_a_straightened_page_are_turned_back_onto_the_page(angle: float) -> None:
    # A 10-pixel square at (600, 200) on the page; OCR read the page turned by `angle` (deskew).
    page = Image.new("L", (800, 1100), 255)
    page.paste(0, (600, 200, 610, 210))
    turned = page.rotate(angle, resample=Image.Resampling.NEAREST, expand=True, fillcolor=255)
    ys, xs = np.nonzero(np.asarray(turned) < 128)
    seen = np.array([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], dtype=np.float64)
    back = image_to_page(seen, page.size, (800.0, 1100.0), angle=angle)[0]
    assert np.allclose(back, [600, 200, 610, 210], atol=1.5), back
