"""Loaders: file bytes -> pages of normalised text, or a clear reason why there are none.

`load_document` sniffs the type from content, extracts raw page text with the matching loader,
drops pages whose text is not real text (ingestion.quality), and normalises the rest
(ingestion.normalize). Page.text is final: chunk offsets index into it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from app.core.errors import UnreadableDocument
from ingestion.loaders.base import LoadedDocument, Page, RawDocument, SkippedPage
from ingestion.loaders.html import read_html
from ingestion.loaders.pdf import read_pdf
from ingestion.loaders.sniff import HTML, MARKDOWN, PDF, PLAIN, sniff_mime
from ingestion.loaders.text import read_text
from ingestion.normalize import normalize_pages
from ingestion.quality import BLANK_PAGE, NO_TEXT_LAYER, assess_text, summarize_reasons

logger = logging.getLogger(__name__)

__all__ = ["LoadedDocument", "Page", "SkippedPage", "load_document", "sniff_mime"]

_ONLY_BOILERPLATE = "only repeated headers/footers"


def load_document(
    path: Path,
    *,
    filename: str | None = None,
    max_pages: int = 5000,
    on_page: Callable[[int, int], None] | None = None,
) -> LoadedDocument:
    """Read `path` into readable, normalised pages.

    Raises UnsupportedFileType for a type we can't read and UnreadableDocument (with a message for
    people) when the file is accepted but yields no usable text.
    """
    mime = sniff_mime(path, filename)
    raw = _extract(path, mime, max_pages=max_pages, on_page=on_page)
    doc = _to_pages(raw)
    logger.info(
        "loaded document file=%s mime=%s pages=%d readable=%d skipped=%d",
        filename or path.name,
        mime,
        doc.page_count,
        len(doc.pages),
        len(doc.skipped),
    )
    return doc


def _extract(
    path: Path, mime: str, *, max_pages: int, on_page: Callable[[int, int], None] | None
) -> RawDocument:
    if mime == PDF:
        return read_pdf(path, max_pages=max_pages, on_page=on_page)
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


def _to_pages(raw: RawDocument) -> LoadedDocument:
    kept = []
    skipped: list[SkippedPage] = []
    for page in raw.pages:
        if page.error is not None:
            skipped.append(SkippedPage(page.number, page.error))
            continue
        verdict = assess_text(page.text)
        if verdict.ok:
            kept.append(page)
        elif verdict.reason == NO_TEXT_LAYER and page.has_images is False:
            skipped.append(SkippedPage(page.number, BLANK_PAGE))
        else:
            skipped.append(SkippedPage(page.number, verdict.reason or "unreadable"))
    texts = normalize_pages([p.text for p in kept], layout_wrapped=raw.mime == PDF)
    pages = []
    for page, text in zip(kept, texts, strict=True):
        if text:
            pages.append(Page(number=page.number, text=text, label=page.label))
        else:
            skipped.append(SkippedPage(page.number, _ONLY_BOILERPLATE))
    skipped.sort(key=lambda s: s.number)
    if not pages:
        reason = summarize_reasons((s.reason for s in skipped), pdf=raw.mime == PDF)
        raise UnreadableDocument(reason)
    return LoadedDocument(
        mime=raw.mime, page_count=raw.page_count, pages=pages, skipped=skipped, title=raw.title
    )
