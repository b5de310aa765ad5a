"""Character boxes of a PDF page's text layer, one per character of the text `read_pdf` extracts.

PDFium numbers the characters of a text page (`FPDFText_CountChars`): the characters of the content
stream plus the spaces and line breaks it generates, a character outside the Basic Multilingual
Plane as two UTF-16 units, a hyphen it removed at a line break as U+0002. The page text comes from
`FPDFText_GetBoundedText` over the page's crop box, which leaves out characters whose box lies
outside it (printer's marks above a Letter page cut from Legal paper) and characters without Unicode,
and inserts its own line breaks and spaces. So character i of the text is not PDFium's character i.

But the visible characters agree: the text's non-whitespace characters are, in order, PDFium's
characters that have Unicode, are not whitespace or U+0002, and whose (tight) box meets the crop box,
with surrogate pairs joined (checked on all 624 readable pages of the sample corpus: equal on every
one). Each visible character gets its PDFium character's loose box (the font's ascent to descent,
the glyph's advance): a line's boxes then share a top and bottom, as a highlight should, and small
glyphs such as 、 or . get a box the size of the text around them. Poppler's word boxes are built the
same way (tests/integration/test_char_boxes_poppler.py compares them). Whitespace gets no box. A page
where the two sequences differ gets no boxes at all (logged), never shifted ones.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Callable
from functools import cache

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from app.core.char_boxes import PageBoxes
from ingestion.fold import is_whitespace, visible_chars

logger = logging.getLogger(__name__)

_NOT_TEXT = (0x00, 0x02, 0xFFFE)  # no Unicode; PDFium's marker for a hyphen it removed (both spellings)
_DEVICE_SCALE = 64  # FPDF_PageToDevice answers in whole device pixels: 1/64 point is exact enough


def page_char_boxes(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage, text: str) -> PageBoxes | None:
    """Boxes in page coordinates (app.core.char_boxes) for each character of `text`, the page's
    bounded text as read_pdf returns it (U+0002 removed, CRLF made LF)."""
    width, height = page.get_size()
    wanted, codes = visible_chars(text)
    shown = codes.tobytes().decode("utf-32-le", "surrogatepass")
    raw = textpage.raw
    units = _units(raw)
    indices = np.nonzero(~np.isin(units, _NOT_TEXT) & ~is_whitespace(units))[0]
    loose = _loose_boxes(raw, indices)
    if _count_chars(units[indices]) != len(shown):  # some lie outside the crop box: not in the text
        inside = _inside(raw, indices, loose, page.get_bbox())
        indices, loose = indices[inside], loose[inside]
    chars, groups = _characters(units, indices)
    if chars != shown:
        logger.info("pdf char boxes unmatched text_chars=%d pdfium_chars=%d", len(shown), len(chars))
        return None
    if groups is not None:  # a surrogate pair is one character: the union of its two boxes
        first, last = (np.array([g[i] for g in groups], dtype=np.int64).reshape(-1) for i in (0, 1))
        last -= 1
        low = np.minimum(loose[first, :2], loose[last, :2])
        loose = np.hstack([low, np.maximum(loose[first, 2:], loose[last, 2:])])
    out = PageBoxes.empty(width, height, len(text))
    if len(wanted):
        out.boxes[wanted] = _to_display(page, loose, width, height)
    return out


def _units(raw: ctypes.c_void_p) -> np.ndarray:
    """The UTF-16 unit of each of PDFium's characters: FPDFText_GetText over all of them, one call,
    where it returns one unit a character (as it does on all but a few pages), else one call each."""
    count = pdfium_c.FPDFText_CountChars(raw)
    buffer = (ctypes.c_ushort * (count + 1))()
    written = pdfium_c.FPDFText_GetText(raw, 0, count, buffer)
    if written == count + 1:
        return np.frombuffer(buffer, dtype=np.uint16, count=count).astype(np.uint32)
    get = pdfium_c.FPDFText_GetUnicode
    return np.array([get(raw, k) for k in range(count)], dtype=np.uint32)


def _count_chars(units: np.ndarray) -> int:
    """Characters the units make once surrogate pairs are joined (lone surrogates dropped)."""
    high = (units >= 0xD800) & (units < 0xDC00)
    return int(np.count_nonzero((units < 0xD800) | (units >= 0xE000)) + np.count_nonzero(high))


def _inside(
    raw: ctypes.c_void_p, indices: np.ndarray, loose: np.ndarray, crop: tuple[float, float, float, float]
) -> np.ndarray:
    """Which characters' tight boxes meet the crop box (FPDFText_GetBoundedText's test). A glyph's
    tight box lies within about its own size of its loose box, so only characters whose loose box is
    that near an edge of the crop box are looked up one by one."""
    left, bottom, right, top = crop
    size = np.maximum(loose[:, 2] - loose[:, 0], loose[:, 3] - loose[:, 1])[:, None]
    grown = loose + np.hstack([-size, -size, size, size])
    clear = (grown[:, 0] > left) & (grown[:, 2] < right) & (grown[:, 1] > bottom) & (grown[:, 3] < top)
    away = (grown[:, 2] < left) | (grown[:, 0] > right) | (grown[:, 3] < bottom) | (grown[:, 1] > top)
    keep = clear.copy()
    box = [ctypes.c_double() for _ in range(4)]
    refs = [ctypes.byref(v) for v in box]
    for n in np.nonzero(~clear & ~away)[0].tolist():
        pdfium_c.FPDFText_GetCharBox(raw, int(indices[n]), *refs)  # left, right, bottom, top
        x0, x1, y0, y1 = (v.value for v in box)
        keep[n] = not (x1 < left or x0 > right or y1 < bottom or y0 > top)
    return keep


def _characters(units: np.ndarray, indices: np.ndarray) -> tuple[str, list[tuple[int, int]] | None]:
    """The characters of PDFium's characters `indices`; where surrogates occur, also which positions
    of `indices` each character spans ([a, b)). A lone surrogate is dropped, as the text's UTF-16
    decoding drops it."""
    picked = units[indices]
    if not np.any((picked >= 0xD800) & (picked < 0xE000)):
        return picked.astype("<u4").tobytes().decode("utf-32-le"), None
    chars: list[str] = []
    groups: list[tuple[int, int]] = []
    values = picked.tolist()
    k = 0
    while k < len(values):
        unit = values[k]
        if 0xD800 <= unit < 0xDC00 and k + 1 < len(values) and 0xDC00 <= values[k + 1] < 0xE000:
            chars.append(chr(0x10000 + ((unit - 0xD800) << 10) + (values[k + 1] - 0xDC00)))
            groups.append((k, k + 2))
            k += 2
            continue
        if not 0xD800 <= unit < 0xE000:
            chars.append(chr(unit))
            groups.append((k, k + 1))
        k += 1
    return "".join(chars), groups


def _loose_boxes(raw: ctypes.c_void_p, indices: np.ndarray) -> np.ndarray:
    """(left, bottom, right, top) in PDF user space of each character `indices`, loose. One call a
    character is the cost of boxes; straight into an array, through a prototype that takes plain
    addresses: 1.5 us a character, against 2.5-3 us through pypdfium2's checked prototype and a
    struct's fields (measured on the IRS form's 308,000 characters)."""
    rects = np.empty((len(indices), 4), dtype=np.float32)  # FS_RECTF: left, top, right, bottom
    get, handle, base = _loose_char_box(), ctypes.cast(raw, ctypes.c_void_p).value, rects.ctypes.data
    for n, k in enumerate(indices.tolist()):
        get(handle, k, base + 16 * n)
    return rects[:, [0, 3, 2, 1]].astype(np.float64)


@cache
def _loose_char_box() -> Callable[[int | None, int, int], int]:
    """FPDFText_GetLooseCharBox(text_page, index, rect) taking plain addresses."""
    prototype = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
    address = ctypes.cast(pdfium_c.FPDFText_GetLooseCharBox, ctypes.c_void_p).value
    return prototype(address or 0)


def _to_display(page: pdfium.PdfPage, boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """PDF user space (origin bottom-left of the media box, y up) to the page as displayed: the crop
    box turned by /Rotate, origin top-left, y down, in points. The transform is PDFium's own (the one
    it renders with), read off three points."""
    size_x, size_y = round(width * _DEVICE_SCALE), round(height * _DEVICE_SCALE)

    def device(x: float, y: float) -> tuple[float, float]:
        dx, dy = ctypes.c_int(), ctypes.c_int()
        pdfium_c.FPDF_PageToDevice(page, 0, 0, size_x, size_y, 0, x, y, ctypes.byref(dx), ctypes.byref(dy))
        return dx.value / _DEVICE_SCALE, dy.value / _DEVICE_SCALE

    origin, ex, ey = np.array(device(0, 0)), np.array(device(1000, 0)), np.array(device(0, 1000))
    matrix = np.stack([(ex - origin) / 1000, (ey - origin) / 1000], axis=1)  # columns: images of x, y
    corners = [boxes[:, [0, 1]], boxes[:, [2, 3]]]  # (left, bottom), (right, top)
    mapped = [c @ matrix.T + origin for c in corners]
    x = np.stack([m[:, 0] for m in mapped], axis=1)
    y = np.stack([m[:, 1] for m in mapped], axis=1)
    return np.stack([x.min(axis=1), y.min(axis=1), x.max(axis=1), y.max(axis=1)], axis=1)
