"""A page as an image, for the citation view: a PDF page rendered with PDFium, or a frame of an uploaded
image (PNG, JPEG, TIFF), scaled to a width and encoded as PNG or WebP.

`render_isolated` runs the render in a child process (`python -m app.core.page_render`), one per
image, with a timeout: PDFium and the image decoders are native code reading files people uploaded,
and a crash or a page that never finishes must end that render, not the API. The child's start-up
(Python, pypdfium2, Pillow) is what isolation costs; the service caches every image on disk, so each
page is rendered once per width.
"""

from __future__ import annotations

import io
import math
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from app.core.errors import NotFound, ShioriError

if TYPE_CHECKING:
    from PIL.Image import Image

ImageFormat = Literal["png", "webp"]
MEDIA_TYPES: dict[ImageFormat, str] = {"png": "image/png", "webp": "image/webp"}
RENDERABLE = {"application/pdf", "image/png", "image/jpeg", "image/tiff"}
MIN_WIDTH, MAX_WIDTH = 200, 2400
# Widths are rounded up to a step, so a client that asks for every window size shares a few cached
# images per page instead of one per pixel.
WIDTH_STEP = 100
# A page that claims to be 200 inches tall would be enormous at any width: capped, keeping its shape.
MAX_PIXELS = 16_000_000

# The child's exit codes: what went wrong, so the parent can say it without parsing text.
_EXIT_NO_PAGE = 3
_EXIT_UNREADABLE = 4


class PageRenderFailed(ShioriError):
    code = "page_render_failed"
    status = 422


def clamp_width(width: int) -> int:
    stepped = -(-width // WIDTH_STEP) * WIDTH_STEP
    return max(MIN_WIDTH, min(MAX_WIDTH, stepped))


def render_page(path: Path, mime: str, page: int, width: int, fmt: ImageFormat) -> bytes:
    """Page `page` (1-based) of the file, `width` pixels wide (height in proportion), encoded. In this
    process: the child runs it; call render_isolated instead."""
    image = _pdf_page(path, page, width) if mime == "application/pdf" else _image_frame(path, page, width)
    out = io.BytesIO()
    if fmt == "webp":
        image.save(out, format="WEBP", quality=82, method=4)
    else:
        image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _pdf_page(path: Path, page: int, width: int) -> Image:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        if not 1 <= page <= len(pdf):
            raise IndexError(page)
        pdf_page = pdf[page - 1]
        try:
            w_pt, h_pt = pdf_page.get_size()
            scale = width / w_pt
            if w_pt * h_pt * scale * scale > MAX_PIXELS:
                scale = (MAX_PIXELS / (w_pt * h_pt)) ** 0.5
            while math.ceil(w_pt * scale) * math.ceil(h_pt * scale) > MAX_PIXELS:
                scale *= 0.995  # PDFium rounds each side up
            bitmap = pdf_page.render(scale=scale, may_draw_forms=True)
            image: Image = bitmap.to_pil().convert("RGB")
            bitmap.close()
            return image
        finally:
            pdf_page.close()
    finally:
        pdf.close()


def _image_frame(path: Path, page: int, width: int) -> Image:
    from PIL import Image as PILImage
    from PIL import ImageOps

    with PILImage.open(path) as im:
        frames = getattr(im, "n_frames", 1)
        if not 1 <= page <= frames:
            raise IndexError(page)
        im.seek(page - 1)
        frame = ImageOps.exif_transpose(im.convert("RGB"))
    height = max(1, round(frame.height * width / frame.width))
    if width * height > MAX_PIXELS:
        factor = (MAX_PIXELS / (width * height)) ** 0.5
        width, height = max(1, int(width * factor)), max(1, int(height * factor))
    return frame.resize((width, height), PILImage.Resampling.LANCZOS)


def render_isolated(
    path: Path, mime: str, page: int, width: int, fmt: ImageFormat, *, timeout_s: float = 30.0
) -> bytes:
    """render_page in a child process. Raises NotFound (no such page) or PageRenderFailed."""
    args = [sys.executable, "-m", "app.core.page_render", str(path), mime, str(page), str(width), fmt]
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise PageRenderFailed(f"Rendering page {page} took longer than {timeout_s:.0f} s.") from exc
    if done.returncode == 0 and done.stdout:
        return done.stdout
    if done.returncode == _EXIT_NO_PAGE:
        raise NotFound(f"The file has no page {page}.", code="page_not_found")
    if done.returncode < 0:
        reason = f"the renderer was killed by signal {-done.returncode}"
    else:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = said[-1][:200] if said else "no output"
    raise PageRenderFailed(f"Page {page} could not be drawn ({reason}).")


def main(argv: list[str]) -> int:
    path, mime, page, width, fmt = argv
    try:
        data = render_page(Path(path), mime, int(page), int(width), fmt)  # type: ignore[arg-type]
    except IndexError:
        return _EXIT_NO_PAGE
    except Exception as exc:  # noqa: BLE001 - anything the decoders raise: report and exit
        sys.stderr.write(f"{type(exc).__name__}: {exc}\n")
        return _EXIT_UNREADABLE
    sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
