"""The rectangles to highlight for a span of page text: its character boxes merged per line, or per
column in vertical writing.

Characters join the current rectangle while they continue its line: the next box overlaps the last
one across the writing direction by at least half the smaller box and starts at most a few character
sizes further along it (a table row's far-apart cells stay separate rectangles). The first pair of a
rectangle sets its direction: side by side is horizontal, one under the other vertical. A line break,
a jump back (the next column of a two-column page, the next vertical column to the left) or a big gap
starts a new rectangle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.char_boxes import PageBoxes

_MIN_OVERLAP = 0.5  # of the smaller box, across the writing direction
_MAX_GAP = 3.0  # in box sizes across the writing direction (line heights, column widths)
_BACKTRACK = 0.5  # a box may start this much (of its size) before the last one ends (kerning, overlap)


@dataclass(frozen=True)
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float
    vertical: bool = False


@dataclass(frozen=True)
class SpanRects:
    width: float
    height: float
    rects: list[Rect]
    missing: int  # characters of the span, other than whitespace, without a box


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    size = min(a1 - a0, b1 - b0)
    if size <= 0:
        return 1.0 if max(a0, b0) <= min(a1, b1) else 0.0
    return max(0.0, min(a1, b1) - max(a0, b0)) / size


def _continues(last: Rect, box: Rect, vertical: bool) -> bool:
    if vertical:
        across = max(last.x1 - last.x0, box.x1 - box.x0)
        along = box.y0 - last.y1
        return (
            _overlap(last.x0, last.x1, box.x0, box.x1) >= _MIN_OVERLAP
            and box.y0 >= last.y0 - _BACKTRACK * across
            and along <= _MAX_GAP * across
        )
    across = max(last.y1 - last.y0, box.y1 - box.y0)
    along = box.x0 - last.x1
    return (
        _overlap(last.y0, last.y1, box.y0, box.y1) >= _MIN_OVERLAP
        and box.x0 >= last.x0 - _BACKTRACK * across
        and along <= _MAX_GAP * across
    )


def span_rects(page: PageBoxes, text: str, start: int, end: int) -> SpanRects:
    """Rectangles of text[start:end] (offsets into the text `page` has one box per character of)."""
    rects: list[Rect] = []
    current: Rect | None = None
    last: Rect | None = None
    direction: bool | None = None  # None until the current rectangle has two boxes
    missing = 0
    for k in range(start, end):
        row = page.boxes[k]
        if np.isnan(row[0]):
            missing += not text[k].isspace()
            continue
        box = Rect(float(row[0]), float(row[1]), float(row[2]), float(row[3]))
        if current is not None and last is not None:
            if direction is None:
                if _continues(last, box, vertical=False):
                    direction = False
                elif _continues(last, box, vertical=True):
                    direction = True
            if direction is not None and _continues(last, box, vertical=direction):
                current = Rect(
                    min(current.x0, box.x0),
                    min(current.y0, box.y0),
                    max(current.x1, box.x1),
                    max(current.y1, box.y1),
                    direction,
                )
                last = box
                continue
            rects.append(current)
        current, last, direction = box, box, None
    if current is not None:
        rects.append(current)
    return SpanRects(page.width, page.height, rects, missing)
