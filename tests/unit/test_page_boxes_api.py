"""GET /api/v1/documents/{id}/pages/{n}/boxes (#13): where a span of a page's text is printed, stored at
ingestion (pages.boxes, migration 0004) on SQLite and PostgreSQL. Keys and collection scope are in
the role matrix of tests/unit/test_auth.py, like every route."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, select

from app.api.app import create_app
from app.core.generation.fake import FakeGenerator
from app.core.settings import Settings
from app.db import models as m
from app.db.migrate import upgrade_database
from tests.support.http import api_client, upload, wait_terminal
from tests.support.pdf_files import A4_POINTS, write_pdf

pytestmark = pytest.mark.unit

LINES = ["Shiori highlights the evidence on the page itself.", "A second line sits sixteen points lower."]


@pytest.fixture
def make_client(make_settings: Callable[..., Settings], db_url: str) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = make_settings(db_url, **{"worker": {"embedded": True}, **overrides})
        client = api_client(create_app(settings, generator=FakeGenerator()))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def ingest(client: TestClient, name: str, data: bytes) -> int:
    doc_id = int(upload(client, (name, data)).json()["documents"][0]["document_id"])
    assert wait_terminal(client, doc_id)["status"] == "ready"
    return doc_id


def pdf_bytes(tmp_path: Path) -> bytes:
    return write_pdf(tmp_path / "evidence.pdf", ["\n".join(LINES)]).read_bytes()


def boxes(client: TestClient, doc_id: int, start: Any, end: Any, page: int = 1) -> Any:
    return client.get(f"/api/v1/documents/{doc_id}/pages/{page}/boxes", params={"start": start, "end": end})


def test_a_words_rectangle_is_where_the_pdf_printed_it(make_client: Any, tmp_path: Path) -> None:
    client = make_client()
    doc_id = ingest(client, "evidence.pdf", pdf_bytes(tmp_path))
    text = client.get(f"/api/v1/documents/{doc_id}/pages/1").json()["text"]
    start = text.index("highlights")
    r = boxes(client, doc_id, start, start + len("highlights"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["width"], body["height"]) == A4_POINTS and body["missing"] == 0
    assert (body["document_id"], body["page"], body["start"], body["end"]) == (doc_id, 1, start, start + 10)
    (rect,) = body["rects"]
    # write_pdf sets 12 pt Helvetica with its first baseline 72 pt below the top, at x = 72.
    assert 72 + 30 < rect["x0"] < rect["x1"] < 72 + 110 and not rect["vertical"]
    assert 58 < rect["y0"] < 64 and 72 < rect["y1"] < 77


def test_a_span_over_two_lines_is_one_rectangle_per_line(make_client: Any, tmp_path: Path) -> None:
    client = make_client()
    doc_id = ingest(client, "evidence.pdf", pdf_bytes(tmp_path))
    text = client.get(f"/api/v1/documents/{doc_id}/pages/1").json()["text"]
    start, end = text.index("itself"), text.index("sits")
    first, second = boxes(client, doc_id, start, end).json()["rects"]
    assert second["y0"] - first["y0"] == pytest.approx(16, abs=0.01)
    assert first["x1"] > 300 and second["x0"] == pytest.approx(72, abs=1)


def test_bad_spans_are_refused_with_a_code(make_client: Any, tmp_path: Path) -> None:
    client = make_client()
    doc_id = ingest(client, "evidence.pdf", pdf_bytes(tmp_path))
    length = len(client.get(f"/api/v1/documents/{doc_id}/pages/1").json()["text"])
    for start, end in ((5, 5), (9, 3), (0, length + 1)):
        r = boxes(client, doc_id, start, end)
        assert r.status_code == 422 and r.json()["code"] == "invalid_span", r.text
        assert f"{length} characters" in r.json()["detail"]
    assert boxes(client, doc_id, 0, length).status_code == 200
    for params in ({"start": -1, "end": 4}, {"start": 0}, {"start": "x", "end": 4}):
        r = client.get(f"/api/v1/documents/{doc_id}/pages/1/boxes", params=params)
        assert r.status_code == 422 and r.json()["code"] == "validation_error", r.text


def test_missing_document_or_page_is_404_like_the_page_text(make_client: Any, tmp_path: Path) -> None:
    client = make_client()
    doc_id = ingest(client, "evidence.pdf", pdf_bytes(tmp_path))
    r = boxes(client, 999_999, 0, 4)
    assert r.status_code == 404 and r.json()["code"] == "document_not_found"
    r = boxes(client, doc_id, 0, 4, page=2)
    assert r.status_code == 404 and r.json()["code"] == "page_not_found"
    assert r.json() == client.get(f"/api/v1/documents/{doc_id}/pages/2").json()


def test_pages_without_boxes_say_why(make_client: Any, tmp_path: Path) -> None:
    client = make_client(ingest={"char_boxes": False})
    text_doc = ingest(client, "notes.txt", b"Plain text has no page layout to point into.")
    r = boxes(client, text_doc, 0, 5)
    assert r.status_code == 404 and r.json()["code"] == "boxes_unavailable"
    assert "only PDF pages and images" in r.json()["detail"]
    pdf_doc = ingest(client, "evidence.pdf", pdf_bytes(tmp_path))
    r = boxes(client, pdf_doc, 0, 5)
    assert r.status_code == 404 and r.json()["code"] == "boxes_unavailable"
    assert "shiori backfill-boxes" in r.json()["detail"]
    assert "SHIORI_INGEST__CHAR_BOXES=false" in r.json()["detail"]


def test_pages_stored_before_migration_0004_have_no_boxes(
    make_client: Any, make_settings: Callable[..., Settings], db_url: str
) -> None:
    engine = create_engine(make_settings(db_url).database_url)
    upgrade_database(engine, "0003")
    with engine.begin() as conn:
        coll = conn.execute(insert(m.Collection).values(name="default").returning(m.Collection.id)).scalar()
        doc = conn.execute(
            insert(m.Document)
            .values(
                collection_id=coll,
                filename="old.pdf",
                mime="application/pdf",
                size_bytes=1,
                sha256="0" * 64,
                storage_path="x",
                status=m.DocumentStatus.ready,
                pages=1,
            )
            .returning(m.Document.id)
        ).scalar()
        conn.execute(insert(m.Page).values(document_id=doc, number=1, text="Stored before boxes."))
    upgrade_database(engine)
    with engine.connect() as conn:
        assert conn.execute(select(m.Page.boxes)).scalar_one() is None
    engine.dispose()
    r = boxes(make_client(worker={"embedded": False}), doc, 0, 6)
    assert r.status_code == 404 and r.json()["code"] == "boxes_unavailable"
