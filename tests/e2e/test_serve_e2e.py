"""End to end: `shiori serve` in a subprocess, driven over HTTP like a user would.

Uploads the seed corpus and PDFs (one of them a scan, read by OCR), waits for `ready`, searches in
Japanese and English and checks the right document and page come back; deletes a document; restarts
the server and checks nothing is lost.
"""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import CORPUS
from tests.support.ci import require, under_ci
from tests.support.server import ShioriServer

pytestmark = pytest.mark.e2e

PDF_NOTICE = CORPUS / "pdf/good/ja_gov_notice_mhlw-tsuchi.pdf"
PDF_DMCA = CORPUS / "pdf/good/en_gov_report_dmca-summary_18p.pdf"
PDF_SCAN = CORPUS / "pdf/bad/bad_scanned_image-only_en.pdf"


class Server(ShioriServer):
    """`shiori serve` with the bundled embedder and quick index snapshots."""

    def __init__(self, data_dir: Path, model_dir: Path, log: Path) -> None:
        super().__init__(
            data_dir,
            log,
            {"SHIORI_EMBEDDING__MODEL_PATH": str(model_dir), "SHIORI_INDEX__SNAPSHOT_INTERVAL_S": "1"},
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, e5_model_dir: Path) -> Iterator[Server]:
    require(CORPUS.is_dir(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    tmp = tmp_path_factory.mktemp("e2e")
    srv = Server(tmp / "data", e5_model_dir, tmp / "server.log")
    srv.start()
    yield srv
    srv.stop()


def search(srv: Server, query: str, k: int = 3) -> list[dict[str, Any]]:
    r = httpx.post(f"{srv.url}/api/v1/search", json={"query": query, "k": k}, timeout=30)
    assert r.status_code == 200, r.text
    return list(r.json()["passages"])


def wait_all_terminal(srv: Server, timeout: float = 300) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    seen_stages: set[str] = set()
    while time.monotonic() < deadline:
        listed = httpx.get(f"{srv.url}/api/v1/collections/default/documents", timeout=10).json()
        seen_stages |= {d["progress"]["stage"] for d in listed if d["progress"]}
        if all(d["status"] in ("ready", "failed") for d in listed):
            return list(listed)
        time.sleep(0.5)
    raise AssertionError(f"ingestion did not finish; stages seen: {seen_stages}")


def test_upload_ingest_search_delete_restart(server: Server) -> None:
    seeds = sorted((CORPUS / "seeds").glob("*.txt"))
    paths = [*seeds, PDF_NOTICE, PDF_DMCA, PDF_SCAN]
    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
    r = httpx.post(f"{server.url}/api/v1/collections/default/documents", files=files, timeout=60)
    assert r.status_code == 202, r.text
    ids = {d["filename"]: d["document_id"] for d in r.json()["documents"]}
    assert set(ids) == {p.name for p in paths}

    docs = {d["filename"]: d for d in wait_all_terminal(server)}
    scan = docs[PDF_SCAN.name]
    ocr = shutil.which("tesseract") is not None or under_ci()  # CI installs it (make browser)
    if ocr:
        assert scan["status"] == "ready" and scan["chunk_count"] > 0, scan
    else:  # a machine without Tesseract: the scan fails, naming the packages to install
        assert scan["status"] == "failed" and "tesseract-ocr" in scan["error"] and scan["chunk_count"] == 0
    assert all(d["status"] == "ready" for name, d in docs.items() if name != PDF_SCAN.name), docs
    assert docs[PDF_DMCA.name]["pages"] == 18

    def has(hits: list[dict[str, Any]], name: str, page: int) -> bool:
        return any(h["document_id"] == ids[name] and h["page"] == page for h in hits)

    # New documents become searchable within seconds of `ready` (index sync).
    deadline = time.monotonic() + 10
    while not has(
        search(server, "When was the DMCA signed into law by President Clinton?"), PDF_DMCA.name, 1
    ):
        assert time.monotonic() < deadline, "DMCA page 1 not found"
        time.sleep(0.5)
    assert has(search(server, "デジタルミレニアム著作権法はいつ署名されましたか"), PDF_DMCA.name, 1)
    if ocr:  # the scan's passage is found, marked as read by OCR
        hits = search(server, "Docling bundles PDF document conversion to JSON and Markdown")
        scanned = [h for h in hits if h["document_id"] == ids[PDF_SCAN.name]]
        assert scanned and scanned[0]["page"] == 1 and scanned[0]["ocr"] is True, hits
        assert all(h["ocr"] is False for h in hits if h["document_id"] != ids[PDF_SCAN.name])
    assert has(search(server, "産前産後休業は労働基準法の第何条に規定されていますか"), PDF_NOTICE.name, 2)
    seed_ids = {ids[p.name] for p in seeds}
    for q in ("Transformerを提案した論文は何ですか", "Which paper introduced the Transformer?"):
        hits = search(server, q)
        assert any(h["document_id"] in seed_ids and "attention" in h["text"].lower() for h in hits), hits

    # The original file is served back unchanged.
    original = httpx.get(f"{server.url}/api/v1/documents/{ids[PDF_NOTICE.name]}/file", timeout=10)
    assert original.status_code == 200 and original.content == PDF_NOTICE.read_bytes()
    assert original.headers["content-type"] == "application/pdf"

    # Deleting a document removes it from search at once.
    assert (
        httpx.delete(f"{server.url}/api/v1/documents/{ids[PDF_NOTICE.name]}", timeout=10).status_code == 204
    )
    hits = search(server, "産前産後休業は労働基準法の第何条に規定されていますか", k=10)
    assert all(h["document_id"] != ids[PDF_NOTICE.name] for h in hits)

    # A restart (graceful, then a hard kill) loses nothing: index snapshots plus the database.
    for stop in ("graceful", "kill"):
        if stop == "graceful":
            server.stop()
        else:
            assert server.proc is not None
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait(timeout=10)
        server.start()
        assert has(
            search(server, "When was the DMCA signed into law by President Clinton?"), PDF_DMCA.name, 1
        )
        hits = search(server, "産前産後休業は労働基準法の第何条に規定されていますか", k=10)
        assert all(h["document_id"] != ids[PDF_NOTICE.name] for h in hits)
        listed = httpx.get(f"{server.url}/api/v1/collections/default/documents", timeout=10).json()
        assert len(listed) == len(paths) - 1
