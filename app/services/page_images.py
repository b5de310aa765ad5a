"""Page images for the citation view, rendered in a child process and cached on disk.

The cache holds one file per (document, page, width, format) under `<data_dir>/cache/pages/<id>/`,
written atomically (two requests racing for the same page both render; the last rename wins, with
identical bytes). It is trimmed to `page_images.cache_mb`, least recently used first, and a deleted
document's folder goes with it.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from app.core.errors import NotFound
from app.core.page_render import MEDIA_TYPES, RENDERABLE, ImageFormat, clamp_width, render_isolated
from app.db import models as m
from app.services import documents as docs

logger = logging.getLogger(__name__)

_KINDS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a Word document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "a PowerPoint file",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "an Excel workbook",
}
_TRIM_EVERY = 32  # renders between two checks of the cache's size


@dataclass(frozen=True)
class PageImage:
    path: Path
    media_type: str
    width: int


class PageImages:
    def __init__(self, cache_dir: Path, uploads_dir: Path, *, cache_bytes: int, timeout_s: float) -> None:
        self.cache_dir = cache_dir
        self.uploads_dir = uploads_dir
        self.cache_bytes = cache_bytes
        self.timeout_s = timeout_s
        self._renders = 0
        self._lock = threading.Lock()

    def get(self, session: Session, doc: m.Document, page: int, width: int, fmt: ImageFormat) -> PageImage:
        """The image of `page` of a ready document, from the cache or rendered now (seconds)."""
        mime = doc.mime or ""
        if mime not in RENDERABLE:
            kind = _KINDS.get(mime, "a text document")
            raise NotFound(
                f"This document is {kind}: it has no page images, only its text.", code="no_page_image"
            )
        if doc.status != m.DocumentStatus.ready or doc.pages is None or not 1 <= page <= doc.pages:
            docs.get_page(session, doc.id, page)  # raises the page text endpoint's 404
            raise NotFound(f"Document {doc.id} has no page {page}.", code="page_not_found")
        width = clamp_width(width)
        path = self.cache_dir / str(doc.id) / f"{page}-{width}.{fmt}"
        if path.is_file():
            os.utime(path)  # recently used: trimmed last
            return PageImage(path, MEDIA_TYPES[fmt], width)
        source = docs.document_file(self.uploads_dir, doc)
        started = time.perf_counter()
        data = render_isolated(source, mime, page, width, fmt, timeout_s=self.timeout_s)
        logger.info(
            "page rendered document_id=%d page=%d width=%d format=%s bytes=%d ms=%.0f",
            doc.id,
            page,
            width,
            fmt,
            len(data),
            (time.perf_counter() - started) * 1000,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        partial.write_bytes(data)
        os.replace(partial, path)
        self._maybe_trim()
        return PageImage(path, MEDIA_TYPES[fmt], width)

    def forget(self, document_id: int) -> None:
        """Drop a document's cached images (it was deleted)."""
        shutil.rmtree(self.cache_dir / str(document_id), ignore_errors=True)

    def _maybe_trim(self) -> None:
        with self._lock:
            self._renders += 1
            if self._renders % _TRIM_EVERY != 1:  # the first render checks too (a restarted server)
                return
        self.trim()

    def trim(self) -> None:
        """Delete least recently used images until the cache fits its budget."""
        files = []
        for path in self.cache_dir.glob("*/*"):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            files.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.cache_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
