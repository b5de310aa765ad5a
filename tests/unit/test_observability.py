"""Observability: Prometheus metrics, request ids on responses and in every log line, JSON logs."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.api.app import create_app
from app.core.generation.fake import FakeGenerator
from app.core.logs import JsonFormatter, TextFormatter, request_id_var
from app.core.metrics import Metrics
from tests.support.apps import settings_for
from tests.support.http import api_client

pytestmark = pytest.mark.unit

TEXT = "The observatory telescope has a mirror of 8 metres. It was built in 1999.\n"
SCRIPT = ["The ", "mirror ", "is ", "8 ", "metres ", "[1]", "."]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(all_samples: dict[Any, float], name: str, **labels: str) -> float:
    return all_samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = settings_for(tmp_path / "data", auth={"mode": "disabled"})
    with api_client(create_app(settings, generator=FakeGenerator(SCRIPT))) as c:
        yield c


def ingest(client: TestClient, *files: tuple[str, bytes]) -> list[dict[str, Any]]:
    r = client.post("/api/v1/collections/default/documents", files=[("files", f) for f in files])
    ids = [d["document_id"] for d in r.json()["documents"]]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        docs = [client.get(f"/api/v1/documents/{i}").json() for i in ids]
        if all(d["status"] in ("ready", "failed") for d in docs):
            return docs
        time.sleep(0.05)
    raise AssertionError("ingestion did not finish")


def test_metrics_cover_requests_retrieval_generation_ingestion_and_index(client: TestClient) -> None:
    docs = ingest(client, ("scope.txt", TEXT.encode()), ("empty.txt", b""))
    assert [d["status"] for d in docs] == ["ready", "failed"]
    deadline = time.monotonic() + 10  # the index syncs in the background
    while not client.post("/api/v1/search", json={"query": "mirror"}).json()["passages"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    answer = client.post("/api/v1/ask", json={"question": "How large is the mirror?"})
    assert answer.status_code == 200
    tokens = answer.json()["timings"]["tokens"]
    client.get(f"/api/v1/documents/{docs[0]['id']}")
    client.get("/api/v1/documents/987654")

    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    s = samples(r.text)
    # Latency per route template, not per raw path (ids would explode the label set).
    assert value(s, "shiori_http_request_duration_seconds_count", method="POST", route="/api/v1/search") >= 1
    route = "/api/v1/documents/{document_id}"
    assert value(s, "shiori_http_requests_total", method="GET", route=route, status="200") >= 1
    assert value(s, "shiori_http_requests_total", method="GET", route=route, status="404") == 1
    assert not any("987654" in str(labels) for _, labels in s)
    assert value(s, "shiori_retrieval_duration_seconds_count", source="search") >= 1
    assert value(s, "shiori_retrieval_duration_seconds_count", source="ask") == 1
    assert value(s, "shiori_generation_ttft_seconds_count") == 1
    assert value(s, "shiori_generation_tokens_per_second_count") == 1
    assert value(s, "shiori_generated_tokens_total") == tokens > 0
    assert value(s, "shiori_answers_total", outcome="answered") == 1
    assert value(s, "shiori_generation_queue_depth") == 0
    assert value(s, "shiori_generation_slots") == 1
    assert value(s, "shiori_ingested_documents_total") == 1
    assert value(s, "shiori_ingested_pages_total") == 1
    assert value(s, "shiori_ingestion_pages_per_second_count") == 1
    assert value(s, "shiori_ingest_job_failures_total", reason="unreadable_document") == 1
    assert value(s, "shiori_index_chunks") >= 1 and value(s, "shiori_index_documents") == 1


def test_metrics_need_an_admin_key_when_auth_is_on(tmp_path: Path) -> None:
    from tests.support.apps import add_key

    settings = settings_for(tmp_path / "data", worker={"embedded": False})
    reader, admin = add_key(settings, "reader"), add_key(settings, "admin")
    with api_client(create_app(settings)) as c:
        assert c.get("/metrics").status_code == 401
        assert c.get("/metrics", headers={"X-API-Key": reader}).status_code == 403
        assert c.get("/metrics", headers={"X-API-Key": admin}).status_code == 200
    public = settings_for(tmp_path / "data", worker={"embedded": False}, metrics={"public": True})
    with api_client(create_app(public)) as c:
        assert c.get("/metrics").status_code == 200


def test_worker_metrics_server(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    metrics = Metrics()
    metrics.observe_ingest(pages=3, chunks=5, seconds=0.5)
    metrics.observe_job_failure("too_many_pages")
    metrics.serve(port, "127.0.0.1")
    s = samples(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
    assert value(s, "shiori_ingested_pages_total") == 3
    assert value(s, "shiori_ingestion_pages_per_second_sum") == 6.0
    assert value(s, "shiori_ingest_job_failures_total", reason="too_many_pages") == 1


# ---- request ids and logs ------------------------------------------------------------------------------
def test_request_id_is_made_or_passed_through(client: TestClient) -> None:
    made = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/healthz").headers["x-request-id"] != made
    assert (
        client.get("/healthz", headers={"X-Request-ID": "lb-42.a:b"}).headers["x-request-id"] == "lb-42.a:b"
    )
    # Ids that could forge log lines or flood them are replaced.
    for bad in ("a b", "x" * 129, "id\u00e9".encode("latin-1")):
        got = client.get("/healthz", headers={"X-Request-ID": bad}).headers["x-request-id"]
        assert got != bad and re.fullmatch(r"[0-9a-f]{32}", got)
    # Errors carry it too.
    r = client.get("/api/v1/documents/5555", headers={"X-Request-ID": "req-404"})
    assert r.status_code == 404 and r.headers["x-request-id"] == "req-404"


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield out
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_every_log_line_of_a_request_carries_its_id(tmp_path: Path, json_log: io.StringIO) -> None:
    settings = settings_for(tmp_path / "data", auth={"mode": "disabled"}, worker={"embedded": False})
    app = create_app(settings, generator=FakeGenerator(SCRIPT))
    probe = logging.getLogger("shiori.probe")

    @app.get("/probe-sync")
    def probe_sync() -> dict[str, str]:  # a plain def: runs in the thread pool
        probe.info("inside a sync route", extra={"detail_field": 7})
        return {"ok": "yes"}

    with api_client(app) as c:
        json_log.truncate(0)
        json_log.seek(0)
        assert c.get("/probe-sync", headers={"X-Request-ID": "trace-1"}).status_code == 200
        c.post(
            "/api/v1/ask", json={"question": "mirror?", "stream": True}, headers={"X-Request-ID": "trace-2"}
        )
    lines = [json.loads(line) for line in json_log.getvalue().splitlines() if line.strip()]
    inside = [x for x in lines if x["message"] == "inside a sync route"]
    assert inside and inside[0]["request_id"] == "trace-1" and inside[0]["detail_field"] == 7
    access = [x for x in lines if x["logger"] == "shiori.access"]
    assert {x["request_id"] for x in access} == {"trace-1", "trace-2"}
    assert any("route=/api/v1/ask" in x["message"] and "status=200" in x["message"] for x in access)
    assert all({"time", "level", "logger", "message"} <= set(x) for x in lines)


def test_formatters() -> None:
    record = logging.LogRecord("shiori.x", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    token = request_id_var.set("rid-9")
    try:
        text = TextFormatter().format(record)
        data = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert text.endswith("WARNING shiori.x hello world request_id=rid-9")
    assert data["message"] == "hello world" and data["request_id"] == "rid-9" and data["level"] == "WARNING"
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    out = json.loads(JsonFormatter().format(failed))
    assert "ValueError: boom" in out["exception"] and "request_id" not in out


def test_shiori_serve_writes_json_lines_with_request_ids(tmp_path: Path) -> None:
    """The real entrypoint: SHIORI_LOG__FORMAT=json makes every line JSON, uvicorn's own included."""
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import REPO
    from tests.support.server import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIORI_")}
    env.update(
        {
            "SHIORI_PATHS__DATA_DIR": str(tmp_path / "data"),
            "SHIORI_EMBEDDING__BACKEND": "fake",
            "SHIORI_GENERATOR__BACKEND": "fake",
            "SHIORI_KEYWORD__ANALYZER": "fake",
            "SHIORI_LOG__FORMAT": "json",
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None and time.monotonic() < deadline
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/collections", headers={"X-Request-ID": "e2e-77"})
        assert r.status_code == 200 and r.headers["x-request-id"] == "e2e-77"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]  # all JSON
    assert any(x["logger"].startswith("uvicorn") for x in lines)
    access = [x for x in lines if x.get("request_id") == "e2e-77"]
    assert access and "route=/api/v1/collections" in access[0]["message"]


def test_text_log_lines_cannot_be_forged_with_control_characters() -> None:
    """A URL-decoded path with %0a (or a file name with an ANSI escape) stays on its own line."""
    forged = "GET /x\n2026-01-01 00:00:00,000 INFO shiori.access GET /admin status=200\r\x1b[2J\u2028"
    record = logging.LogRecord("shiori.access", logging.INFO, __file__, 1, "%s status=404", (forged,), None)
    token = request_id_var.set("rid\nfake")
    try:
        text = TextFormatter().format(record)
    finally:
        request_id_var.reset(token)
    assert len(text.splitlines()) == 1 and "\x1b" not in text and "\u2028" not in text
    assert "GET /x\\n2026-01-01" in text and "\\r\\x1b[2J\\u2028 status=404" in text
    assert text.endswith("request_id=rid\\nfake")
    # A traceback still follows on its own lines.
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "bad\nline", (), sys.exc_info())
    lines = TextFormatter().format(failed).splitlines()
    assert lines[0].endswith("bad\\nline") and lines[-1] == "ValueError: boom"
