"""Page images cleaned before Tesseract (ingestion/ocr/preprocess.py): a skewed page measured and
turned straight, by its lines or by its vertical columns; speckle removed while small punctuation
stays; a clean, straight page and a picture without lines left as they are; the engine reading the
cleaned page unless the setting is off. Real Tesseract: tests/integration/test_ocr_tesseract.py."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from app.core.settings import OcrSettings
from ingestion.ocr import OcrPage, TesseractEngine
from ingestion.ocr.preprocess import despeckle, estimate_skew, prepare
from tests.support.ci import require
from tests.support.page_images import GOTHIC, have_font, typeset

pytestmark = pytest.mark.unit

require(have_font(), "IPA Gothic is not installed: apt-get install fonts-ipafont-gothic")

JA = (
    "梅雨は、北海道と小笠原諸島を除く日本、朝鮮半島南部、中国の南部から長江流域にかけての沿海部、"
    "および台湾など、東アジアの広範囲においてみられる特有の気象現象で、五月から七月にかけて来る曇りや"
    "雨の多い期間のことである。雨季の一種である。"
)
DPI = 150  # the smallest bench resolution: the smallest dots and strokes


@pytest.mark.parametrize("skew", [2.0, -2.0])
@pytest.mark.parametrize("vertical", [False, True], ids=["lines", "columns"])
def test_a_page_turned_two_degrees_comes_back_straight_within_a_third_of_a_degree(
    vertical: bool, skew: float
) -> None:
    page, _ = typeset(JA * 3, dpi=DPI, vertical=vertical, skew_deg=skew)
    assert estimate_skew(page, DPI) == pytest.approx(skew, abs=0.3)
    prepared = prepare(page, DPI)
    assert prepared.angle == pytest.approx(-skew, abs=0.3) and not prepared.despeckled
    assert prepared.image.width > page.width  # turned whole: no corner cut off
    assert abs(estimate_skew(prepared.image, DPI)) < 0.3


def test_a_clean_straight_page_is_passed_on_unchanged() -> None:
    page, _ = typeset(JA * 3, dpi=DPI)
    prepared = prepare(page, DPI)
    assert (prepared.angle, prepared.despeckled) == (0.0, False)
    assert np.array_equal(np.asarray(prepared.image), np.asarray(page))


def test_speckle_is_removed_and_small_punctuation_stays() -> None:
    face = ImageFont.truetype(str(GOTHIC), round(12 / 72 * DPI))  # 12 pt, as on the bench pages
    marks = "。、゛゜・ぱ"
    page = Image.new("L", (60 * len(marks), 160), 255)
    for k, mark in enumerate(marks):
        ImageDraw.Draw(page).text((20 + 60 * k, 20), mark, font=face, fill=0)
    clean = np.asarray(page.filter(ImageFilter.GaussianBlur(0.6)))  # a scan's soft edges
    speckled = clean.copy()
    rng = np.random.default_rng(0)
    hit = rng.choice(clean.size, clean.size // 100, replace=False)
    speckled.flat[hit] = rng.choice(np.array([0, 255], dtype=np.uint8), hit.size)  # 1% salt and pepper
    cleaned = despeckle(speckled)
    assert cleaned is not None and despeckle(clean) is None
    assert (cleaned[70:] < 128).sum() == 0 < (speckled[70:] < 128).sum()  # under the marks: no speck left
    for k, mark in enumerate(marks):
        box = np.s_[:70, 60 * k : 60 * (k + 1)]
        ink = clean[box] < 192  # visibly darker than the paper
        kept = float((cleaned[box][ink] < 192).mean())
        assert kept > 0.7, (mark, kept)


def test_a_scanned_page_is_despeckled_and_straightened_together() -> None:
    page, _ = typeset(JA * 3, dpi=DPI, noise=0.01, skew_deg=1.0)
    prepared = prepare(page, DPI)
    assert prepared.despeckled and prepared.angle == pytest.approx(-1.0, abs=0.3)


def test_a_picture_without_lines_is_never_turned() -> None:
    rng = np.random.default_rng(0)
    blotches = Image.fromarray(rng.integers(0, 256, (146, 103), dtype=np.uint8)).resize((827, 1169))
    assert estimate_skew(blotches, 100) == 0.0
    assert estimate_skew(Image.new("L", (827, 1169), 255), 100) == 0.0


class RecordingEngine(TesseractEngine):
    """The real engine up to Tesseract, which is replaced by a recorder."""

    def __init__(self, settings: OcrSettings) -> None:
        super().__init__(settings)
        self.images: list[Image.Image] = []

    def _run(self, image: Image.Image, vertical: bool, dpi: int | None, timeout_s: float) -> OcrPage:
        self.images.append(image)
        return OcrPage((), "jpn+eng", vertical, 0.0)


def test_the_engine_reads_the_straightened_page_unless_preprocessing_is_off() -> None:
    page, _ = typeset(JA * 3, dpi=DPI, noise=0.01, skew_deg=2.0)
    engine = RecordingEngine(OcrSettings(vertical_languages=""))
    read = engine.read(page, dpi=DPI, timeout_s=10)
    assert read.angle == pytest.approx(-2.0, abs=0.3)  # boxes refer to page.rotate(angle, expand=True)
    assert engine.images[0].size != page.size
    off = RecordingEngine(OcrSettings(vertical_languages="", preprocess=False))
    assert off.read(page, dpi=DPI, timeout_s=10).angle == 0.0
    assert np.array_equal(np.asarray(off.images[0]), np.asarray(page))
