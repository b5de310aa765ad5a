"""OCR wiring with a fake engine (#12): which pages go to OCR, low-confidence pages skipped, the page
limit and time budget, progress, the clear failure without Tesseract, and the `ocr` mark reaching
search hits. Real Tesseract: tests/integration/test_ocr_tesseract.py."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from app.api.app import create_app
from app.core.errors import UnreadableDocument
from app.core.settings import OcrSettings, Settings
from ingestion import pipeline
from ingestion.loaders import load_document
from ingestion.ocr import DocumentOcr, OcrError, OcrLimits, OcrPage, unavailable_reason
from ingestion.ocr.tesseract import join_words, parse_tsv
from ingestion.pipeline import Progress
from ingestion.worker import Worker
from tests.support.http import api_client, upload, wait_searchable, wait_terminal
from tests.support.pdf_files import write_pdf

pytestmark = pytest.mark.unit

TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
TYPED = "This page was typed and has a text layer that any reader can extract without trouble at all."


def tsv(*words: tuple[int, int, int, tuple[int, int], float, str]) -> str:
    """Rows of (block, paragraph, line, (left, top), confidence, text) as Tesseract's TSV."""
    rows = [TSV_HEADER, "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t"]
    for i, (block, par, line, (left, top), conf, text) in enumerate(words):
        rows.append(f"5\t1\t{block}\t{par}\t{line}\t{i}\t{left}\t{top}\t10\t10\t{conf}\t{text}")
    return "\n".join(rows) + "\n"


def ocr_page(text: str, confidence: float = 92.0, vertical: bool = False) -> OcrPage:
    rows = [
        (1, 1, n, (0, 20 * n), confidence, word)
        for n, line in enumerate(text.split("\n"))
        for word in line.split()
    ]
    return OcrPage(tuple(parse_tsv(tsv(*rows))), "jpn+eng", vertical, 0.01)


class FakeEngine:
    """Hands out readings in order; records what it was asked to read."""

    def __init__(self, *readings: OcrPage | OcrError) -> None:
        self.readings = list(readings)
        self.images: list[Image.Image] = []
        self.dpis: list[int | None] = []

    def read(self, image: Image.Image, *, dpi: int | None, timeout_s: float) -> OcrPage:
        self.images.append(image)
        self.dpis.append(dpi)
        reading = self.readings.pop(0)
        if isinstance(reading, OcrError):
            raise reading
        return reading


def limits(**overrides: float) -> OcrLimits:
    values = {
        "dpi": 100,
        "max_pages": 50,
        "time_budget_s": 60.0,
        "page_timeout_s": 30.0,
        "min_confidence": 55.0,
    }
    values.update(overrides)
    return OcrLimits(**values)  # type: ignore[arg-type]


def scan(size: tuple[int, int] = (200, 280)) -> Image.Image:
    return Image.new("L", size, 255)


def test_tsv_words_become_lines_in_tesseracts_reading_order() -> None:
    rows = tsv(
        (1, 1, 1, (10, 10), 90, "First"),
        (1, 1, 1, (60, 10), 80, "line"),
        (1, 1, 2, (10, 40), 90, "second"),
        (2, 1, 1, (10, 90), 70, "東京"),
        (2, 1, 1, (40, 90), 70, "は"),
        (2, 1, 1, (60, 90), 70, "AI"),
        (2, 1, 1, (80, 90), -1, " "),  # empty words carry no text and confidence -1
    )
    page = OcrPage(tuple(parse_tsv(rows)), "jpn+eng", False, 0.0)
    assert page.text == "First line\nsecond\n\n東京はAI"  # a blank line between paragraphs
    assert page.words[0].box == (10, 10, 10, 10) and page.words[0].confidence == 90
    assert page.lines[0].box == (10, 10, 60, 10)
    assert page.confidence == pytest.approx((5 * 90 + 4 * 80 + 6 * 90 + 3 * 70 + 2 * 70) / 20)
    assert join_words(["Shiori", "は", "OCR", "engine"]) == "ShioriはOCR engine"


def test_only_pages_without_usable_text_go_to_ocr_and_are_marked(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "mixed.pdf", [TYPED, scan(), None, scan()])
    engine = FakeEngine(
        ocr_page("The second page was scanned and OCR read it."), ocr_page("Page four, also a scan.")
    )
    progress: list[tuple[int, int]] = []
    doc = load_document(path, ocr=DocumentOcr(engine, limits()), on_ocr_page=lambda *a: progress.append(a))
    assert [(p.number, p.ocr) for p in doc.pages] == [(1, False), (2, True), (4, True)]
    assert doc.pages[1].text == "The second page was scanned and OCR read it."
    assert [(s.number, s.reason) for s in doc.skipped] == [(3, "blank page")]  # blank pages are not OCR'd
    assert len(engine.images) == 2 and engine.dpis == [100, 100]  # rendered at the configured resolution
    width, height = engine.images[0].size  # a 200 x 280 scan at 200 dpi, rendered at 100 dpi
    assert (width, abs(height - 140) <= 1) == (100, True)
    assert progress == [(0, 2), (1, 2), (2, 2)]


def test_a_text_layer_of_garbage_is_replaced_by_ocr(tmp_path: Path) -> None:
    # What a font without a Unicode map extracts as: every letter shifted by three.
    shifted = "7KH TXLFN EURZQ IRA MXPSV RYHU WKH ODCB GRJ DQG UXQV DZDB IURP WKH KXQWHUV "
    path = write_pdf(tmp_path / "unmapped.pdf", [shifted * 3, TYPED])
    engine = FakeEngine(ocr_page("The quick brown fox jumps over the lazy dog and runs away."))
    doc = load_document(path, ocr=DocumentOcr(engine, limits()))
    assert [(p.number, p.ocr) for p in doc.pages] == [(1, True), (2, False)]
    assert doc.pages[0].text.startswith("The quick brown fox")


def test_a_scan_with_a_thin_text_layer_is_read_by_ocr(tmp_path: Path) -> None:
    # A stamp typed over a scanned page: the text layer holds the stamp, the image holds the page.
    a4 = scan((1654, 2339))  # at 200 dpi, so the stamp lands on the page
    path = write_pdf(tmp_path / "stamped.pdf", [(a4, "Received 2026-04-01"), (a4, "Checked by Sato"), TYPED])
    engine = FakeEngine(
        ocr_page("The scanned page says much more than its stamp. Received 2026-04-01"),
        ocr_page("Sato"),  # OCR read no more than the layer holds: the layer's text stays
    )
    doc = load_document(path, ocr=DocumentOcr(engine, limits()))
    assert [(p.number, p.ocr) for p in doc.pages] == [(1, True), (2, False), (3, False)]
    assert doc.pages[0].text.startswith("The scanned page says much more")
    assert doc.pages[1].text == "Checked by Sato"
    assert len(engine.images) == 2  # the typed page is not rendered


def test_a_page_whose_ocr_confidence_is_too_low_is_skipped_never_indexed(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "noisy.pdf", [scan(), scan()])
    engine = FakeEngine(
        ocr_page("Readable text from a clean scan of a page.", 88.0), ocr_page("Iil1 ~~ ;:", 31.0)
    )
    doc = load_document(path, ocr=DocumentOcr(engine, limits()))
    assert [p.number for p in doc.pages] == [1]
    assert [(s.number, s.reason) for s in doc.skipped] == [(2, "OCR confidence too low")]
    with pytest.raises(UnreadableDocument, match="1 page skipped \\(OCR confidence too low\\)"):
        load_document(
            write_pdf(tmp_path / "bad.pdf", [scan()]),
            ocr=DocumentOcr(FakeEngine(ocr_page("x y", 20.0)), limits()),
        )


def test_page_limit_and_time_budget_stop_ocr_and_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_pdf(tmp_path / "long.pdf", [scan()] * 4)
    engine = FakeEngine(*(ocr_page(f"Scanned page number {n} of the report.") for n in range(4)))
    doc = load_document(path, ocr=DocumentOcr(engine, limits(max_pages=2)))
    assert [p.number for p in doc.pages] == [1, 2] and len(engine.images) == 2  # the rest never rendered
    assert {s.reason for s in doc.skipped} == {"not OCR'd: over the limit of 2 OCR pages per document"}
    with pytest.raises(UnreadableDocument, match="4 pages skipped \\(not OCR'd: over the limit of 0 OCR"):
        load_document(path, ocr=DocumentOcr(FakeEngine(), limits(max_pages=0)))

    clock = [0.0]
    monkeypatch.setattr("ingestion.ocr.document.time.monotonic", lambda: clock[0])
    timeouts: list[float] = []

    class Slow(FakeEngine):  # each page takes 40 s of the 60 s budget
        def read(self, image: Image.Image, *, dpi: int | None, timeout_s: float) -> OcrPage:
            timeouts.append(timeout_s)
            clock[0] += 40
            return super().read(image, dpi=dpi, timeout_s=timeout_s)

    pages = (ocr_page(f"Page {n} of a slow scan.") for n in range(4))
    doc = load_document(path, ocr=DocumentOcr(Slow(*pages), limits(time_budget_s=60)))
    assert [p.number for p in doc.pages] == [1, 2]
    assert timeouts == [30, 20]  # a page gets at most what the budget has left
    assert [(s.number, s.reason) for s in doc.skipped] == [
        (n, "not OCR'd: the document's OCR time budget (60 s) ran out") for n in (3, 4)
    ]


def test_a_crash_or_timeout_skips_that_page_only(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "crash.pdf", [scan(), scan()])
    engine = FakeEngine(
        OcrError("OCR failed (Tesseract exited with status -11)"), ocr_page("Second page is fine.")
    )
    doc = load_document(path, ocr=DocumentOcr(engine, limits()))
    assert [p.number for p in doc.pages] == [2]
    assert doc.skipped[0].reason == "OCR failed (Tesseract exited with status -11)"


def test_multi_page_tiff_is_read_frame_by_frame(tmp_path: Path) -> None:
    path = tmp_path / "fax.tif"
    frames = [scan((120, 160)), scan((160, 120)).convert("RGB")]
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(300, 300))
    engine = FakeEngine(ocr_page("Fax page one."), ocr_page("Fax page two."))
    doc = load_document(path, filename="fax.tiff", ocr=DocumentOcr(engine, limits()))
    assert doc.mime == "image/tiff" and doc.page_count == 2
    assert [(p.number, p.ocr, p.text) for p in doc.pages] == [
        (1, True, "Fax page one."),
        (2, True, "Fax page two."),
    ]
    assert [im.size for im in engine.images] == [(120, 160), (160, 120)] and engine.dpis == [300, 300]


def test_without_tesseract_scans_and_images_fail_naming_the_packages(tmp_path: Path) -> None:
    missing = unavailable_reason(OcrSettings(command="tesseract-not-installed-here"))
    assert missing is not None and "tesseract-ocr-jpn-vert" in missing
    assert (
        unavailable_reason(OcrSettings(enabled=False))
        == "OCR is turned off in the settings (SHIORI_OCR__ENABLED=false)"
    )
    with pytest.raises(UnreadableDocument, match="scanned image.*tesseract-ocr-jpn"):
        load_document(write_pdf(tmp_path / "scan.pdf", [scan()]), ocr_off=missing)
    png = tmp_path / "page.png"
    scan().save(png)
    with pytest.raises(
        UnreadableDocument, match="PNG image; its text can only be read with OCR.*tesseract-ocr"
    ):
        load_document(png, ocr_off=missing)


@pytest.fixture
def client(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[TestClient]:
    with api_client(create_app(make_settings(sqlite_url))) as c:
        yield c


def test_ocr_pages_are_marked_in_search_hits_and_pages(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = write_pdf(tmp_path / "scan.pdf", [TYPED, scan()])
    doc_id = upload(client, ("scan.pdf", pdf.read_bytes())).json()["documents"][0]["document_id"]
    container = client.app.state.container  # type: ignore[attr-defined]
    worker = Worker(container.settings, container.factory, container.embedder)
    worker.pipeline.ocr = DocumentOcr(FakeEngine(ocr_page("The walrus enclosure opens in April.")), limits())
    reported: list[dict[str, object]] = []
    real_set = Progress.set
    monkeypatch.setattr(Progress, "set", lambda self, **v: (reported.append(v), real_set(self, **v))[1])
    assert worker.run_once()
    assert wait_terminal(client, doc_id)["status"] == "ready"
    # The job said what it was doing: "OCR page 1 of 1" in the UI.
    assert {"stage": "ocr", "pages_done": 1, "pages_total": 1} in reported
    hits = wait_searchable(client, "walrus enclosure April", doc_id)
    hit = next(h for h in hits if h["document_id"] == doc_id)
    assert hit["page"] == 2 and hit["ocr"] is True
    typed = client.post("/api/v1/search", json={"query": "typed text layer", "k": 5}).json()["passages"]
    assert any(h["document_id"] == doc_id and h["page"] == 1 and h["ocr"] is False for h in typed)
    assert client.get(f"/api/v1/documents/{doc_id}/pages/2").json()["ocr"] is True


class BlockingEngine(FakeEngine):
    """Reads nothing until released: a long scan, still in OCR."""

    def __init__(self, *readings: OcrPage | OcrError) -> None:
        super().__init__(*readings)
        self.started = threading.Event()
        self.release = threading.Event()

    def read(self, image: Image.Image, *, dpi: int | None, timeout_s: float) -> OcrPage:
        self.started.set()
        assert self.release.wait(30), "never released"
        return super().read(image, dpi=dpi, timeout_s=timeout_s)


def test_a_long_scan_does_not_hold_up_the_documents_queued_behind_it(
    make_settings: Callable[..., Settings], sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = BlockingEngine(ocr_page("The scanned page, read at last."))
    monkeypatch.setattr(pipeline, "make_document_ocr", lambda _settings: DocumentOcr(engine, limits()))
    settings = make_settings(sqlite_url, worker={"embedded": True, "threads": 2, "poll_interval_s": 0.05})
    with api_client(create_app(settings)) as client:
        scan_id = upload(client, ("scan.pdf", write_pdf(tmp_path / "scan.pdf", [scan()]).read_bytes()))
        scan_id = scan_id.json()["documents"][0]["document_id"]
        assert engine.started.wait(20), "the scan never reached OCR"
        note = upload(client, ("note.txt", b"A short note about the otters' new pool."))
        note_id = note.json()["documents"][0]["document_id"]
        assert wait_terminal(client, note_id)["status"] == "ready"  # while the scan is still in OCR
        scan_doc = client.get(f"/api/v1/documents/{scan_id}").json()
        assert scan_doc["status"] == "processing"
        engine.release.set()
        assert wait_terminal(client, scan_id)["status"] == "ready"
