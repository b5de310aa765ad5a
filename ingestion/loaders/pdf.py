"""PDF text extraction with PDFium (pypdfium2).

PDFium reads CID fonts without ToUnicode maps correctly where pypdf returns mojibake, recovers
damaged streams leniently, and opens files encrypted with only an owner password.

Threading: PDFium is not thread-safe at all - not even for different documents in different
threads. Every PDFium call in this module runs under `_PDFIUM_LOCK`, taken per page so that two
worker threads interleave pages instead of one waiting for a whole 250-page file. To extract in
parallel, use processes. Callers handle one document per thread; handles never cross threads.
"""

from __future__ import annotations

import ctypes
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from app.core.char_boxes import PageBoxes
from app.core.errors import UnreadableDocument
from ingestion.loaders.base import RawDocument, RawPage
from ingestion.loaders.pdf_boxes import page_char_boxes
from ingestion.loaders.sniff import PDF
from ingestion.ocr.boxes import PAGE_SIZE_KEY

logger = logging.getLogger(__name__)

_PDFIUM_LOCK = threading.Lock()
# A rendered page for OCR is capped at this many pixels (A3 at 300 dpi is 17 million): a PDF page can
# claim to be 200 inches wide, and 40 MB of grey is already more than Tesseract reads well.
_MAX_RENDER_PIXELS = 40_000_000
# A text layer this thin (non-space characters) over a page-sized image is a stamp or a page number on
# a scan, not the page's text. A typed page's figure with its caption has an image too, but covers less
# of the page or has more text.
_THIN_TEXT_CHARS = 40
_SCAN_COVER = 0.6  # share of the page's area under images
_GENERIC_TITLES = {"untitled", "untitled document", "microsoft word", "document", "no title"}

_OPEN_ERRORS = {
    pdfium_c.FPDF_ERR_PASSWORD: (
        "This PDF is encrypted with a password; remove the password and upload it again."
    ),
    pdfium_c.FPDF_ERR_SECURITY: (
        "This PDF is protected by a security handler Shiori cannot open (not a standard password); "
        "save an unprotected copy and upload it again."
    ),
    pdfium_c.FPDF_ERR_FORMAT: (
        "This PDF is damaged: its structure cannot be read even leniently. Open it in a PDF viewer, "
        "save or print it to a new PDF, and upload that."
    ),
    pdfium_c.FPDF_ERR_FILE: "The uploaded file could not be read from storage; upload it again.",
}


def read_pdf(
    path: Path,
    *,
    max_pages: int,
    on_page: Callable[[int, int], None] | None = None,
    char_boxes: bool = True,
) -> RawDocument:
    """Extract raw text for every page, and with `char_boxes` each character's box
    (ingestion.loaders.pdf_boxes). Raises UnreadableDocument for files that cannot be opened."""
    with _PDFIUM_LOCK:
        pdf = _open(path)
    try:
        with _PDFIUM_LOCK:
            # PDFium counts real page objects, so a /Count lie (213 million) shows up as what is there.
            count = len(pdf)
            title = _title(pdf)
        if count == 0:
            raise UnreadableDocument("This PDF has no pages.")
        if count > max_pages:
            raise UnreadableDocument(
                f"This PDF has {count:,} pages; the limit is {max_pages:,} pages per document. "
                "Split it into smaller files and upload them separately.",
                code="too_many_pages",
            )
        pages = []
        for index in range(count):
            with _PDFIUM_LOCK:
                pages.append(_read_page(pdf, index, char_boxes))
            if on_page is not None:
                on_page(index + 1, count)
        return RawDocument(mime=PDF, page_count=count, pages=pages, title=title)
    finally:
        with _PDFIUM_LOCK:
            pdf.close()


def _open(path: Path) -> pdfium.PdfDocument:
    # Load through the raw API: pypdfium2's constructor turns a valid zero-page PDF into the same
    # error as a corrupt one, and we want to tell the user which it is.
    raw = pdfium_c.FPDF_LoadDocument((str(path) + "\x00").encode("utf-8"), None)
    if not raw:
        err = pdfium_c.FPDF_GetLastError()
        logger.info("pdf open failed path=%s pdfium_error=%s", path.name, err)
        message = _OPEN_ERRORS.get(err, "This PDF could not be opened (PDFium reported an unknown error).")
        raise UnreadableDocument(message)
    return pdfium.PdfDocument(raw)


def _title(pdf: pdfium.PdfDocument) -> str | None:
    try:
        title = pdf.get_metadata_value("Title").replace("\x00", "").strip()
    except pdfium.PdfiumError:
        return None
    return title if title and title.lower() not in _GENERIC_TITLES else None


def _read_page(pdf: pdfium.PdfDocument, index: int, char_boxes: bool) -> RawPage:
    number = index + 1
    label = _label(pdf, index)
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        logger.info("pdf page unreadable page=%d error=%s", number, exc)
        return RawPage(number, "", label, error="page could not be read (damaged)")
    try:
        textpage = page.get_textpage()
        try:
            text = _pdfium_text(textpage.get_text_bounded())
            boxes = _char_boxes(page, textpage, text, number) if char_boxes and text.strip() else None
        finally:
            textpage.close()
        # Only for pages without text: tells a scan (needs OCR) from a blank page.
        has_images = None if text.strip() else _has_image(page)
        thin = 0 < len("".join(text.split())) < _THIN_TEXT_CHARS and _image_cover(page) >= _SCAN_COVER
    except pdfium.PdfiumError as exc:
        logger.info("pdf text extraction failed page=%d error=%s", number, exc)
        return RawPage(number, "", label, error="page could not be read (damaged)")
    finally:
        page.close()
    return RawPage(number, text, label, has_images=has_images, thin_text_layer=thin, boxes=boxes)


def _char_boxes(
    page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, text: str, number: int
) -> PageBoxes | None:
    try:
        return page_char_boxes(page, textpage, text)
    except Exception as exc:  # boxes are an extra: the page keeps its text whatever happens here
        logger.warning("pdf char boxes failed page=%d error=%r", number, exc)
        return None


def _has_image(page: pdfium.PdfPage) -> bool:
    images = page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4)
    return next(iter(images), None) is not None


def _image_cover(page: pdfium.PdfPage) -> float:
    """The share of the page's area under image objects (overlaps counted twice, capped at 1)."""
    width, height = page.get_size()
    if width <= 0 or height <= 0:
        return 0.0
    covered = 0.0
    for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=4):
        left, bottom, right, top = image.get_bounds()
        covered += max(0.0, min(right, width) - max(left, 0.0)) * max(
            0.0, min(top, height) - max(bottom, 0.0)
        )
    return min(1.0, covered / (width * height))


def _label(pdf: pdfium.PdfDocument, index: int) -> str | None:
    """Printed page label from /PageLabels ('iii'), or None when the PDF has none."""
    n_bytes = pdfium_c.FPDF_GetPageLabel(pdf, index, None, 0)
    if n_bytes <= 2:  # 0: no label; 2: just the UTF-16 terminator
        return None
    buffer = ctypes.create_string_buffer(n_bytes)
    pdfium_c.FPDF_GetPageLabel(pdf, index, buffer, n_bytes)
    label = buffer.raw[: n_bytes - 2].decode("utf-16-le", errors="replace").strip()
    return label or None


def _pdfium_text(text: str) -> str:
    # PDFium marks a hyphen it removed at a line break ("adip-/iscing") with U+0002 and drops the
    # break; deleting the marker rejoins the word. CRLF is PDFium's line separator.
    return text.replace("\x02", "").replace("\r\n", "\n")


def render_pages(path: Path, numbers: list[int], dpi: int) -> Iterator[tuple[int, Image.Image | None]]:
    """Render pages `numbers` (1-based) in grey for OCR, one at a time (None: the page is damaged);
    image.info["dpi"] says the resolution each was rendered at (lower than `dpi` only for a huge page)."""
    with _PDFIUM_LOCK:
        pdf = _open(path)
    try:
        for number in numbers:
            with _PDFIUM_LOCK:
                image = _render(pdf, number - 1, dpi)
            yield number, image
    finally:
        with _PDFIUM_LOCK:
            pdf.close()


def _render(pdf: pdfium.PdfDocument, index: int, dpi: int) -> Image.Image | None:
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return None
    try:
        width_pt, height_pt = page.get_size()
        pixels = (width_pt / 72 * dpi) * (height_pt / 72 * dpi)
        if pixels > _MAX_RENDER_PIXELS:
            dpi = max(1, int(dpi * (_MAX_RENDER_PIXELS / pixels) ** 0.5))
        bitmap = page.render(scale=dpi / 72, grayscale=True)
        image = bitmap.to_pil().copy()  # to_pil shares PDFium's buffer; the copy outlives the page
        bitmap.close()
    except pdfium.PdfiumError as exc:
        logger.info("pdf page render failed page=%d error=%s", index + 1, exc)
        return None
    finally:
        page.close()
    image.info["dpi"] = (dpi, dpi)
    image.info[PAGE_SIZE_KEY] = (width_pt, height_pt)  # for the OCR'd characters' boxes
    return image
