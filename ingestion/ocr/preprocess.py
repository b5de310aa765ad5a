"""Clean a page image before Tesseract: remove scanner speckle, then straighten a skewed page.

Each step runs only where the page needs it, so a clean, straight page reaches Tesseract unchanged.
Measured with bench/ocr.py (3 pages a cell; "scanned": 1% salt-and-pepper speckle, 0.6 px blur and
1 degree skew), CER of scanned pages at 150/200/300 dpi without -> with: horizontal Japanese
6.5/3.1/6.1% -> 1.3/0.7/0.8%, vertical 6.4/8.0/24.5% -> 1.7/2.1/0.7%, English 6.6/6.1/2.8% ->
0.3/0.4/0.5%; clean pages read the same. Neither step is enough alone: one page a cell, despeckled
(lone specks whitened, an earlier despeckler) but not turned read at 0.8-34% CER, turned but not
despeckled at 1.9-19%.
Cost on an A4 page at 200 dpi (2 shared cores, best of 7): 40 ms for a clean page (the two checks),
150 ms for a speckled, skewed one (median 52, skew estimate 25, rotation 56); at 300 dpi 70 and
290 ms. Tesseract takes 2-5 s on such a page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

_DARK = 128  # grey level below which a pixel is ink
# A lone speck is a dark pixel none of whose 8 neighbours is dark. Measured: clean pages (the three
# kinds at 150-300 dpi) have none at all, the bench's speckled pages 0.42-0.46% of their pixels. Dark
# pixels with one dark neighbour are not specks: stroke ends make 0.06% of a clean page at 150 dpi.
_SPECKLED = 2e-4  # share of lone specks above which a page is despeckled
_SKEW_DPI = 100  # the skew is estimated on the page shrunk to this resolution
_INK = 160  # ink on the shrunk page, whose strokes are grey (averaged)
# A full A4 page of text has about 80,000 ink pixels at 100 dpi; a dark photo up to 500,000 (0.9 s to
# score): past this many, every n-th pixel is scored.
_MAX_POINTS = 100_000
_COARSE = np.arange(-5.0, 5.01, 0.5)  # degrees tried, then _FINE around the best of them
_FINE = np.arange(-0.5, 0.51, 0.05)
# Bench pages turned by -4.6 to +3.3 degrees were found within 0.05 degrees (with speckle).
# Below this a page is read as it is. Measured (3 pages a cell, speckled then despeckled, 200 and
# 300 dpi, Japanese both directions, mean CER kept -> turned): at 0.5 degrees 0.50-1.02% ->
# 0.68-0.83% (no gain: better or worse by the page, the resampling costs about what the skew does);
# at 0.75 degrees 0.80-1.52% -> 0.79-0.97% (vertical pages gain most); at 1 degree see above.
_MIN_SKEW = 0.6
# How far the best angle's profile stands out (its score over the median angle's). Measured: text
# pages 1.84-3.04 (a three-line page 2.0), pure noise and a blur of shapes (photo-like) 1.02.
_MIN_CONTRAST = 1.3


@dataclass(frozen=True)
class Prepared:
    image: Image.Image
    angle: float  # degrees the page was turned counter-clockwise (Image.rotate's sense); 0.0: not
    despeckled: bool


def prepare(image: Image.Image, dpi: int | None) -> Prepared:
    """The grey page `image` despeckled and deskewed where it needs it. A deskewed page is a new,
    slightly larger image (`image.rotate(angle, expand=True)`, white corners); coordinates on it are
    not the original page's."""
    if image.mode != "L":
        image = image.convert("L")
    cleaned = despeckle(np.asarray(image))
    if cleaned is not None:
        image = Image.fromarray(cleaned)
    skew = estimate_skew(image, dpi)
    if abs(skew) < _MIN_SKEW:
        return Prepared(image, 0.0, cleaned is not None)
    # Bilinear: half the time of bicubic (55 against 115 ms on an A4 page at 200 dpi) and read as well.
    turned = image.rotate(-skew, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255)
    return Prepared(turned, -skew, cleaned is not None)


def despeckle(pixels: np.ndarray) -> np.ndarray | None:
    """The grey `pixels` through a 3x3 median filter, or None when the page is not speckled.

    A median rather than whitening the lone specks only: that left the specks touching a stroke or
    each other and the white ones inside strokes, and vertical pages at 300 dpi read at 6.0% CER
    (8.5% the worst page) against 0.7% (1.2%) with the median (bench/ocr.py). The median thins 12 pt
    punctuation at 150 dpi, but Tesseract still read 78 of 78 。 and 137 of 140 、 on the bench's
    speckled pages (76 and 136 with lone specks whitened).
    """
    dark = pixels < _DARK
    lone = dark & (_dark_neighbours(dark) == 0)
    if lone.mean() < _SPECKLED:
        return None
    return median3(pixels)


def _dark_neighbours(dark: np.ndarray) -> np.ndarray:
    """How many of each pixel's 8 neighbours are dark."""
    padded = np.pad(dark, 1).astype(np.uint8)
    height, width = dark.shape
    count = np.zeros(dark.shape, dtype=np.uint8)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            if dy != 1 or dx != 1:
                count += padded[dy : dy + height, dx : dx + width]
    return count


# Paeth's median of 9 in 19 compare-exchanges: the same result as Pillow's MedianFilter(3) at a quarter
# of its time (41 against 168 ms on an A4 page at 200 dpi, measured).
_MEDIAN9 = (
    (1, 2), (4, 5), (7, 8), (0, 1), (3, 4), (6, 7), (1, 2), (4, 5), (7, 8), (0, 3),
    (5, 8), (4, 7), (3, 6), (1, 4), (2, 5), (4, 7), (4, 2), (6, 4), (4, 2),
)  # fmt: skip


def median3(pixels: np.ndarray) -> np.ndarray:
    """Each pixel replaced by the median of its 3x3 neighbourhood (edges repeated)."""
    padded = np.pad(pixels, 1, mode="edge")
    height, width = pixels.shape
    v = [padded[dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3)]
    for i, j in _MEDIAN9:
        v[i], v[j] = np.minimum(v[i], v[j]), np.maximum(v[i], v[j])
    return np.ascontiguousarray(v[4])


def estimate_skew(image: Image.Image, dpi: int | None) -> float:
    """The angle (degrees, counter-clockwise) the page's lines or columns are turned by; 0.0 when
    neither rows nor columns of ink stand out at any angle (a photo, noise, a blank page)."""
    angle, contrast = _skew_and_contrast(image, dpi)
    return angle if contrast >= _MIN_CONTRAST else 0.0


def _skew_and_contrast(image: Image.Image, dpi: int | None) -> tuple[float, float]:
    """Projection profiles of the ink at each angle, along rows (horizontal lines) and along columns
    (vertical Japanese): the angle whose profile is sharpest, and how much it stands out."""
    scale = _SKEW_DPI / (dpi or 200)
    width, height = image.size
    small = image.resize((max(1, int(width * scale)), max(1, int(height * scale))), Image.Resampling.BOX)
    ys, xs = np.nonzero(np.asarray(small) < _INK)
    if ys.size < 100:
        return 0.0, 0.0
    step = ys.size // _MAX_POINTS + 1
    ys, xs = ys[::step], xs[::step]
    x = xs - xs.mean()
    y = ys - ys.mean()
    best_angle, best_contrast = 0.0, 0.0
    # A line turned by a (counter-clockwise, y down) keeps y + x tan(a); a column keeps x - y tan(a).
    for along, across, sign in ((y, x, 1.0), (x, y, -1.0)):
        scores = np.array([_sharpness(along, across, sign * a) for a in _COARSE])
        contrast = float(scores.max() / np.median(scores))
        if contrast > best_contrast:
            fine = float(_COARSE[scores.argmax()]) + _FINE
            fine_scores = [_sharpness(along, across, sign * a) for a in fine]
            best_angle, best_contrast = round(float(fine[int(np.argmax(fine_scores))]), 2), contrast
    return best_angle, best_contrast


def _sharpness(along: np.ndarray, across: np.ndarray, degrees: float) -> float:
    """Sum of squares of the ink profile at `degrees`: highest when whole lines fall in single bins."""
    bins = np.rint(along + across * np.tan(np.radians(degrees))).astype(np.int64)
    profile = np.bincount(bins - bins.min())
    return float(np.dot(profile, profile))
