"""The OCR engine protocol, Tesseract behind it, and the factory that picks it from settings.

Horizontal or vertical Japanese is decided per page by reading it. A projection profile (free: 5-15
ms) says which direction to try first: horizontal lines leave empty rows between them, vertical
columns empty columns. When that first reading is unsure (confidence under `_TRY_OTHER_BELOW`), the
other direction is read too and the reading with the higher confidence x characters kept. Measured on
the bench/ocr.py pages: a page read in the wrong direction scores 8-50, a right one 64-96 (speckle,
blur and skew included), so the pick is never close; the profile pointed the right way first on all
54 bench pages (one Tesseract run a page but one), which saves the second run (2-4 s) on vertical
pages. Tesseract's orientation detection (OSD; page segmentation mode 1 runs it to turn sideways
scans upright) cannot tell: it reported "0 degrees, Japanese" for both directions.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from typing import Any, Protocol

import numpy as np
from PIL import Image

from app.core.settings import OcrSettings
from ingestion.ocr.tesseract import OcrPage, run_tesseract

logger = logging.getLogger(__name__)

# Readings in the wrong direction scored 8-50 (bench/ocr.py and sideways pages), right ones 64-96.
_TRY_OTHER_BELOW = 65.0
_PROFILE_DPI = 60  # lines 12 pt apart keep a gap of several pixels; characters merge into lines
_EMPTY_LINE_INK = 0.05  # a pixel row (column) with less ink than this is a gap (speckle tolerated)
# Share of empty columns minus empty rows above which vertical is tried first. Measured: horizontal
# Japanese and English pages -0.26 to -0.55, vertical +0.14 to +0.35 (with speckle and 1 degree skew).
_VERTICAL_PROFILE = 0.10

INSTALL_HINT = (
    "install the Debian packages tesseract-ocr, tesseract-ocr-jpn, tesseract-ocr-jpn-vert and "
    "tesseract-ocr-eng (OCR turns itself on where Tesseract is found)"
)


class OcrEngine(Protocol):
    def read(self, image: Image.Image, *, dpi: int | None, timeout_s: float) -> OcrPage:
        """Read one page image (raises ingestion.ocr.OcrError)."""
        ...


class TesseractEngine:
    def __init__(self, settings: OcrSettings) -> None:
        self.languages = settings.languages
        self.vertical_languages = settings.vertical_languages
        self.command = settings.command

    def read(self, image: Image.Image, *, dpi: int | None, timeout_s: float) -> OcrPage:
        image = _grayscale(image)
        order = [False, True] if self.vertical_languages else [False]
        if len(order) == 2 and looks_vertical(image, dpi):
            order.reverse()
        first = self._run(image, order[0], dpi, timeout_s)
        if first.confidence >= _TRY_OTHER_BELOW or len(order) == 1:
            return first
        second = self._run(image, order[1], dpi, max(1.0, timeout_s - first.seconds))
        best = max((first, second), key=lambda p: p.confidence * p.chars)
        logger.debug(
            "ocr direction vertical=%s first_conf=%.1f second_conf=%.1f",
            best.vertical,
            first.confidence,
            second.confidence,
        )
        return best

    def _run(self, image: Image.Image, vertical: bool, dpi: int | None, timeout_s: float) -> OcrPage:
        languages = self.vertical_languages if vertical else self.languages
        return run_tesseract(
            image, languages=languages, dpi=dpi, timeout_s=timeout_s, command=self.command, vertical=vertical
        )


def looks_vertical(image: Image.Image, dpi: int | None) -> bool:
    """Whether the page's ink runs in columns rather than rows (a hint: see the module's note)."""
    scale = _PROFILE_DPI / (dpi or 200)
    width, height = image.size
    small = image.resize((max(1, int(width * scale)), max(1, int(height * scale))), Image.Resampling.BOX)
    ink = np.asarray(small) < 160
    rows, cols = np.nonzero(ink)
    if rows.size == 0:
        return False
    box = ink[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    empty_rows = float((box.mean(axis=1) < _EMPTY_LINE_INK).mean())
    empty_cols = float((box.mean(axis=0) < _EMPTY_LINE_INK).mean())
    return empty_cols - empty_rows > _VERTICAL_PROFILE


def _grayscale(image: Image.Image) -> Image.Image:
    """Tesseract binarises internally; grey is a third of RGB's bytes to encode and send. Transparent
    images are put on white (a PNG's transparent background is black in its colour channels)."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        image = image.convert("RGBA")
        flat = Image.new("RGBA", image.size, (255, 255, 255, 255))
        flat.alpha_composite(image)
        image = flat
    return image if image.mode == "L" else image.convert("L")


def unavailable_reason(settings: OcrSettings) -> str | None:
    """Why OCR can't be used with these settings, or None when it can."""
    if settings.enabled is False:
        return "OCR is turned off in the settings (SHIORI_OCR__ENABLED=false)"
    if shutil.which(settings.command) is None:
        return f"OCR needs Tesseract, which is not installed: {INSTALL_HINT}"
    missing = _missing_languages(settings.command, settings.languages)
    if missing:
        return f"Tesseract lacks the language data {', '.join(missing)}: {INSTALL_HINT}"
    return None


def ocr_report(settings: OcrSettings) -> dict[str, Any]:
    """What `shiori doctor` says about OCR: whether it will run, Tesseract's version and languages,
    and, when it won't, why. `ok` is False only where OCR was asked for (enabled=true) and can't run;
    auto mode without Tesseract is a choice, not a fault."""
    reason = unavailable_reason(settings)
    report: dict[str, Any] = {"enabled": settings.enabled, "available": reason is None, "problem": reason}
    if shutil.which(settings.command) is not None:
        report["version"] = _tesseract_version(settings.command)
        report["languages"] = sorted(_installed_languages(settings.command) or ())
        if settings.vertical_languages:
            report["vertical"] = not _missing_languages(settings.command, settings.vertical_languages)
    report["ok"] = reason is None or settings.enabled is not True
    return report


def make_ocr_engine(settings: OcrSettings) -> OcrEngine | None:
    """Tesseract when OCR is on and installed; None otherwise (see unavailable_reason). Without the
    vertical languages' data, vertical Japanese is not tried (and a warning says which package)."""
    reason = unavailable_reason(settings)
    if reason is not None:
        if settings.enabled:
            logger.warning("ocr enabled but unavailable reason=%s", reason)
        return None
    if settings.vertical_languages and _missing_languages(settings.command, settings.vertical_languages):
        logger.warning(
            "ocr vertical japanese off: language data %s missing (apt-get install tesseract-ocr-jpn-vert)",
            settings.vertical_languages,
        )
        settings = settings.model_copy(update={"vertical_languages": ""})
    return TesseractEngine(settings)


def _missing_languages(command: str, languages: str) -> list[str]:
    """The languages of "jpn+eng" that `tesseract --list-langs` does not list (none if it can't say)."""
    installed = _installed_languages(command)
    if installed is None:
        return []
    return [lang for lang in languages.split("+") if lang and lang not in installed]


def _installed_languages(command: str) -> set[str] | None:
    """What `tesseract --list-langs` lists after its heading line; None when it can't be run."""
    listed = _tesseract_says(command, "--list-langs")
    return None if listed is None else {line.strip() for line in listed.splitlines()[1:] if line.strip()}


def _tesseract_version(command: str) -> str | None:
    said = _tesseract_says(command, "--version")
    first = said.split()[:2] if said else []
    return first[1] if len(first) == 2 else None  # "tesseract 5.3.0"


def _tesseract_says(command: str, flag: str) -> str | None:
    try:
        done = subprocess.run([command, flag], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout + done.stderr
