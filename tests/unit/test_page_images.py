"""Page images (#13): a PDF page drawn by PDFium in a child process, cached on disk, bounded in size;
clear 404s for pages and documents that have none; a broken or slow render ends that render only."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.api.app import create_app
from app.core import page_render
from app.core.page_render import PageRenderFailed, render_isolated, render_page
from app.core.settings import Settings
from app.services import page_images
from app.services.page_images import PageImages
from tests.support.http import api_client, upload, wait_terminal
from tests.support.pdf_files import write_pdf

pytestmark = pytest.mark.unit


@pytest.fixture
def client(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[TestClient]:
    with api_client(create_app(make_settings(sqlite_url, worker={"embedded": True}))) as c:
        yield c


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Counts the real renders (page, width) the service asks for."""
    seen: list[tuple[int, int]] = []

    def counted(path: Path, mime: str, page: int, width: int, fmt: Any, **kw: Any) -> bytes:
        seen.append((page, width))
        return render_isolated(path, mime, page, width, fmt, **kw)

    monkeypatch.setattr(page_images, "render_isolated", counted)
    return seen


def ready(client: TestClient, name: str, data: bytes) -> int:
    r = upload(client, (name, data))
    assert r.status_code == 202, r.text
    doc_id = int(r.json()["documents"][0]["document_id"])
    assert wait_terminal(client, doc_id)["status"] == "ready"
    return doc_id


def test_a_pdf_page_is_drawn_at_the_asked_width_and_then_served_from_the_cache(
    client: TestClient, tmp_path: Path, renders: list[tuple[int, int]]
) -> None:
    pdf = write_pdf(
        tmp_path / "two.pdf", ["The first page of the report.", "The second page, with its text."]
    )
    doc_id = ready(client, "two.pdf", pdf.read_bytes())

    r = client.get(f"/api/v1/documents/{doc_id}/pages/2/image?width=650")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png" and "private" in r.headers["cache-control"]
    image = Image.open(io.BytesIO(r.content))
    assert image.width == 700  # rounded up to the step, so window sizes share cached images
    assert abs(image.height - 700 * 842 / 595) <= 1  # A4's shape kept
    ink = np.asarray(image.convert("L")) < 128
    assert (
        ink[: image.height // 4].any() and not ink[image.height // 2 :].any()
    )  # the text line, near the top

    again = client.get(f"/api/v1/documents/{doc_id}/pages/2/image?width=700")
    assert again.status_code == 200 and again.content == r.content
    assert renders == [(2, 700)]  # the second request came from the cache

    webp = client.get(f"/api/v1/documents/{doc_id}/pages/1/image?width=300&format=webp")
    assert webp.headers["content-type"] == "image/webp" and Image.open(io.BytesIO(webp.content)).width == 300


def test_pages_and_documents_without_images_get_a_clear_404(client: TestClient, tmp_path: Path) -> None:
    pdf_id = ready(client, "one.pdf", write_pdf(tmp_path / "one.pdf", ["Only page."]).read_bytes())
    text_id = ready(client, "notes.txt", b"Plain notes about the harbour.")

    missing = client.get(f"/api/v1/documents/{pdf_id}/pages/2/image")
    assert missing.status_code == 404 and missing.json()["code"] == "page_not_found"
    text = client.get(f"/api/v1/documents/{text_id}/pages/1/image")
    assert text.status_code == 404 and text.json()["code"] == "no_page_image"
    assert "only its text" in text.json()["detail"]
    assert client.get("/api/v1/documents/999/pages/1/image").json()["code"] == "document_not_found"
    for bad in ("width=50", "width=9000", "format=gif"):
        r = client.get(f"/api/v1/documents/{pdf_id}/pages/1/image?{bad}")
        assert r.status_code == 422, bad


def test_deleting_a_document_drops_its_cached_images(client: TestClient, tmp_path: Path) -> None:
    doc_id = ready(client, "one.pdf", write_pdf(tmp_path / "one.pdf", ["Only page."]).read_bytes())
    assert client.get(f"/api/v1/documents/{doc_id}/pages/1/image?width=200").status_code == 200
    cache = Path(client.app.state.container.settings.paths.page_cache_dir) / str(doc_id)  # type: ignore[attr-defined]
    assert list(cache.iterdir())
    assert client.delete(f"/api/v1/documents/{doc_id}").status_code == 204
    assert not cache.exists()


def test_a_file_the_renderer_cannot_read_fails_that_render_only(tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    with pytest.raises(PageRenderFailed) as failed:
        render_isolated(broken, "application/pdf", 1, 400, "png")
    assert failed.value.code == "page_render_failed" and "could not be drawn" in failed.value.detail
    good = write_pdf(tmp_path / "good.pdf", ["Text."])
    with pytest.raises(PageRenderFailed, match="took longer"):
        render_isolated(good, "application/pdf", 1, 400, "png", timeout_s=0.001)
    assert render_isolated(good, "application/pdf", 1, 400, "png").startswith(b"\x89PNG")


def test_frames_of_a_multi_page_tiff_are_its_pages(tmp_path: Path) -> None:
    frames = [Image.new("L", (400, 560), shade) for shade in (255, 0)]
    path = tmp_path / "scan.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    second = Image.open(io.BytesIO(render_page(path, "image/tiff", 2, 200, "png")))
    assert second.size == (200, 280) and np.asarray(second.convert("L")).max() == 0
    with pytest.raises(IndexError):
        render_page(path, "image/tiff", 3, 200, "png")


def test_a_huge_page_is_capped_in_pixels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page_render, "MAX_PIXELS", 100_000)
    pdf = write_pdf(tmp_path / "a4.pdf", ["Text."])
    image = Image.open(io.BytesIO(render_page(pdf, "application/pdf", 1, 2000, "png")))
    assert image.width * image.height <= 100_000 and abs(image.height / image.width - 842 / 595) < 0.02


def test_the_cache_is_trimmed_least_recently_used_first(tmp_path: Path) -> None:
    cache = PageImages(tmp_path / "cache", tmp_path, cache_bytes=2500, timeout_s=5)
    for n in range(4):
        path = tmp_path / "cache" / "7" / f"{n}-200.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
        os.utime(path, (1000 + n, 1000 + n))
    cache.trim()
    assert sorted(p.name for p in (tmp_path / "cache" / "7").iterdir()) == ["2-200.png", "3-200.png"]
