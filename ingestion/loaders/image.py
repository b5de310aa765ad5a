"""Images of pages (PNG, JPEG, TIFF including multi-page TIFF), read with Pillow for OCR.

Every frame is a page that needs OCR; `read_image` only counts and checks them, `image_pages` decodes
one at a time (a 300-page fax TIFF is never in memory whole).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.errors import UnreadableDocument
from ingestion.loaders import failures
from ingestion.loaders.base import RawDocument, RawPage
from ingestion.loaders.sniff import IMAGE_KINDS

logger = logging.getLogger(__name__)

# A page scanned at 600 dpi is 35 million pixels; a decompression bomb claims billions.
_MAX_PIXELS = 100_000_000
_READ_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError)


def read_image(path: Path, mime: str, *, max_pages: int) -> RawDocument:
    """Count and check the frames of an image; the pages are empty until OCR reads them."""
    what = IMAGE_KINDS[mime]
    try:
        with Image.open(path) as image:
            count = getattr(image, "n_frames", 1)
            if count > max_pages:
                raise failures.too_many_pages(count, "images (pages)", max_pages)
            _check_size(image, what)
    except Image.DecompressionBombError as exc:
        raise failures.zip_bomb(what, "it decodes to more pixels than any page needs") from exc
    except _READ_ERRORS as exc:
        raise failures.corrupt(what, f"Pillow cannot decode it: {exc}") from exc
    pages = [RawPage(number, "", has_images=True) for number in range(1, count + 1)]
    return RawDocument(mime=mime, page_count=count, pages=pages)


def image_pages(path: Path, numbers: list[int]) -> Iterator[tuple[int, Image.Image | None]]:
    """Decode frames `numbers` (1-based) one at a time, turned upright by their EXIF orientation
    (phones record rotation rather than rotate the pixels); None for a frame that cannot be decoded."""
    with Image.open(path) as image:
        for number in numbers:
            try:
                image.seek(number - 1)
                _check_size(image, "image")
                frame = ImageOps.exif_transpose(image.copy())
            except (*_READ_ERRORS, EOFError, Image.DecompressionBombError, UnreadableDocument) as exc:
                logger.info("image frame unreadable page=%d error=%s", number, exc)
                yield number, None
                continue
            frame.info.setdefault("dpi", image.info.get("dpi"))
            yield number, frame


def _check_size(image: Image.Image, what: str) -> None:
    width, height = image.size
    if width * height > _MAX_PIXELS:
        raise failures.zip_bomb(
            what,
            f"it is {width:,} x {height:,} pixels, more than the {_MAX_PIXELS:,} Shiori reads (a page "
            "scanned at 600 dpi is about 35 million)",
        )
