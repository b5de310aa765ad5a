"""Plain data returned by every loader: pages of normalised text, plus what was skipped and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.core.char_boxes import PageBoxes


@dataclass
class Page:
    number: int  # 1-based physical page number (what a PDF viewer's #page=N opens)
    text: str  # normalised text; chunk offsets index into exactly this string
    # printed page label if the PDF has /PageLabels (e.g. "iii"); for Office files what the page is:
    # "Slide 3", "Sheet 売上 (rows 201–400)", "Section 2", "Footnotes" (at most 50 characters)
    label: str | None = None
    ocr: bool = False  # the text was read from the page's image by OCR, not from a text layer
    boxes: PageBoxes | None = None  # one box per character of `text` (PDF and OCR'd pages)


@dataclass
class SkippedPage:
    number: int
    reason: str  # e.g. "no text layer", "garbage text (mojibake)"


@dataclass
class LoadedDocument:
    mime: str
    page_count: int  # physical pages in the file
    pages: list[Page]  # readable pages only, in order
    skipped: list[SkippedPage] = field(default_factory=list)
    title: str | None = None  # PDF metadata title / HTML <title> / first Markdown heading


@dataclass
class RawPage:
    """A page as extracted, before the quality check and normalisation (loader-internal)."""

    number: int
    text: str
    label: str | None = None
    error: str | None = None  # set when the page itself could not be read
    has_images: bool | None = None  # for pages without text: scanned (True) or blank (False)
    # A scan with a thin text layer: an image covers most of the page and the layer holds only a few
    # characters (a page number, a stamp, "Scanned with ..."). OCR reads it; its text replaces the
    # layer's when it reads more.
    thin_text_layer: bool = False
    ocr: bool = False  # text read by OCR
    boxes: PageBoxes | None = None  # one box per character of `text`, where the loader knows them


@dataclass
class RawDocument:
    mime: str
    page_count: int
    pages: list[RawPage]
    title: str | None = None
    # The text is what its author typed (Office XML, CSV), one paragraph, table row or record a line,
    # not text recovered from a page layout. It is normalised line by line - no running headers to
    # strip (twenty identical spreadsheet rows are data), no lines broken by a layout to join - and
    # the garbage-text statistics, made for PDF fonts, don't reject it.
    authored: bool = False
