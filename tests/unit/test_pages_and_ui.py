"""Page text for the citation panel (offsets point into it) and the browser UI served at `/`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.api.ui import install_ui
from app.core.generation.fake import FakeGenerator
from app.core.settings import Settings
from tests.conftest import CORPUS
from tests.support.ci import require
from tests.support.http import api_client
from tests.support.sse import first_of_each as sse

pytestmark = pytest.mark.unit

TOWER = (
    "東京タワーは1958年に完成した電波塔である。高さは333メートルで、当時は自立式鉄塔として世界一だった。\n"
    "\n"
    "展望台は二つあり、メインデッキは150メートル、トップデッキは250メートルの高さにある。\n"
)
SCRIPT = ["東京タワーの", "高さは", "333メートル", "です", "[1]", "。"]


@pytest.fixture
def client(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[TestClient]:
    settings = make_settings(sqlite_url, worker={"embedded": True}, answer={"abstain_below": -1.0})
    with api_client(create_app(settings, generator=FakeGenerator(SCRIPT))) as c:
        yield c


def ingest(client: TestClient, name: str, text: str) -> int:
    r = client.post("/api/v1/collections/default/documents", files=[("files", (name, text.encode()))])
    doc_id = int(r.json()["documents"][0]["document_id"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if client.get(f"/api/v1/documents/{doc_id}").json()["status"] == "ready":
            return doc_id
        time.sleep(0.05)
    raise AssertionError("document never became ready")


def test_page_text_is_what_passage_and_citation_offsets_point_into(client: TestClient) -> None:
    doc_id = ingest(client, "tower.txt", TOWER)
    page = client.get(f"/api/v1/documents/{doc_id}/pages/1")
    assert page.status_code == 200, page.text
    body = page.json()
    assert set(body) == {"document_id", "page", "page_label", "text", "ocr"} and body["ocr"] is False
    assert body["document_id"] == doc_id and body["page"] == 1 and "333メートル" in body["text"]

    deadline = time.monotonic() + 10
    while not (hits := client.post("/api/v1/search", json={"query": "東京タワーの高さ"}).json()["passages"]):
        assert time.monotonic() < deadline, "never searchable"
        time.sleep(0.05)
    for hit in hits:
        assert body["text"][hit["char_start"] : hit["char_end"]] == hit["text"]

    events = sse(client.post("/api/v1/ask", json={"question": "東京タワーの高さは？", "stream": True}).text)
    for source in events["sources"]["sources"]:
        assert body["text"][source["char_start"] : source["char_end"]] == source["text"]
        for start, end in source["spans"]:
            assert body["text"][start:end].strip() in source["shown"]
    citation = events["citations"]["citations"][0]
    assert citation["document_id"] == doc_id and citation["page"] == 1
    evidence = body["text"][citation["char_start"] : citation["char_end"]]
    assert "333" in evidence and evidence in TOWER


def test_unknown_document_or_page_is_404_with_a_code(client: TestClient) -> None:
    doc_id = ingest(client, "tower.txt", TOWER)
    r = client.get(f"/api/v1/documents/{doc_id}/pages/2")
    assert (
        r.status_code == 404 and r.json()["code"] == "page_not_found" and set(r.json()) == {"detail", "code"}
    )
    r = client.get("/api/v1/documents/9999/pages/1")
    assert r.status_code == 404 and r.json()["code"] == "document_not_found"
    r = client.get(f"/api/v1/documents/{doc_id}/pages/0")
    assert r.status_code == 422 and r.json()["code"] == "validation_error"


def test_original_file_headers(client: TestClient) -> None:
    doc_id = ingest(client, "<img src=x onerror=alert(1)>.txt", "Plain text. <script>alert(1)</script>")
    r = client.get(f"/api/v1/documents/{doc_id}/file")
    assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith("attachment")  # text is never rendered by us


def test_pdf_opens_inline_so_the_browser_can_jump_to_a_page(client: TestClient) -> None:
    pdf = CORPUS / "pdf/good/ja_gov_regulation_excerpt_acrobat.pdf"
    require(pdf.is_file(), f"sample PDF not found at {pdf} (set SHIORI_CORPUS_DIR)")
    r = client.post("/api/v1/collections/default/documents", files=[("files", (pdf.name, pdf.read_bytes()))])
    doc_id = int(r.json()["documents"][0]["document_id"])
    deadline = time.monotonic() + 30
    while client.get(f"/api/v1/documents/{doc_id}").json()["status"] != "ready":
        assert time.monotonic() < deadline, "PDF never became ready"
        time.sleep(0.05)
    r = client.get(f"/api/v1/documents/{doc_id}/file")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("inline")  # `…/file#page=N` opens at page N
    page = client.get(f"/api/v1/documents/{doc_id}/pages/1").json()
    assert page["page"] == 1 and page["text"].strip()


def make_dist(root: Path) -> Path:
    dist = root / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        '<!doctype html><div id="app"></div><script src="/assets/a.js"></script>'
    )
    (dist / "assets" / "index-abc123.js").write_text("console.log('ui')")
    (dist / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return dist


def bare_app(dist: Path) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    install_ui(app, dist)
    return app


def test_built_ui_is_served_with_a_strict_policy(tmp_path: Path) -> None:
    client = api_client(bare_app(make_dist(tmp_path)))
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<div id="app">' in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp and "unsafe-inline" not in csp
    asset = client.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and "immutable" in asset.headers["cache-control"]
    assert client.get("/favicon.svg").headers["content-type"].startswith("image/svg+xml")
    assert client.get("/assets/missing.js").status_code == 404
    assert client.get("/api/v1/ping").json() == {"pong": "yes"}


def test_missing_build_says_how_to_build_it(tmp_path: Path) -> None:
    client = api_client(bare_app(tmp_path / "dist"))
    r = client.get("/", headers={"accept": "application/json"})
    assert r.status_code == 503 and r.json()["code"] == "ui_not_built" and "make ui" in r.json()["detail"]
    r = client.get("/", headers={"accept": "text/html"})
    assert r.status_code == 503 and "make ui" in r.text
    assert client.get("/assets/index-abc123.js").status_code == 404
    assert client.get("/api/v1/ping").json() == {"pong": "yes"}
    # Building while the server runs takes effect without a restart.
    make_dist(tmp_path)
    assert client.get("/").status_code == 200
    assert client.get("/assets/index-abc123.js").status_code == 200
