"""Character boxes (#13): the stored form (app.core.char_boxes) and the rectangles of a span merged per
line or column (app.core.span_rects)."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.char_boxes import CorruptBoxes, PageBoxes, decode_boxes, encode_boxes
from app.core.span_rects import Rect, span_rects

pytestmark = pytest.mark.unit

A4 = (595.0, 842.0)
QUANTUM = 0.25  # points


def horizontal_line(text: str, x: float, y: float, size: float = 10.0) -> list[list[float]]:
    """One box per character, side by side (a space gets none)."""
    rows = []
    for c in text:
        rows.append([np.nan] * 4 if c == " " else [x, y, x + size, y + size * 1.2])
        x += size
    return rows


def vertical_column(text: str, x: float, y: float, size: float = 10.0) -> list[list[float]]:
    """One box per character, one under the other."""
    rows = []
    for _ in text:
        rows.append([x, y, x + size, y + size])
        y += size
    return rows


def page(rows: list[list[float]], size: tuple[float, float] = A4) -> PageBoxes:
    return PageBoxes(size[0], size[1], np.array(rows, dtype=np.float32).reshape(-1, 4))


def test_boxes_survive_storage_to_a_quarter_point() -> None:
    rng = np.random.default_rng(7)
    left = rng.uniform(0, 580, 3000)
    top = rng.uniform(0, 830, 3000)
    rows = np.stack([left, top, left + rng.uniform(1, 15, 3000), top + rng.uniform(1, 12, 3000)], axis=1)
    rows[rng.random(3000) < 0.15] = np.nan  # spaces and line breaks
    original = page(rows.tolist())
    back = decode_boxes(encode_boxes(original))
    assert (back.width, back.height) == A4 and len(back) == len(original)
    assert (back.present() == original.present()).all()
    error = np.abs(back.boxes[back.present()] - original.boxes[original.present()])
    assert error.max() <= QUANTUM / 2 + 1e-4


def test_vertical_text_survives_storage() -> None:
    columns = vertical_column("第一届出の通則", 500, 100) + vertical_column("一病院である", 480, 100)
    back = decode_boxes(encode_boxes(page(columns)))
    assert np.allclose(back.boxes, np.array(columns, dtype=np.float32), atol=QUANTUM / 2)


def test_empty_page_and_page_without_any_box() -> None:
    empty = decode_boxes(encode_boxes(PageBoxes.empty(612, 792, 0)))
    assert len(empty) == 0 and (empty.width, empty.height) == (612, 792)
    blank = decode_boxes(encode_boxes(PageBoxes.empty(612, 792, 40)))
    assert len(blank) == 40 and not blank.present().any()


def test_boxes_are_clipped_to_the_page_and_huge_pages_still_fit() -> None:
    back = decode_boxes(encode_boxes(page([[-5, -3, 20, 20], [590, 830, 640, 900]])))
    assert back.boxes.tolist() == [[0, 0, 20, 20], [590, 830, 595, 842]]
    huge = (20_000.0, 300.0)  # a banner: the unit grows to keep coordinates in 16 bits
    back = decode_boxes(encode_boxes(page([[19_000, 10, 19_990, 290]], huge)))
    assert np.allclose(back.boxes, [[19_000, 10, 19_990, 290]], atol=20_000 / 65_000)


def test_damaged_or_unknown_blobs_are_refused() -> None:
    blob = encode_boxes(page(horizontal_line("abc", 10, 10)))
    for bad in (blob[:5], blob[:20], b"\x09" + blob[1:]):
        with pytest.raises(CorruptBoxes):
            decode_boxes(bad)


def test_storage_is_compact_for_a_dense_page() -> None:
    """A page of 45 lines of 60 characters (2,700 boxes, 43 KB as float32) in under 4 KB."""
    rows = []
    for line in range(45):
        rows += horizontal_line("word " * 12, 72, 72 + line * 15)
    assert len(encode_boxes(page(rows))) < 4_000


# -- carried through a derived text ----------------------------------------------------------------


def test_carried_boxes_follow_the_map_of_a_derived_text() -> None:
    raw = page([[0, 0, 10, 10], [10, 0, 20, 10], [20, 0, 30, 10], [np.nan] * 4])
    spans = np.array([[0, 2], [2, 3], [2, 3], [-1, -1], [3, 4]], dtype=np.int32)
    carried = raw.carried(spans).boxes
    assert carried[0].tolist() == [0, 0, 20, 10]  # two characters folded into one: their union
    assert carried[1].tolist() == carried[2].tolist() == [20, 0, 30, 10]  # one expanded into two
    assert np.isnan(carried[3]).all() and np.isnan(carried[4]).all()  # none, and a source without a box


# -- rectangles of a span ---------------------------------------------------------------------------


def test_a_span_over_two_lines_gives_one_rectangle_per_line() -> None:
    text = "first line\nsecond"
    rows = horizontal_line("first line", 72, 100) + [[np.nan] * 4] + horizontal_line("second", 72, 115)
    found = span_rects(page(rows), text, 6, 17)
    assert found.rects == [Rect(132, 100, 172, 112, False), Rect(72, 115, 132, 127, False)]
    assert found.missing == 0 and (found.width, found.height) == A4


def test_vertical_writing_merges_per_column_right_to_left() -> None:
    text = "第一届出の通則一病院である"
    rows = vertical_column("第一届出の通則", 500, 100) + vertical_column("一病院である", 480, 100)
    rects = span_rects(page(rows), text, 3, 10).rects
    assert rects == [Rect(500, 130, 510, 170, True), Rect(480, 100, 490, 130, True)]


def test_two_columns_and_far_apart_cells_stay_separate() -> None:
    left_col = horizontal_line("end of left", 72, 700)
    right_col = horizontal_line("top right", 320, 72)
    text = "end of left top right"
    rects = span_rects(page([*left_col, [np.nan] * 4, *right_col]), text, 7, 21).rects
    assert [(r.x0, r.y0) for r in rects] == [(142, 700), (320, 72)]
    cells = horizontal_line("12", 72, 300) + horizontal_line("34", 400, 300)  # one table row
    assert len(span_rects(page(cells), "1234", 0, 4).rects) == 2


def test_characters_without_a_box_are_counted_but_whitespace_is_not() -> None:
    rows = horizontal_line("ab", 72, 100) + [[np.nan] * 4, [np.nan] * 4] + horizontal_line("c", 92, 100)
    found = span_rects(page(rows), "ab xc", 0, 5)
    assert found.missing == 1 and len(found.rects) == 1
