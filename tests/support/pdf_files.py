"""Small PDFs the tests build: pages of text (a text layer, Helvetica) and pages that are only an image
(a scan), in any order, written with PDFium (text) and Pillow (images)."""

from __future__ import annotations

import ctypes
import io
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

A4_POINTS = (595.0, 842.0)


def write_pdf(path: Path, pages: list[str | Image.Image | tuple[Image.Image, str] | None]) -> Path:
    """Each page: a string (typed with a text layer), an image (a scanned page), an image with a string
    (a scan with a few typed words on it, like a stamped page number), None (blank)."""
    pdf = pdfium.PdfDocument.new()
    for index, content in enumerate(pages):
        if isinstance(content, (Image.Image, tuple)):
            image, stamp = content if isinstance(content, tuple) else (content, "")
            scan = _image_pdf(image)
            pdf.import_pages(scan, [0], index)
            scan.close()
            if stamp:
                page = pdf[index]
                _add_text(pdf, page, stamp)
                page.close()
            continue
        page = pdf.new_page(*A4_POINTS)
        if content:
            _add_text(pdf, page, content)
        page.close()
    pdf.save(str(path))
    pdf.close()
    return path


def _image_pdf(image: Image.Image) -> pdfium.PdfDocument:

    buffer = io.BytesIO()
    dpi = image.info.get("dpi", (200, 200))[0]
    image.convert("L").save(buffer, format="PDF", resolution=float(dpi))
    return pdfium.PdfDocument(buffer.getvalue())


def _add_text(pdf: pdfium.PdfDocument, page: pdfium.PdfPage, text: str) -> None:
    y = A4_POINTS[1] - 72
    for line in text.split("\n"):
        obj = pdfium_c.FPDFPageObj_NewTextObj(pdf, b"Helvetica", ctypes.c_float(12))
        encoded = (line + "\x00").encode("utf-16-le")
        buffer = ctypes.create_string_buffer(encoded, len(encoded))
        pdfium_c.FPDFText_SetText(obj, ctypes.cast(buffer, ctypes.POINTER(pdfium_c.FPDF_WCHAR)))
        pdfium_c.FPDFPageObj_Transform(obj, 1, 0, 0, 1, 72, y)
        pdfium_c.FPDFPage_InsertObject(page, obj)
        y -= 16
    pdfium_c.FPDFPage_GenerateContent(page)
