"""The HTTP API with the fake embedder and the embedded worker: upload → ready → search, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.core.settings import Settings
from tests.support.http import api_client, upload, wait_searchable, wait_terminal

pytestmark = pytest.mark.unit

TXT_JA = (
    "東京タワーは1958年に完成した電波塔である。高さは333メートルで、当時は自立式鉄塔として世界一だった。\n"
)
TXT_EN = "The Transformer architecture was introduced in the paper Attention Is All You Need in 2017.\n"


@pytest.fixture
def client(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[TestClient]:
    settings = make_settings(sqlite_url, worker={"embedded": True}, limits={"max_upload_bytes": 4096})
    with api_client(create_app(settings)) as c:
        yield c


def test_upload_ingest_search_delete(client: TestClient) -> None:
    r = upload(client, ("tower.txt", TXT_JA.encode()), ("paper.txt", TXT_EN.encode()))
    assert r.status_code == 202, r.text
    items = r.json()["documents"]
    assert [i["filename"] for i in items] == ["tower.txt", "paper.txt"]
    assert all(i["job_id"] and not i["duplicate"] for i in items)
    docs = [wait_terminal(client, i["document_id"]) for i in items]
    assert [d["status"] for d in docs] == ["ready", "ready"]
    assert docs[0]["pages"] == 1 and docs[0]["chunk_count"] >= 1 and docs[0]["progress"]["stage"] == "done"

    hits = wait_searchable(client, "東京タワーの高さ", docs[0]["id"])
    top = hits[0]
    assert top["document_id"] == docs[0]["id"] and top["page"] == 1 and top["title"] == "tower.txt"
    assert "333" in top["text"] and top["char_end"] > top["char_start"]

    original = client.get(f"/api/v1/documents/{docs[0]['id']}/file")
    assert original.status_code == 200 and original.content == TXT_JA.encode()

    assert client.delete(f"/api/v1/documents/{docs[0]['id']}").status_code == 204
    # Gone from search at once, not at the next sync.
    passages = client.post("/api/v1/search", json={"query": "東京タワーの高さ", "k": 3}).json()["passages"]
    assert all(p["document_id"] != docs[0]["id"] for p in passages)
    assert client.get(f"/api/v1/documents/{docs[0]['id']}").json()["code"] == "document_not_found"


def test_duplicate_upload_is_reported_not_ingested_twice(client: TestClient) -> None:
    first = upload(client, ("a.txt", TXT_EN.encode())).json()["documents"][0]
    second = upload(client, ("copy-of-a.txt", TXT_EN.encode())).json()["documents"][0]
    assert second["duplicate"] and second["job_id"] is None and second["document_id"] == first["document_id"]
    listed = client.get("/api/v1/collections/default/documents").json()
    assert len(listed) == 1


def test_bad_file_fails_with_reason_and_worker_keeps_going(client: TestClient) -> None:
    items = upload(
        client,
        ("empty.pdf", b""),
        ("fake.pdf", b"\xff\xd8\xff\xe0" + b"\x00" * 100),
        ("ok.txt", b"Hello world. Shiori works."),
    ).json()["documents"]
    empty, fake, ok = (wait_terminal(client, i["document_id"]) for i in items)
    assert empty["status"] == "failed" and "empty" in empty["error"].lower()
    assert fake["status"] == "failed" and "jpeg" in fake["error"].lower()
    assert empty["chunk_count"] == 0 and fake["chunk_count"] == 0
    assert ok["status"] == "ready"


def test_upload_over_limit_is_413_and_leaves_nothing(client: TestClient) -> None:
    r = upload(client, ("big.txt", b"x" * 5000))
    assert r.status_code == 413 and r.json()["code"] == "file_too_large"
    assert client.get("/api/v1/collections/default/documents").json() == []


def raw_upload(client: TestClient, filename: bytes, data: bytes) -> Any:
    """A hand-built multipart body: HTTP clients escape hostile names, attackers don't."""
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="' + filename + b'"\r\n'
        b"Content-Type: text/plain\r\n\r\n" + data + b"\r\n--XyZ--\r\n"
    )
    return client.post(
        "/api/v1/collections/default/documents",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )


@pytest.mark.parametrize(
    "name", [b"../etc/passwd", b"a/b.txt", b"bad\x07name.txt", b"..\\x.txt", b"tab\tname"]
)
def test_hostile_filenames_are_refused(client: TestClient, name: bytes) -> None:
    r = raw_upload(client, name, b"hello")
    assert r.status_code == 422 and r.json()["code"] == "invalid_filename"
    assert client.get("/api/v1/collections/default/documents").json() == []


def test_collections_and_error_shape(client: TestClient) -> None:
    r = client.post("/api/v1/collections", json={"name": "論文"})
    assert r.status_code == 201 and r.json()["name"] == "論文"
    assert client.post("/api/v1/collections", json={"name": "論文"}).json()["code"] == "collection_exists"
    assert (
        client.post("/api/v1/collections", json={"name": "a/b"}).json()["code"] == "invalid_collection_name"
    )
    names = [c["name"] for c in client.get("/api/v1/collections").json()]
    assert names == sorted(["default", "論文"])
    r = client.post("/api/v1/search", json={"query": "x", "collection": "nope"})
    assert r.status_code == 404 and set(r.json()) == {"detail", "code"}
    r = client.post("/api/v1/search", json={"query": "", "k": 0})
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    r = upload(client, ("a.txt", b"x"), collection="nope")
    assert r.status_code == 404 and r.json()["code"] == "collection_not_found"
    assert client.get("/api/v1/documents/999/file").status_code == 404


def test_utf8_filename_and_malformed_body(client: TestClient) -> None:
    r = raw_upload(client, "論文メモ.txt".encode(), "本文です。".encode())
    assert r.status_code == 202 and r.json()["documents"][0]["filename"] == "論文メモ.txt"
    r = client.post(
        "/api/v1/collections/default/documents",
        content=b'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\nabc',
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )
    assert r.status_code == 422 and r.json()["code"] == "malformed_multipart"
    r = client.post("/api/v1/collections/default/documents", json={"files": []})
    assert r.status_code == 422 and r.json()["code"] == "expected_multipart"


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_openapi_documents_the_upload_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/api/v1/collections/{collection}/documents"]["post"]["requestBody"]
    assert "multipart/form-data" in body["content"]


def test_database_outage_is_503_with_retry_after(client: TestClient) -> None:
    from sqlalchemy.exc import OperationalError

    container = client.app.state.container  # type: ignore[attr-defined]

    def down(*_: object, **__: object) -> None:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    real = container.factory
    container.factory = down
    try:
        r = client.get("/api/v1/collections/default/documents")
    finally:
        container.factory = real
    assert r.status_code == 503 and r.json()["code"] == "database_unavailable", r.text
    assert int(r.headers["Retry-After"]) > 0
    assert client.get("/api/v1/collections/default/documents").status_code == 200  # and back


def test_a_document_is_searchable_as_soon_as_it_is_ready(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> None:
    """The embedded worker wakes the index sync when it finishes a document: a question asked the
    moment the list says `ready` finds it, even with a long polling interval (the sync loop starts
    by waiting out its 60 s: only that wake-up can make the document searchable within 2 s)."""
    settings = make_settings(sqlite_url, worker={"embedded": True}, index={"sync_interval_s": 60})
    with api_client(create_app(settings)) as client:
        doc_id = upload(client, ("tower.txt", TXT_JA.encode())).json()["documents"][0]["document_id"]
        assert wait_terminal(client, doc_id)["status"] == "ready"
        wait_searchable(client, "東京タワー", doc_id, timeout=2)
