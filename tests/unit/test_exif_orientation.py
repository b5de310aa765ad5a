"""A phone photo records its rotation in EXIF rather than turning the pixels: OCR and the page image
must both see the page upright, or the boxes OCR finds would not land on the image the reader sees."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from app.core.page_render import render_page
from ingestion.loaders.image import image_pages

pytestmark = pytest.mark.unit

ORIENTATION = 0x0112


def sideways_photo(path: Path) -> Path:
    """Pixels stored 300 wide and 200 high, with a black mark at the stored top-left; EXIF says "turn
    90° clockwise to view" (orientation 6), so the upright page is 200 wide and 300 high."""
    image = Image.new("RGB", (300, 200), "white")
    image.paste((0, 0, 0), (0, 0, 40, 40))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    image.save(path, "JPEG", exif=exif, quality=95)
    return path


def test_ocr_reads_the_photo_upright(tmp_path: Path) -> None:
    ((number, frame),) = list(image_pages(sideways_photo(tmp_path / "photo.jpg"), [1]))
    assert number == 1 and frame is not None
    assert frame.size == (200, 300)
    # Turned clockwise, the stored top-left corner is now at the top right.
    assert frame.convert("L").getpixel((190, 10)) < 60 and frame.convert("L").getpixel((10, 10)) > 200


def test_the_page_image_is_upright_too(tmp_path: Path) -> None:
    png = render_page(sideways_photo(tmp_path / "photo.jpg"), "image/jpeg", 1, 200, "png")
    image = Image.open(io.BytesIO(png)).convert("L")
    assert image.size == (200, 300)
    assert image.getpixel((190, 10)) < 60 and image.getpixel((10, 10)) > 200
