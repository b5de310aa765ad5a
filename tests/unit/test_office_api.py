"""Office files through the API (#12): uploaded with the wrong or no extension, read by content,
ingested, and found by search on the right slide, sheet and page, which the hit names."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pptx
import pytest
from fastapi.testclient import TestClient
from pptx.util import Inches

from app.api.app import create_app
from app.core.settings import Settings
from tests.support.http import api_client, upload, wait_searchable, wait_terminal
from tests.support.office_files import Sheet, w_p, w_t, write_docx, write_xlsx

pytestmark = pytest.mark.unit


@pytest.fixture
def client(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[TestClient]:
    with api_client(create_app(make_settings(sqlite_url, worker={"embedded": True}))) as c:
        yield c


def deck(path: Path) -> bytes:
    slides = pptx.Presentation()
    for title, body in (
        ("概要", "今年度の方針"),
        ("体制", "担当者は三名"),
        ("予算", "ペンギン水槽の改修費は八百万円"),
    ):
        slide = slides.slides.add_slide(slides.slide_layouts[5])
        slide.shapes.title.text = title
        box = slide.shapes.add_textbox(Inches(1), Inches(2), Inches(6), Inches(1))
        box.text_frame.text = body
    slides.save(str(path))
    return path.read_bytes()


def test_office_files_are_found_on_their_slide_sheet_and_page(client: TestClient, tmp_path: Path) -> None:
    pptx_bytes = deck(tmp_path / "plan.pptx")
    xlsx_bytes = write_xlsx(
        tmp_path / "stock.xlsx",
        [
            Sheet("表紙", [["在庫表"]]),
            Sheet(
                "在庫", [["品名", "数量", "倉庫"], ["カワウソ人形", 42, "大阪"], ["クジラ模型", 7, "札幌"]]
            ),
        ],
    ).read_bytes()
    body = w_p(w_t("第一章の本文。")) + w_p(
        '<w:r><w:br w:type="page"/></w:r>', w_t("第二章ではアザラシの食事を扱う。")
    )
    docx_bytes = write_docx(tmp_path / "guide.docx", body).read_bytes()
    r = upload(client, ("plan.pdf", pptx_bytes), ("stock", xlsx_bytes), ("guide.docx", docx_bytes))
    assert r.status_code == 202, r.text
    ids = {d["filename"]: d["document_id"] for d in r.json()["documents"]}
    docs = {name: wait_terminal(client, doc_id) for name, doc_id in ids.items()}
    assert {name: d["status"] for name, d in docs.items()} == dict.fromkeys(ids, "ready"), docs
    assert docs["plan.pdf"]["mime"].endswith("presentationml.presentation") and docs["plan.pdf"]["pages"] == 3

    def top(query: str, doc_id: int) -> dict[str, object]:
        return next(h for h in wait_searchable(client, query, doc_id) if h["document_id"] == doc_id)

    slide = top("ペンギン水槽の改修費", ids["plan.pdf"])
    assert slide["page"] == 3 and slide["page_label"] == "Slide 3"
    row = top("カワウソ人形の数量", ids["stock"])
    assert row["page"] == 2 and str(row["page_label"]).startswith("Sheet 在庫")
    assert "品名: カワウソ人形" in str(row["text"]) and "数量: 42" in str(row["text"])
    page = top("アザラシの食事", ids["guide.docx"])
    assert page["page"] == 2
    # The page text the citation offsets point into is there for each.
    text = client.get(f"/api/v1/documents/{ids['plan.pdf']}/pages/3").json()["text"]
    assert "ペンギン水槽の改修費は八百万円" in text
