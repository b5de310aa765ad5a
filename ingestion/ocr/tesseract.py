"""One Tesseract run on one page image: the `tesseract` program in a subprocess, TSV out.

A subprocess rather than a binding (tesserocr): a native crash or a page that makes Tesseract spin
ends that page, not the worker, and the timeout is a real kill. The cost is the start-up (loading the
language data): 0.22 s a run for jpn+eng, against 1.5-3 s for an A4 page of text at 200 dpi
(measured, bench/ocr.py).
"""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import time
from dataclasses import dataclass

from PIL import Image

from app.core.text import JAPANESE_CHARS

logger = logging.getLogger(__name__)

_JAPANESE_EDGE = re.compile(f"[{JAPANESE_CHARS}\u3000-\u303f\uff00-\uffef]")
_TSV_FIELDS = 12
_WORD_LEVEL = "5"


class OcrError(Exception):
    """Tesseract could not read this page (crashed, timed out, or is missing); `reason` is for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class OcrWord:
    text: str
    confidence: float  # 0-100, Tesseract's word confidence
    box: tuple[int, int, int, int]  # left, top, width, height in image pixels
    block: int
    paragraph: int
    line: int


@dataclass(frozen=True)
class OcrLine:
    words: tuple[OcrWord, ...]
    block: int
    paragraph: int

    @property
    def text(self) -> str:
        return join_words([w.text for w in self.words])

    @property
    def box(self) -> tuple[int, int, int, int]:
        left = min(w.box[0] for w in self.words)
        top = min(w.box[1] for w in self.words)
        right = max(w.box[0] + w.box[2] for w in self.words)
        bottom = max(w.box[1] + w.box[3] for w in self.words)
        return left, top, right - left, bottom - top


@dataclass(frozen=True)
class OcrPage:
    """What Tesseract read on one page: lines in reading order, each with its words and boxes."""

    lines: tuple[OcrLine, ...]
    languages: str
    vertical: bool
    seconds: float
    # Degrees the page image was turned counter-clockwise to straighten it before reading (0.0: read
    # as it came). Boxes refer to the turned image, `image.rotate(angle, expand=True)`.
    angle: float = 0.0

    @property
    def words(self) -> list[OcrWord]:
        return [w for line in self.lines for w in line.words]

    @property
    def chars(self) -> int:
        return sum(len(w.text) for w in self.words)

    @property
    def confidence(self) -> float:
        """Mean word confidence weighted by characters (0 for a page without words)."""
        words = self.words
        chars = sum(len(w.text) for w in words)
        return sum(w.confidence * len(w.text) for w in words) / chars if chars else 0.0

    @property
    def text(self) -> str:
        """Lines joined by newlines; a blank line between paragraphs (the normaliser joins the rest)."""
        return self.text_and_positions()[0]

    def text_and_positions(self) -> tuple[str, list[tuple[int, int] | None]]:
        """`text`, and for each of its characters where it is in `lines`: (line index, offset in that
        line's text); None for the line breaks between lines."""
        out: list[str] = []
        owners: list[tuple[int, int] | None] = []
        previous: tuple[int, int] | None = None
        for index, line in enumerate(self.lines):
            key = (line.block, line.paragraph)
            if previous is not None:
                out.append("\n\n" if key != previous else "\n")
                owners.extend([None] * len(out[-1]))
            text = line.text
            out.append(text)
            owners.extend((index, offset) for offset in range(len(text)))
            previous = key
        return "".join(out), owners


def join_words(words: list[str]) -> str:
    """Japanese is written without spaces: Tesseract's word breaks inside it are not spaces; between
    two Latin words they are."""
    return joined_words(words)[0]


def joined_words(words: list[str]) -> tuple[str, list[int]]:
    """`join_words`, and where each word starts in the result."""
    out = ""
    starts = []
    for word in words:
        if out and not (_JAPANESE_EDGE.match(out[-1]) or _JAPANESE_EDGE.match(word[0])):
            out += " "
        starts.append(len(out))
        out += word
    return out, starts


def run_tesseract(
    image: Image.Image,
    *,
    languages: str,
    dpi: int | None,
    timeout_s: float,
    command: str = "tesseract",
    vertical: bool = False,
) -> OcrPage:
    """OCR `image` with page segmentation mode 1: automatic layout after orientation detection (a page
    scanned sideways or upside down is turned upright; 0.1-0.3 s more than mode 3 on an A4 page at
    200 dpi, measured). Raises OcrError."""
    buffer = io.BytesIO()
    # PNG at the lowest compression: 23 ms for an A4 page at 200 dpi against 33 ms at the default.
    image.save(buffer, format="PNG", compress_level=1)
    args = [command, "stdin", "stdout", "-l", languages, "--psm", "1"]
    if dpi:
        args += ["--dpi", str(dpi)]
    args.append("tsv")
    # One thread per run: with OpenMP's default threads an A4 page took 5.2 s instead of 2.0 s on the
    # 2-core machine (measured while other work ran, as it does beside a worker's other threads).
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    started = time.monotonic()
    try:
        done = subprocess.run(args, input=buffer.getvalue(), capture_output=True, timeout=timeout_s, env=env)
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"OCR took longer than {timeout_s:.0f} s on this page") from exc
    except OSError as exc:
        raise OcrError(f"OCR could not start ({exc.strerror or exc})") from exc
    seconds = time.monotonic() - started
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        logger.warning("tesseract failed rc=%s languages=%s stderr=%s", done.returncode, languages, tail[0])
        raise OcrError(f"OCR failed (Tesseract exited with status {done.returncode})")
    lines = parse_tsv(done.stdout.decode("utf-8", "replace"))
    return OcrPage(lines=tuple(lines), languages=languages, vertical=vertical, seconds=seconds)


def parse_tsv(tsv: str) -> list[OcrLine]:
    """Words of Tesseract's TSV grouped into lines, in Tesseract's reading order.

    With page segmentation mode 1 that order is right for both directions: blocks as its layout
    analysis found them (columns of a horizontal page; vertical columns right to left) and, on a page
    it turned upright, the upright order. Measured: mode 3 cut short pages of vertical columns into
    blocks stacked top to bottom and lost their first columns (CER 27% on a 460-character page, 0.2%
    with mode 1); re-sorting lines by their boxes fixed the order but not the loss, and sorts a
    rotated page wrongly (boxes are in the image's coordinates).
    """
    groups: dict[tuple[int, int, int], list[OcrWord]] = {}
    for row in tsv.splitlines()[1:]:
        fields = row.split("\t", _TSV_FIELDS - 1)
        if len(fields) != _TSV_FIELDS or fields[0] != _WORD_LEVEL:
            continue
        text = fields[11].strip()
        if not text:
            continue
        try:
            block, par, line = int(fields[2]), int(fields[3]), int(fields[4])
            box = (int(fields[6]), int(fields[7]), int(fields[8]), int(fields[9]))
            conf = float(fields[10])
        except ValueError:
            continue
        groups.setdefault((block, par, line), []).append(OcrWord(text, max(conf, 0.0), box, block, par, line))
    # Dicts keep insertion order: the lines come in Tesseract's reading order.
    return [OcrLine(tuple(words), block=key[0], paragraph=key[1]) for key, words in groups.items()]
