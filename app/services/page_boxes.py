"""Where a span of a page's text is printed: the rectangles a client highlights on the page image."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.core.char_boxes import CorruptBoxes, decode_boxes
from app.core.errors import InvalidInput, NotFound
from app.core.span_rects import SpanRects, span_rects
from app.db import models as m
from app.services import documents

_LAID_OUT = ("application/pdf", "image/")


def span_boxes(session: Session, document_id: int, number: int, start: int, end: int) -> SpanRects:
    """The rectangles of text[start:end] of page `number` (offsets as in citations and passages),
    merged per line. Raises NotFound (no document, page, or boxes) and InvalidInput (a bad span)."""
    page = documents.get_page(session, document_id, number)
    length = len(page.text)
    if not 0 <= start < end <= length:
        raise InvalidInput(
            f"The span {start}-{end} is not in page {number}'s text, which has {length} characters "
            f"(0 <= start < end <= {length}).",
            code="invalid_span",
        )
    if page.boxes is None:
        raise NotFound(_why_no_boxes(session, document_id, number), code="boxes_unavailable")
    boxes = decode_boxes(page.boxes)
    if len(boxes) != length:
        raise CorruptBoxes(f"Page {number}'s stored boxes do not match its text; upload the document again.")
    return span_rects(boxes, page.text, start, end)


def _why_no_boxes(session: Session, document_id: int, number: int) -> str:
    doc = session.get(m.Document, document_id)
    mime = (doc.mime if doc is not None else None) or ""
    if not mime.startswith(_LAID_OUT):
        return f"Page {number} has no character boxes: only PDF pages and images have them, not {mime} files."
    return (
        f"Page {number} has no character boxes: the document was ingested before Shiori kept them (or "
        "with SHIORI_INGEST__CHAR_BOXES=false), or its text layer could not be matched to them. Run "
        "`shiori backfill-boxes` to add them from the stored file."
    )
