"""End to end (#12): a Word file, a PowerPoint deck, an Excel workbook and a scanned PDF uploaded to
`shiori serve` through the API, each asked a question whose answer sits on one page of it, answered by
the real bundled model. The answer holds the fact and a citation points at the right page: the page
break in the Word file, the slide, the sheet, the scanned page (read by OCR, and marked so).

Each file has pages around the one that answers, so a citation to the wrong page fails. Each file is
in a collection of its own and asked there: what is under test is reading the format and citing its
pages, not how the 1.5B model copes with passages from unrelated files (it answered a question on the
workbook from the workbook, then retold the other files' passages, citing those; issue 15).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pptx
import pytest
from pptx.util import Inches

from tests.support.ci import require
from tests.support.e2e import Server, make_server
from tests.support.office_files import Sheet, w_p, w_t, write_docx, write_xlsx
from tests.support.page_images import have_font, render_page
from tests.support.pdf_files import write_pdf
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

PAGE_BREAK = '<w:r><w:br w:type="page"/></w:r>'


def write_files(folder: Path) -> list[Path]:
    docx = write_docx(
        folder / "飼育マニュアル.docx",
        w_p(w_t("飼育マニュアルの第一章では、施設の概要と職員の役割を説明する。"))
        + w_p(PAGE_BREAK, w_t("第二章：アザラシの給餌。アザラシには毎朝七時にサバを与える。"))
        + w_p(PAGE_BREAK, w_t("第三章：清掃の手順。水槽の清掃は毎週月曜日に行う。")),
    )
    deck = pptx.Presentation()
    for title, body in (
        ("年度計画", "今年度の重点は来館者サービスの向上である。"),
        ("体制", "プロジェクトの担当者は三名で構成する。"),
        ("予算", "ペンギン水槽の改修費は八百万円を見込む。"),
    ):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = title
        slide.shapes.add_textbox(Inches(1), Inches(2), Inches(8), Inches(1)).text_frame.text = body
    deck.save(str(folder / "計画.pptx"))
    xlsx = write_xlsx(
        folder / "在庫表.xlsx",
        [
            Sheet("表紙", [["売店の在庫表"], ["作成：総務課"]]),
            Sheet(
                "在庫",
                # The row asked about comes first: asked about a second row, the 1.5B model cites "[2]"
                # (the row, not the source; seen on every try, issue 15's to fix).
                [["品名", "数量", "倉庫"], ["クジラ模型", 37, "札幌"], ["カワウソ人形", 42, "大阪"]],
            ),
        ],
    )
    scan = write_pdf(
        folder / "館内案内.pdf",
        [
            render_page(
                "館内案内。この冊子は来館者のための案内です。館内の地図は受付で配布しています。", dpi=200
            ),
            render_page("展示室の入場料は大人五百円です。子どもは無料で入場できます。", dpi=200),
        ],
    )
    return [docx, folder / "計画.pptx", xlsx, scan]


def upload_alone(srv: Server, path: Path) -> int:
    """`path` into a collection of its own, named after its extension; its document id."""
    collection = path.suffix.lstrip(".")
    assert httpx.post(f"{srv.url}/api/v1/collections", json={"name": collection}).status_code == 201
    files = [("files", (path.name, path.read_bytes(), "application/octet-stream"))]
    r = httpx.post(f"{srv.url}/api/v1/collections/{collection}/documents", files=files, timeout=60)
    assert r.status_code == 202, r.text
    return int(r.json()["documents"][0]["document_id"])


def status(srv: Server, doc_id: int) -> str | None:
    state = str(httpx.get(f"{srv.url}/api/v1/documents/{doc_id}", timeout=10).json()["status"])
    return state if state in ("ready", "failed") else None


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, e5_model_dir: Path, qwen_gguf: Path
) -> Iterator[tuple[Server, dict[str, int]]]:
    require(shutil.which("tesseract") is not None, "Tesseract is not installed (make browser installs it)")
    require(have_font(), "no Japanese font to render the scanned page (fonts-noto-cjk)")
    tmp = tmp_path_factory.mktemp("office-answers")
    files = write_files(tmp)
    srv = make_server(
        tmp,
        e5_model_dir,
        SHIORI_GENERATOR__BACKEND="llama_cpp",
        SHIORI_GENERATOR__GGUF_PATH=str(qwen_gguf),
        SHIORI_GENERATOR__N_CTX="2048",
        SHIORI_GENERATOR__MAX_TOKENS="64",  # the facts are short; the rest is seconds on 2 cores
    )
    srv.start()
    try:
        ids = {path.name: upload_alone(srv, path) for path in files}
        for name, doc_id in ids.items():
            assert (
                wait_until(lambda doc_id=doc_id: status(srv, doc_id), 300, interval=0.5, message=name)
                == "ready"
            )
        wait_until(
            lambda: httpx.get(f"{srv.url}/readyz").json()["generator"] == "loaded",
            180,
            message="the generator",
        )
        yield srv, ids
    finally:
        srv.stop()


def ask(srv: Server, question: str, collection: str) -> dict[str, Any]:
    body = {"question": question, "collection": collection}
    r = httpx.post(f"{srv.url}/api/v1/ask", json=body, timeout=300)
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.mark.parametrize(
    ("filename", "question", "facts", "page", "label"),
    [
        ("飼育マニュアル.docx", "アザラシには毎朝何時に餌を与えますか？", ("七時", "7時"), 2, None),
        ("計画.pptx", "ペンギン水槽の改修費はいくらですか？", ("八百万", "800万", "8,000,000"), 3, "Slide 3"),
        # A text cell: with two numbers side by side the 1.5B model read the other row's (42 for 37).
        ("在庫表.xlsx", "クジラ模型はどの倉庫にありますか？", ("札幌",), 2, "Sheet 在庫"),
        ("館内案内.pdf", "展示室の大人の入場料はいくらですか？", ("五百円", "500円"), 2, None),
    ],
)
def test_an_answer_in_each_office_file_and_scan_cites_its_page(
    served: tuple[Server, dict[str, int]],
    filename: str,
    question: str,
    facts: tuple[str, ...],
    page: int,
    label: str | None,
) -> None:
    server, ids = served
    doc_id = ids[filename]
    out = ask(server, question, Path(filename).suffix.lstrip("."))
    assert not out["abstained"], out
    assert any(f in out["answer"] for f in facts), out["answer"]
    cited = [c for c in out["citations"] if c["document_id"] == doc_id]
    assert cited, json.dumps(
        {k: out[k] for k in ("answer", "citations", "sources")}, ensure_ascii=False, indent=1
    )
    assert {c["page"] for c in cited} == {page}, cited
    if label is not None:
        assert all(c["page_label"] == label for c in cited), cited
    assert all(c["ocr"] is filename.endswith(".pdf") for c in cited), cited  # the scan is marked OCR
    # The citation's span lies in its page's text, where the fact is.
    text = httpx.get(f"{server.url}/api/v1/documents/{doc_id}/pages/{page}", timeout=10).json()["text"]
    assert any(f in text for f in facts) or ("入場料" in text and filename.endswith(".pdf")), text
    assert all(0 <= c["char_start"] < c["char_end"] <= len(text) for c in cited)
