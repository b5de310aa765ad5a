"""Limits (rate per caller, upload count, pages, question length, k) and CORS, each with a clear error."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.core.generation.fake import FakeGenerator
from app.core.ratelimit import RateLimiter, retry_after_header
from tests.support.apps import add_key, settings_for
from tests.support.http import api_client, started_clients

pytestmark = pytest.mark.unit


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Any]:
    with started_clients() as start:
        made = iter(range(100))

        def make(**overrides: Any) -> TestClient:
            overrides.setdefault("auth", {"mode": "disabled"})
            settings = settings_for(tmp_path / f"data{next(made)}", **overrides)
            return start(create_app(settings, generator=FakeGenerator()))

        yield make


# ---- rate limit --------------------------------------------------------------------------------------
def test_token_bucket_refills_at_the_configured_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=2, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(2)] == [0.0, 0.0]
    assert limiter.take("a") == pytest.approx(1.0)  # one token a second
    assert limiter.take("b") == 0.0  # callers don't share a bucket
    now[0] = 0.5
    assert limiter.take("a") == pytest.approx(0.5)
    now[0] = 1.0
    assert limiter.take("a") == 0.0
    assert RateLimiter(per_minute=0, burst=1).take("a") == 0.0  # 0 = off
    assert retry_after_header(0.01) == 1 and retry_after_header(2.2) == 3


def test_memory_stays_bounded_under_many_callers() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=1, clock=lambda: now[0], max_callers=100)
    for i in range(1000):
        now[0] += 0.001
        limiter.take(f"ip:{i}")
    assert len(limiter._buckets) <= 100


def test_rate_limit_is_429_with_retry_after_per_client(make_client: Any) -> None:
    client = make_client(limits={"rate_per_minute": 6, "rate_burst": 3})
    codes = [client.get("/api/v1/collections").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = client.get("/api/v1/collections")
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["retry-after"]) <= 10
    assert client.get("/healthz").status_code == 200  # probes are never limited
    assert client.get("/readyz").status_code == 200


def test_rate_limit_counts_each_key_apart(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path / "data", limits={"rate_per_minute": 6, "rate_burst": 2}, worker={"embedded": False}
    )
    a, b = add_key(settings, "reader"), add_key(settings, "reader")
    with api_client(create_app(settings)) as client:
        ha, hb = {"X-API-Key": a}, {"X-API-Key": b}
        assert [client.get("/api/v1/collections", headers=ha).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]
        assert client.get("/api/v1/collections", headers=hb).status_code == 200
        # Wrong keys are charged to the address: guessing is rate-limited too.
        wrong = {"X-API-Key": "shk_" + "y" * 43}
        assert [client.get("/api/v1/collections", headers=wrong).status_code for _ in range(3)] == [
            401,
            401,
            429,
        ]


# ---- request limits ----------------------------------------------------------------------------------
def test_question_length_and_k_limits(make_client: Any) -> None:
    client = make_client(limits={"max_query_chars": 20, "max_k": 7})
    r = client.post("/api/v1/ask", json={"question": "x" * 21})
    assert r.status_code == 422 and r.json()["code"] == "question_too_long"
    r = client.post("/api/v1/search", json={"query": "x" * 21})
    assert r.status_code == 422 and r.json()["code"] == "query_too_long"
    r = client.post("/api/v1/search", json={"query": "x", "k": 8})
    assert r.status_code == 422 and r.json()["code"] == "k_too_large" and "7" in r.json()["detail"]
    msgs = [{"role": "user", "content": "y" * 21}]
    r = client.post("/v1/chat/completions", json={"messages": msgs})
    assert r.status_code == 422 and r.json()["code"] == "question_too_long"


def test_files_per_upload_limit(make_client: Any) -> None:
    client = make_client(limits={"max_files_per_upload": 2})
    files = [("files", (f"f{i}.txt", b"hello world")) for i in range(3)]
    r = client.post("/api/v1/collections/default/documents", files=files)
    assert r.status_code == 413 and r.json()["code"] == "too_many_files" and "2" in r.json()["detail"]
    assert client.get("/api/v1/collections/default/documents").json() == []


def test_pages_per_document_limit_fails_the_document_with_the_reason(make_client: Any) -> None:
    client = make_client(limits={"max_pages": 2})
    text = "\f".join(f"Page {i} says something about topic {i}." for i in range(3)).encode()
    ok = b"One page only."
    r = client.post(
        "/api/v1/collections/default/documents",
        files=[("files", ("three.txt", text)), ("files", ("one.txt", ok))],
    )
    ids = [d["document_id"] for d in r.json()["documents"]]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = [client.get(f"/api/v1/documents/{i}").json() for i in ids]
        if all(d["status"] in ("ready", "failed") for d in got):
            break
        time.sleep(0.05)
    three, one = got
    assert three["status"] == "failed" and "limit is 2 pages" in three["error"], three
    assert three["chunk_count"] == 0 and one["status"] == "ready"


# ---- CORS --------------------------------------------------------------------------------------------
def preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/api/v1/search",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )


def test_cors_is_off_by_default(make_client: Any) -> None:
    client = make_client()
    assert "access-control-allow-origin" not in preflight(client, "https://evil.example").headers
    r = client.get("/api/v1/collections", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_allows_only_the_configured_origins(make_client: Any) -> None:
    client = make_client(cors={"allow_origins": ["https://app.example"]})
    ok = preflight(client, "https://app.example")
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://app.example"
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in preflight(client, "https://evil.example").headers
    r = client.get("/api/v1/collections", headers={"Origin": "https://app.example"})
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-request-id" in r.headers["access-control-expose-headers"].lower()


def test_chat_completions_has_the_same_conversation_limits_as_ask(make_client: Any) -> None:
    client = make_client()
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": "ok"} for i in range(51)]
    ask = {"question": "x", "history": turns[:51]}
    assert client.post("/api/v1/ask", json=ask).status_code == 422  # 51 earlier messages
    r = client.post("/v1/chat/completions", json={"messages": [*turns, {"role": "user", "content": "q?"}]})
    assert r.status_code == 422 and r.json()["code"] == "history_too_long"
    many = [{"role": "system", "content": "s"}] * 200 + [{"role": "user", "content": "q?"}]
    assert client.post("/v1/chat/completions", json={"messages": many}).status_code == 422
    big = [{"role": "assistant", "content": "z" * 20_001}, {"role": "user", "content": "q?"}]
    r = client.post("/v1/chat/completions", json={"messages": big})
    assert r.status_code == 422 and r.json()["code"] == "message_too_long"
    assert client.post("/api/v1/ask", json={"question": "q?", "history": big[:1]}).status_code == 422


def test_a_follow_up_joined_with_the_previous_question_stays_within_the_query_limit() -> None:
    from app.core.followup import standalone_query

    history: list[Any] = [{"role": "user", "content": "東京タワー" * 400}]  # 2,000 characters
    query = standalone_query("それはいつ？", history, max_chars=100)
    assert (
        len(query) == 100 and query.endswith(" それはいつ？") and query.startswith("タワー東京タワー")
    )  # the last 93 characters of it
    assert standalone_query("それはいつ？", history).endswith("東京タワー それはいつ？")
    assert standalone_query("x" * 120, history, max_chars=100) == "x" * 120  # needs no context: unchanged
