"""POST /api/v1/search options: mode, filters, and which retriever found each passage with what score."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.core.settings import Settings
from tests.support.http import api_client, upload, wait_searchable, wait_terminal

pytestmark = pytest.mark.unit

TOWER = "東京タワーは1958年に完成した電波塔である。高さは333メートルである。\n"
PAPER = "The Transformer architecture was introduced in the paper Attention Is All You Need.\n"


@pytest.fixture
def client(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[TestClient]:
    settings = make_settings(sqlite_url, worker={"embedded": True})
    with api_client(create_app(settings)) as c:
        yield c


def test_modes_filters_and_scores(client: TestClient) -> None:
    items = upload(client, ("tower.txt", TOWER.encode()), ("paper.txt", PAPER.encode())).json()["documents"]
    tower, paper = (wait_terminal(client, i["document_id"])["id"] for i in items)
    wait_searchable(client, "Transformer", paper)

    r = client.post("/api/v1/search", json={"query": "東京タワーの高さ", "k": 2})
    body = r.json()
    assert r.status_code == 200 and body["mode"] == "hybrid" and body["reranked"] is False
    top = body["passages"][0]
    assert top["document_id"] == tower and top["retriever"] == "dense+keyword"
    assert top["keyword_score"] > 0 and -1 <= top["dense_score"] <= 1 and top["rerank_score"] is None

    kw = client.post("/api/v1/search", json={"query": "Transformer", "mode": "keyword"}).json()
    assert [p["document_id"] for p in kw["passages"]] == [paper]
    assert kw["passages"][0]["retriever"] == "keyword" and kw["passages"][0]["dense_score"] is None

    dense = client.post("/api/v1/search", json={"query": "Transformer", "mode": "dense", "k": 5}).json()
    assert {p["retriever"] for p in dense["passages"]} == {"dense"} and len(dense["passages"]) == 2

    only = client.post("/api/v1/search", json={"query": "Transformer", "document_ids": [tower]}).json()
    assert [p["document_id"] for p in only["passages"]] == [tower]
    assert client.post("/api/v1/search", json={"query": "Transformer", "pages": [2]}).json()["passages"] == []

    bad = client.post("/api/v1/search", json={"query": "x", "mode": "fuzzy"})
    assert bad.status_code == 422
    no_reranker = client.post("/api/v1/search", json={"query": "x", "rerank": True})
    assert no_reranker.status_code == 422 and no_reranker.json()["code"] == "rerank_unavailable"
