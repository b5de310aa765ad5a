"""CSV and TSV files: one page, or one page per block of rows, each row as `header: value` pairs.

The encoding is found as for text files (UTF-8 with or without BOM, UTF-16, Shift_JIS/CP932 as Excel
saves CSV in Japan, EUC-JP) and the delimiter as sniffing found it (comma, tab, semicolon or bar).
Row numbers are record numbers (a quoted field may span lines), header included, as a spreadsheet
opening the file would number them.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from pathlib import Path

from app.core.errors import UnreadableDocument
from ingestion.loaders import failures
from ingestion.loaders.base import RawDocument, RawPage
from ingestion.loaders.sniff import CSV, csv_delimiter, decode_text
from ingestion.loaders.tabular import BLOCK_ROWS, blocks, row_lines

logger = logging.getLogger(__name__)


def read_csv(path: Path, *, max_pages: int, on_page: Callable[[int, int], None] | None = None) -> RawDocument:
    text, encoding = decode_text(path.read_bytes())
    delimiter = csv_delimiter(text) or ","
    logger.debug("csv file path=%s encoding=%s delimiter=%r", path.name, encoding, delimiter)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    parts = []
    try:
        for part in blocks(row_lines((i + 1, row) for i, row in enumerate(records))):
            parts.append(part)
            if len(parts) > max_pages:
                unit = f"pages (blocks of {BLOCK_ROWS} rows) or more"
                raise failures.too_many_pages(len(parts), unit, max_pages)
    except csv.Error as exc:
        raise UnreadableDocument(
            f"This CSV file cannot be parsed ({exc}); check that it is saved as CSV from its program.",
            code=failures.CORRUPT,
        ) from exc
    if not parts:
        raise failures.no_text("CSV file", "it has no rows with values")
    pages = []
    for k, part in enumerate(parts):
        label = f"Rows {part.first_row}–{part.last_row}" if len(parts) > 1 else None
        pages.append(RawPage(k + 1, "\n".join(part.lines), label))
        if on_page is not None:
            on_page(k + 1, len(parts))
    return RawDocument(mime=CSV, page_count=len(pages), pages=pages, authored=True)
