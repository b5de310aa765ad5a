"""Poppler's word boxes (`pdftotext -bbox-layout`), the outside reference for Shiori's character boxes.

`-cropbox`: coordinates of the page as displayed (its crop box, origin top-left, points), Shiori's page
coordinates. Without it poppler measures from the media box, which differs on pages cut from larger
paper (the corpus's IRS form: a Letter crop box on Legal-size media).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

POPPLER_MISSING = "poppler's pdftotext is not installed: apt-get install poppler-utils (make browser does)"
_XHTML = "{http://www.w3.org/1999/xhtml}"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[float, float, float, float]  # left, top, right, bottom in points


def have_pdftotext() -> bool:
    return shutil.which("pdftotext") is not None


def word_blocks(pdf: Path, page: int) -> list[list[Word]]:
    """The words of a page, block by block (poppler's layout analysis), in its reading order."""
    done = subprocess.run(
        ["pdftotext", "-bbox-layout", "-cropbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # Poppler writes a glyph mapped to a control character as it is, which XML does not allow.
    xml = _NOT_XML.sub("", re.sub(r"<!DOCTYPE[^>]*>", "", done.stdout))
    root = ET.fromstring(xml)
    return [
        [
            Word(w.text or "", tuple(float(w.get(k, "0")) for k in ("xMin", "yMin", "xMax", "yMax")))  # type: ignore[arg-type]
            for w in block.iter(f"{_XHTML}word")
        ]
        for block in root.iter(f"{_XHTML}block")
    ]
