"""Page images for OCR tests and bench/ocr.py: sentences typeset with a Debian font, like a scan.

A4 at the requested resolution, black text on white, horizontal (left to right, top to bottom) or
vertical Japanese (top to bottom, columns right to left), optionally with a scanner's speckle noise,
blur and a small skew.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

GOTHIC = Path("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf")
MINCHO = Path("/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf")
A4_INCHES = (8.27, 11.69)
_MARGIN_IN = 0.8
_FONT_PT = 12.0


def have_font() -> bool:
    return GOTHIC.is_file()


def render_page(text: str, **kwargs: object) -> Image.Image:
    """A grayscale A4 page holding `text` (wrapped to the page; what does not fit is dropped)."""
    return typeset(text, **kwargs)[0]  # type: ignore[arg-type]


def typeset(
    text: str,
    *,
    dpi: int = 300,
    vertical: bool = False,
    noise: float = 0.0,
    skew_deg: float = 0.0,
    font: Path = GOTHIC,
    seed: int = 0,
) -> tuple[Image.Image, str]:
    """The page image and the text that fitted on it (lines joined by newlines)."""
    width, height, size, margin, step = _geometry(dpi)
    face = ImageFont.truetype(str(font), size)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    if vertical:
        drawn = _draw_vertical(draw, face, text, size, step, margin, width, height)
    else:
        drawn = _draw_horizontal(draw, face, text, step, margin, width, height)
    if skew_deg:
        page = page.rotate(skew_deg, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    if noise:
        page = _add_noise(page, noise, seed)
    page.info["dpi"] = (dpi, dpi)
    return page, "\n".join(drawn)


def _geometry(dpi: int) -> tuple[int, int, int, int, int]:
    """Page width and height, font size, margin and line pitch in pixels."""
    width, height = (round(d * dpi) for d in A4_INCHES)
    size = round(_FONT_PT / 72 * dpi)
    return width, height, size, round(_MARGIN_IN * dpi), round(size * 1.7)


def drawn_box(
    lines: list[str],
    line: int,
    start: int,
    end: int,
    *,
    dpi: int = 300,
    vertical: bool = False,
    font: Path = GOTHIC,
) -> tuple[float, float, float, float]:
    """Where `typeset` drew characters start:end of its `line`-th line (column, when vertical): the
    ink's left, top, right, bottom in pixels (an unskewed page)."""
    width, _, size, margin, step = _geometry(dpi)
    face = ImageFont.truetype(str(font), size)
    draw = ImageDraw.Draw(Image.new("L", (1, 1)))
    text = lines[line]
    if vertical:
        x = width - margin - size - line * step
        y = margin + face.getlength(text[:start], direction="ttb", features=["vert"])
        return draw.textbbox((x, y), text[start:end], font=face, direction="ttb", features=["vert"])
    x = margin + face.getlength(text[:start])
    return draw.textbbox((x, margin + line * step), text[start:end], font=face)


def _draw_horizontal(
    draw: ImageDraw.ImageDraw,
    face: ImageFont.FreeTypeFont,
    text: str,
    step: int,
    margin: int,
    width: int,
    height: int,
) -> list[str]:
    y = margin
    drawn: list[str] = []
    for paragraph in text.split("\n"):
        for line in _wrap(paragraph, face, width - 2 * margin):
            if y + step > height - margin:
                return drawn
            draw.text((margin, y), line, font=face, fill=0)
            drawn.append(line)
            y += step
    return drawn


def _wrap(paragraph: str, face: ImageFont.FreeTypeFont, room: int) -> list[str]:
    """Wrap at spaces for space-separated text, anywhere for Japanese."""
    spaced = paragraph.count(" ") > len(paragraph) / 20
    units = paragraph.split(" ") if spaced else list(paragraph)
    sep = " " if spaced else ""
    lines: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}{sep}{unit}" if current else unit
        if face.getlength(candidate) > room and current:
            lines.append(current)
            current = unit
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _draw_vertical(
    draw: ImageDraw.ImageDraw,
    face: ImageFont.FreeTypeFont,
    text: str,
    size: int,
    step: int,
    margin: int,
    width: int,
    height: int,
) -> list[str]:
    """Columns right to left, typeset top to bottom with the font's vertical forms (needs libraqm)."""
    x = width - margin - size
    room = height - 2 * margin
    drawn: list[str] = []
    for paragraph in text.split("\n"):
        column = ""
        for ch in paragraph:
            if face.getlength(column + ch, direction="ttb", features=["vert"]) > room:
                if x < margin:
                    return drawn
                draw.text((x, margin), column, font=face, fill=0, direction="ttb", features=["vert"])
                drawn.append(column)
                x, column = x - step, ""
            column += ch
        if column:
            if x < margin:
                return drawn
            draw.text((x, margin), column, font=face, fill=0, direction="ttb", features=["vert"])
            drawn.append(column)
            x -= step
    return drawn


def _add_noise(page: Image.Image, amount: float, seed: int) -> Image.Image:
    """Speckle (salt and pepper on `amount` of the pixels) and a slight blur, like a 2000s scanner."""
    rng = random.Random(seed)
    page = page.filter(ImageFilter.GaussianBlur(radius=0.6))
    pixels = page.load()
    assert pixels is not None
    w, h = page.size
    for _ in range(int(w * h * amount)):
        pixels[rng.randrange(w), rng.randrange(h)] = rng.choice((0, 255))
    return page


# Typographic variants that are not reading errors: curly and straight quotes, and the yen sign IPA
# fonts draw for U+005C (a backslash in the text is a yen sign on the page, as in every JIS font).
_VARIANTS = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "¥": "\\", "￥": "\\"})


def cer(expected: str, got: str) -> float:
    """Character error rate: edit distance over the expected length, whitespace and typographic
    variants ignored."""
    a = "".join(expected.translate(_VARIANTS).split())
    b = "".join(got.translate(_VARIANTS).split())
    if not a:
        return 0.0 if not b else 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1] / len(a)
