"""OCR with Tesseract for pages without usable text: scans, photos of pages, PDF text layers that are
garbage. `DocumentOcr` reads a document's pages within its limits; `make_document_ocr` builds it from
settings (None where OCR is off or Tesseract is not installed: `unavailable_reason` says which)."""

from __future__ import annotations

from app.core.settings import OcrSettings
from ingestion.ocr.document import (
    OCR_LOW_CONFIDENCE,
    OCR_NOTHING_FOUND,
    OCR_SKIP_PREFIXES,
    DocumentOcr,
    OcrLimits,
    OcrOutcome,
)
from ingestion.ocr.engine import (
    INSTALL_HINT,
    OcrEngine,
    TesseractEngine,
    make_ocr_engine,
    ocr_report,
    unavailable_reason,
)
from ingestion.ocr.tesseract import OcrError, OcrLine, OcrPage, OcrWord

__all__ = [
    "INSTALL_HINT",
    "OCR_LOW_CONFIDENCE",
    "OCR_NOTHING_FOUND",
    "OCR_SKIP_PREFIXES",
    "DocumentOcr",
    "OcrEngine",
    "OcrError",
    "OcrLimits",
    "OcrLine",
    "OcrOutcome",
    "OcrPage",
    "OcrWord",
    "TesseractEngine",
    "limits_from_settings",
    "make_document_ocr",
    "ocr_report",
    "unavailable_reason",
]


def limits_from_settings(settings: OcrSettings) -> OcrLimits:
    return OcrLimits(
        dpi=settings.dpi,
        max_pages=settings.max_pages,
        time_budget_s=settings.time_budget_s,
        page_timeout_s=settings.page_timeout_s,
        min_confidence=settings.min_confidence,
    )


def make_document_ocr(settings: OcrSettings) -> DocumentOcr | None:
    engine = make_ocr_engine(settings)
    return None if engine is None else DocumentOcr(engine, limits_from_settings(settings))
