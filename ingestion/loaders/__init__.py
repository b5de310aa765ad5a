"""Loaders: file bytes -> pages of normalised text, or a clear reason why there are none.

`load_document` sniffs the type from content, extracts raw page text with the matching loader,
drops pages whose text is not real text (ingestion.quality), and normalises the rest
(ingestion.normalize). Page.text is final: chunk offsets index into it.

What a page is depends on the format: a PDF page; a text file's form-feed page; a Word document's
page as Word last laid it out (else its section), then one page each for footnotes, endnotes and
comments; a slide; a sheet, or a block of 200 rows of a big sheet or CSV file; a frame of an image.

OCR (ingestion.ocr) reads the pages that have no text layer or only garbage in it, and every page of
an image; those pages are marked `ocr`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from app.core.errors import UnreadableDocument
from ingestion.loaders.base import LoadedDocument, Page, RawDocument, RawPage, SkippedPage
from ingestion.loaders.delimited import read_csv
from ingestion.loaders.docx import read_docx
from ingestion.loaders.html import read_html
from ingestion.loaders.image import image_pages, read_image
from ingestion.loaders.pdf import read_pdf, render_pages
from ingestion.loaders.pptx import read_pptx
from ingestion.loaders.sniff import (
    CSV,
    DOCX,
    HTML,
    IMAGE_KINDS,
    MARKDOWN,
    PDF,
    PLAIN,
    PPTX,
    XLSX,
    sniff_mime,
)
from ingestion.loaders.text import read_text
from ingestion.loaders.xlsx import read_xlsx
from ingestion.normalize import MappedText, normalize_pages, normalize_pages_mapped
from ingestion.ocr import DocumentOcr
from ingestion.quality import BLANK_PAGE, NO_LETTERS, NO_TEXT_LAYER, assess_text, summarize_reasons

logger = logging.getLogger(__name__)

__all__ = ["LoadedDocument", "Page", "SkippedPage", "load_document", "sniff_mime"]

_ONLY_BOILERPLATE = "only repeated headers/footers"
OCR_UNAVAILABLE = "ocr_unavailable"
_NEEDS_OCR = (NO_TEXT_LAYER, "garbage")  # reasons (prefixes) of pages OCR can read instead
# Readers that report progress themselves and check the page limit as they go.
_PAGED_READERS: dict[str, Callable[..., RawDocument]] = {
    PDF: read_pdf,
    DOCX: read_docx,
    PPTX: read_pptx,
    XLSX: read_xlsx,
    CSV: read_csv,
}


def load_document(
    path: Path,
    *,
    filename: str | None = None,
    max_pages: int = 5000,
    on_page: Callable[[int, int], None] | None = None,
    ocr: DocumentOcr | None = None,
    ocr_off: str | None = None,
    on_ocr_page: Callable[[int, int], None] | None = None,
    char_boxes: bool = True,
) -> LoadedDocument:
    """Read `path` into readable, normalised pages.

    `ocr` reads scanned pages, garbage text layers and images (None: OCR is off, `ocr_off` says why);
    `on_page` reports extraction, `on_ocr_page` OCR (page x of the n pages being OCR'd).
    `char_boxes`: keep each character's box on PDF and OCR'd pages (Page.boxes).
    Raises UnsupportedFileType for a type we can't read and UnreadableDocument (with a message for
    people) when the file is accepted but yields no usable text.
    """
    mime = sniff_mime(path, filename)
    if mime in IMAGE_KINDS:
        if ocr is None:
            raise UnreadableDocument(
                f"This file is a {IMAGE_KINDS[mime]}; its text can only be read with OCR, and "
                f"{ocr_off or 'OCR is not available'}.",
                code=OCR_UNAVAILABLE,
            )
        raw = read_image(path, mime, max_pages=max_pages)
    else:
        raw = _extract(path, mime, max_pages=max_pages, on_page=on_page, char_boxes=char_boxes)
    reasons = {p.number: _page_reason(p, raw.authored) for p in raw.pages}
    if ocr is not None and (mime == PDF or mime in IMAGE_KINDS):
        _read_with_ocr(path, raw, reasons, ocr, on_ocr_page)
    doc = _to_pages(raw, reasons, ocr_off=ocr_off, char_boxes=char_boxes)
    logger.info(
        "loaded document file=%s mime=%s pages=%d readable=%d skipped=%d ocr=%d",
        filename or path.name,
        mime,
        doc.page_count,
        len(doc.pages),
        len(doc.skipped),
        sum(p.ocr for p in doc.pages),
    )
    return doc


def _read_with_ocr(
    path: Path,
    raw: RawDocument,
    reasons: dict[int, str | None],
    ocr: DocumentOcr,
    on_page: Callable[[int, int], None] | None,
) -> None:
    """OCR the pages whose reason says OCR can read them, and scans with a thin text layer; their text
    and reason are replaced (a thin layer only where OCR read more than it holds)."""
    thin = {p.number for p in raw.pages if p.thin_text_layer and reasons[p.number] is None}
    numbers = [n for n, r in reasons.items() if (r is not None and r.startswith(_NEEDS_OCR)) or n in thin]
    if not numbers:
        return
    if raw.mime == PDF:
        dpi = ocr.limits.dpi
        outcomes = ocr.read_pages(numbers, lambda todo: render_pages(path, todo, dpi), on_page=on_page)
    else:
        outcomes = ocr.read_pages(numbers, lambda todo: image_pages(path, todo), on_page=on_page)
    by_number = {p.number: p for p in raw.pages}
    for outcome in outcomes:
        page = by_number[outcome.number]
        if page.number in thin and _content_chars(outcome.text or "") <= _content_chars(page.text):
            continue  # OCR found no more than the thin layer has: keep the layer's text
        if outcome.text is None:
            reasons[page.number] = outcome.reason
            continue
        page.text, page.ocr, page.has_images, page.boxes = outcome.text, True, True, outcome.boxes
        reasons[page.number] = _quality_reason(page)


def _content_chars(text: str) -> int:
    return len("".join(text.split()))


def _extract(
    path: Path, mime: str, *, max_pages: int, on_page: Callable[[int, int], None] | None, char_boxes: bool
) -> RawDocument:
    if mime == PDF:  # the one reader that knows where its characters are
        return read_pdf(path, max_pages=max_pages, on_page=on_page, char_boxes=char_boxes)
    if mime in _PAGED_READERS:
        return _PAGED_READERS[mime](path, max_pages=max_pages, on_page=on_page)
    if mime == HTML:
        raw = read_html(path)
    elif mime in (MARKDOWN, PLAIN):
        raw = read_text(path, mime)
    else:  # pragma: no cover - sniff_mime returns only the types above
        raise UnreadableDocument(f"No loader for {mime}.")
    if raw.page_count > max_pages:
        raise UnreadableDocument(
            f"This file has {raw.page_count:,} pages (form-feed separated); the limit is {max_pages:,} "
            "pages per document. Split it into smaller files.",
            code="too_many_pages",
        )
    if on_page is not None:
        for i in range(raw.page_count):
            on_page(i + 1, raw.page_count)
    return raw


def _page_reason(page: RawPage, authored: bool) -> str | None:
    if page.error is not None:
        return page.error
    return _authored_reason(page.text) if authored else _quality_reason(page)


def _to_pages(
    raw: RawDocument, reasons: dict[int, str | None], *, ocr_off: str | None, char_boxes: bool
) -> LoadedDocument:
    kept = []
    skipped: list[SkippedPage] = []
    laid_out = raw.mime == PDF or raw.mime in IMAGE_KINDS
    for page in raw.pages:
        reason = reasons[page.number]
        if reason is None:
            kept.append(page)
        else:
            skipped.append(SkippedPage(page.number, reason))
    if raw.authored:
        texts = [MappedText(_normalize_lines(p.text), None) for p in kept]
    elif char_boxes and any(p.boxes is not None for p in kept):
        texts = normalize_pages_mapped([p.text for p in kept], layout_wrapped=laid_out)
    else:
        plain = normalize_pages([p.text for p in kept], layout_wrapped=laid_out)
        texts = [MappedText(t, None) for t in plain]
    pages = []
    for page, mapped in zip(kept, texts, strict=True):
        if mapped.text:
            boxes = None
            if char_boxes and page.boxes is not None and mapped.spans is not None:
                boxes = page.boxes.carried(mapped.spans)
            pages.append(Page(page.number, mapped.text, page.label, ocr=page.ocr, boxes=boxes))
        else:
            skipped.append(SkippedPage(page.number, BLANK_PAGE if raw.authored else _ONLY_BOILERPLATE))
    skipped.sort(key=lambda s: s.number)
    if not pages:
        reason = summarize_reasons((s.reason for s in skipped), pdf=laid_out, ocr_off=ocr_off)
        raise UnreadableDocument(reason)
    return LoadedDocument(
        mime=raw.mime, page_count=raw.page_count, pages=pages, skipped=skipped, title=raw.title
    )


def _quality_reason(page: RawPage) -> str | None:
    verdict = assess_text(page.text)
    if verdict.ok:
        return None
    if verdict.reason == NO_TEXT_LAYER and page.has_images is False:
        return BLANK_PAGE
    return verdict.reason or "unreadable"


def _authored_reason(text: str) -> str | None:
    """Typed text is text: only empty pages and pages without a letter are skipped (see
    RawDocument.authored); the garbage statistics are for fonts, and take seconds on 250 sheet pages."""
    if not text.strip():
        return BLANK_PAGE
    return None if any(c.isalpha() for c in text) else NO_LETTERS


def _normalize_lines(text: str) -> str:
    """Normalise each line on its own (see RawDocument.authored); empty lines dropped. About 60 us a
    line, as for a whole page (measured: 50,000 spreadsheet rows in 3 s)."""
    lines = (normalize_pages([line], layout_wrapped=False)[0] for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
