"""Character boxes of an OCR'd page, in the page coordinates of app.core.char_boxes.

Tesseract reports boxes per word and per line (its TSV), not per character, and its line boxes are
the reliable ones: its Japanese word boxes were off by up to a character (on pages typeset with IPA
Gothic: "台湾" boxed twice as wide as drawn, "と" a third of its size), English word boxes were tight.
So a character's box is placed along its line:

- Japanese lines (at least half the characters full-width) are typeset on a grid: the line's extent
  is shared among its characters, a full-width character taking one part, another character
  `_NARROW` of one, a space `_SPACE`. Measured on pages typeset by tests/support/page_images.py at
  200 dpi (10 words, horizontal and vertical): the drawn word and its boxes overlap with IoU
  0.87-0.93 this way, 0.29-0.67 when Tesseract's word boxes are split.
- Other lines: each word's box is split evenly among its characters (proportional Latin type: a
  character can be off by a fraction of its width, which a highlight merged per line does not show).
  English words: IoU 0.56-0.91 (the band is the line's, so a word without ascenders sits lower).

A line taller than wide is a column of vertical writing: "along" is downwards. Across the line every
box takes the typical extent of the line's words, so one line highlights as one band, not a staircase
of ink boxes.
"""

from __future__ import annotations

import unicodedata

import numpy as np
from PIL import Image

from app.core.char_boxes import PageBoxes
from ingestion.ocr.tesseract import OcrLine, OcrPage, joined_words

PAGE_SIZE_KEY = "page_size"  # image.info: (width, height) of the page it shows, in points
_NARROW = 0.55  # a Latin letter or digit in a Japanese line, in full-width characters
_SPACE = 0.3


def page_size(image: Image.Image) -> tuple[float, float]:
    """The size of the page an image shows, in page units: a rendered PDF page says (`PAGE_SIZE_KEY`);
    an image file is its pixels at its declared resolution (72 dpi, one unit a pixel, if none)."""
    declared = image.info.get(PAGE_SIZE_KEY)
    if declared is not None:
        return float(declared[0]), float(declared[1])
    dpi = image.info.get("dpi")
    try:
        resolution = float(dpi[0]) if dpi else 72.0
    except (TypeError, ValueError, IndexError):
        resolution = 72.0
    scale = 72.0 / resolution if resolution > 0 else 1.0
    return image.width * scale, image.height * scale


def ocr_char_boxes(page: OcrPage, image: Image.Image) -> PageBoxes:
    """A box for each character of `page.text`; `image` is the image Tesseract read."""
    text, positions = page.text_and_positions()
    per_line = [_line_boxes(line) for line in page.lines]
    pixels = np.full((len(text), 4), np.nan, dtype=np.float64)
    for k, position in enumerate(positions):
        if position is not None:
            pixels[k] = per_line[position[0]][position[1]]
    width, height = page_size(image)
    boxes = image_to_page(pixels, image.size, (width, height), angle=page.angle)
    return PageBoxes(width, height, boxes.astype(np.float32))


def _line_boxes(line: OcrLine) -> np.ndarray:
    """Pixel boxes (left, top, right, bottom) for each character of `line.text`; NaN for spaces."""
    text, starts = joined_words([w.text for w in line.words])
    left, top, width, height = line.box
    vertical = height > width
    # Along the line: [a0, a1) per character, in the line's direction.
    along = np.full((len(text), 2), np.nan)
    visible = [c for c in text if not c.isspace()]
    wide = sum(unicodedata.east_asian_width(c) in ("W", "F") for c in visible)
    if visible and wide >= len(visible) / 2:
        weights = np.array([_weight(c) for c in text])
        edges = np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
        origin, length = (top, height) if vertical else (left, width)
        along[:, 0], along[:, 1] = origin + length * edges[:-1], origin + length * edges[1:]
        along[[c.isspace() for c in text]] = np.nan
    else:
        for word, start in zip(line.words, starts, strict=True):
            w_left, w_top, w_width, w_height = word.box
            origin, length = (w_top, w_height) if vertical else (w_left, w_width)
            n = len(word.text)
            for i in range(n):
                along[start + i] = (origin + length * i / n, origin + length * (i + 1) / n)
    along[np.isnan(along[:, 0])] = np.nan
    # Across: the words' typical extent (median), not the line's: some of Tesseract's word boxes in a
    # Japanese line run from its top to its bottom and more (48 pixels where the type is 29).
    words = np.array([w.box for w in line.words], dtype=np.float64)
    axis = 0 if vertical else 1
    low, high = np.median(words[:, axis]), np.median(words[:, axis] + words[:, axis + 2])
    across = np.tile([low, high], (len(text), 1))
    across[np.isnan(along[:, 0])] = np.nan  # a space has no box
    if vertical:
        return np.stack([across[:, 0], along[:, 0], across[:, 1], along[:, 1]], axis=1)
    return np.stack([along[:, 0], across[:, 0], along[:, 1], across[:, 1]], axis=1)


def _weight(c: str) -> float:
    if c.isspace():
        return _SPACE
    return 1.0 if unicodedata.east_asian_width(c) in ("W", "F") else _NARROW


def image_to_page(
    boxes: np.ndarray, image_size: tuple[int, int], page: tuple[float, float], *, angle: float = 0.0
) -> np.ndarray:
    """Boxes in the pixels of the image Tesseract read to boxes on the page. The one place that knows
    how that image was made from the page: a page straightened before reading (ingestion.ocr.preprocess:
    `image.rotate(angle, expand=True)`) has its boxes turned back here, each to the upright box around
    its turned corners."""
    if angle:
        boxes = _unrotate(boxes, image_size, angle)
    scale = np.array([page[0] / image_size[0], page[1] / image_size[1]] * 2)
    return boxes * scale


def _unrotate(boxes: np.ndarray, size: tuple[int, int], angle: float) -> np.ndarray:
    """Boxes on `Image.rotate(angle, expand=True)` of an image of `size`, back on that image."""
    theta = np.radians(angle)
    cos, sin = np.cos(theta), np.sin(theta)
    width, height = size
    turned_w = abs(width * cos) + abs(height * sin)  # the expanded image's size
    turned_h = abs(width * sin) + abs(height * cos)
    corners = [(0, 1), (2, 1), (0, 3), (2, 3)]  # (x column, y column) of each corner
    xs = np.stack([boxes[:, i] - turned_w / 2 for i, _ in corners], axis=1)
    ys = np.stack([boxes[:, j] - turned_h / 2 for _, j in corners], axis=1)
    # Image.rotate turns counter-clockwise on screen (y down); this is the inverse turn.
    x = xs * cos - ys * sin + width / 2
    y = xs * sin + ys * cos + height / 2
    return np.stack([x.min(axis=1), y.min(axis=1), x.max(axis=1), y.max(axis=1)], axis=1)
