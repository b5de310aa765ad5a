"""OCR the pages of one document that need it, within the document's page limit and time budget.

Pages come as (number, image) from a lazy source (PDF pages rendered one at a time, frames of a TIFF),
so pages past a limit are never rendered. Each page ends read (text) or skipped (a reason).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image

from app.core.char_boxes import PageBoxes
from ingestion.ocr.boxes import ocr_char_boxes
from ingestion.ocr.engine import OcrEngine
from ingestion.ocr.tesseract import OcrError

logger = logging.getLogger(__name__)

OCR_LOW_CONFIDENCE = "OCR confidence too low"
OCR_NOTHING_FOUND = "blank page (OCR found no text)"
_PAGE_LIMIT = "not OCR'd: over the limit of {n} OCR pages per document"
_TIME_BUDGET = "not OCR'd: the document's OCR time budget ({s:.0f} s) ran out"
OCR_SKIP_PREFIXES = ("OCR", "not OCR'd")

PageImages = Iterator[tuple[int, Image.Image | None]]
DAMAGED = "page could not be read (damaged)"


@dataclass(frozen=True)
class OcrLimits:
    dpi: int  # PDF pages are rendered at this resolution
    max_pages: int
    time_budget_s: float
    page_timeout_s: float
    min_confidence: float


@dataclass(frozen=True)
class OcrOutcome:
    number: int
    text: str | None = None  # the page's text, or None when skipped
    reason: str | None = None  # why it was skipped
    confidence: float | None = None
    vertical: bool = False
    boxes: PageBoxes | None = None  # one box per character of `text`


@dataclass
class DocumentOcr:
    """An engine with its limits; one call of `read_pages` per document."""

    engine: OcrEngine
    limits: OcrLimits

    def read_pages(
        self,
        numbers: list[int],
        images: Callable[[list[int]], PageImages],
        *,
        on_page: Callable[[int, int], None] | None = None,
    ) -> list[OcrOutcome]:
        """OCR the pages `numbers`; images(numbers) yields their images in order, each with its
        resolution in image.info["dpi"] where it is known."""
        limits = self.limits
        todo, over = numbers[: limits.max_pages], numbers[limits.max_pages :]
        outcomes = [OcrOutcome(n, reason=_PAGE_LIMIT.format(n=limits.max_pages)) for n in over]
        started = time.monotonic()
        done = 0
        if on_page is not None and todo:
            on_page(0, len(todo))
        source = images(todo)
        try:
            for number, image in source:
                left = limits.time_budget_s - (time.monotonic() - started)
                if left <= 0:
                    break
                if image is None:
                    outcomes.append(OcrOutcome(number, reason=DAMAGED))
                else:
                    outcomes.append(self._read_one(number, image, min(limits.page_timeout_s, left)))
                done += 1
                if on_page is not None:
                    on_page(done, len(todo))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()  # a generator over an open PDF closes it
        read = {o.number for o in outcomes}
        outcomes += [
            OcrOutcome(n, reason=_TIME_BUDGET.format(s=limits.time_budget_s)) for n in todo if n not in read
        ]
        outcomes.sort(key=lambda o: o.number)
        logger.info(
            "ocr pages=%d read=%d seconds=%.1f",
            len(numbers),
            sum(o.text is not None for o in outcomes),
            time.monotonic() - started,
        )
        return outcomes

    def _read_one(self, number: int, image: Image.Image, timeout_s: float) -> OcrOutcome:
        try:
            page = self.engine.read(image, dpi=image_dpi(image), timeout_s=timeout_s)
        except OcrError as exc:
            logger.warning("ocr page failed page=%d reason=%s", number, exc.reason)
            return OcrOutcome(number, reason=exc.reason)
        text = page.text
        if not text.strip():
            return OcrOutcome(number, reason=OCR_NOTHING_FOUND, confidence=0.0)
        if page.confidence < self.limits.min_confidence:
            logger.info("ocr page skipped page=%d confidence=%.1f", number, page.confidence)
            return OcrOutcome(number, reason=OCR_LOW_CONFIDENCE, confidence=page.confidence)
        return OcrOutcome(
            number,
            text=text,
            confidence=page.confidence,
            vertical=page.vertical,
            boxes=ocr_char_boxes(page, image),
        )


def image_dpi(image: Image.Image) -> int | None:
    """The resolution an image declares, when it is believable. Phone photos and screenshots say 72
    (or 96) whatever their real scale; Tesseract estimates the resolution from the text size when
    it is not given, which is better than a wrong number."""
    dpi = image.info.get("dpi")
    try:
        value = round(float(dpi[0])) if dpi else 0
    except (TypeError, ValueError, IndexError):
        return None
    return value if 100 <= value <= 1200 else None
