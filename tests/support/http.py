"""The in-process HTTP client every API test uses, and what tests do with it over and over."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.sse import parse_sse
from tests.support.waiting import wait_until

# A loopback name the server accepts by default (server.allowed_hosts): Starlette's own default,
# `testserver`, is refused like any other unknown Host (DNS rebinding, #16).
LOCAL_BASE_URL = "http://localhost"


def api_client(app: FastAPI, **kwargs: Any) -> TestClient:
    kwargs.setdefault("base_url", LOCAL_BASE_URL)
    return TestClient(app, **kwargs)


@contextmanager
def started_clients() -> Iterator[Callable[[FastAPI], TestClient]]:
    """``start(app)`` runs the app's lifespan and returns its client; every one is shut down at the
    end (for fixtures that make several apps in one test)."""
    clients: list[TestClient] = []

    def start(app: FastAPI) -> TestClient:
        client = api_client(app)
        client.__enter__()
        clients.append(client)
        return client

    try:
        yield start
    finally:
        for client in clients:
            client.__exit__(None, None, None)


def upload(client: TestClient, *files: tuple[str, bytes], collection: str = "default") -> Any:
    return client.post(
        f"/api/v1/collections/{collection}/documents",
        files=[("files", (name, data, "application/octet-stream")) for name, data in files],
    )


def wait_terminal(client: TestClient, doc_id: int, timeout: float = 20) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        doc = client.get(f"/api/v1/documents/{doc_id}").json()
        return dict(doc) if doc["status"] in ("ready", "failed") else None

    return wait_until(finished, timeout, message=f"document {doc_id} to finish")


def wait_searchable(client: TestClient, query: str, doc_id: int, timeout: float = 10) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]] | None:
        passages = client.post("/api/v1/search", json={"query": query, "k": 3}).json()["passages"]
        return list(passages) if any(p["document_id"] == doc_id for p in passages) else None

    return wait_until(found, timeout, message=f"document {doc_id} to be searchable")


TOWER = "東京タワーは1958年に完成した電波塔である。高さは333メートルである。\n"


def ask_about_the_tower(client: TestClient, question: str = "東京タワーの高さは？") -> list[tuple[str, Any]]:
    """Upload the one-fact tower page, wait until it is searchable, and stream the answer to
    ``question`` (「東京タワーの高さは？」): the events as (name, data)."""
    doc_id = upload(client, ("tower.txt", TOWER.encode())).json()["documents"][0]["document_id"]
    wait_terminal(client, doc_id)
    wait_searchable(client, "東京タワーの高さ", doc_id)
    r = client.post("/api/v1/ask", json={"question": question, "stream": True})
    return parse_sse(r.text)
