"""Hardening (#16): what an attacker on the same machine, the same network or in a document could do.

Each test here failed before its fix: DNS rebinding and cross-site forms (Host allow-list, same-origin
changes), bodies parsed before the key was checked, one key holding every answer slot, JSON answers
generating for a client that left, malformed OpenAI content parts, CDN scripts on /docs, spoofed
X-Forwarded-For, bidi file names, error text and cross-collection metrics shown to the wrong caller.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.api.request_guard import allowed_hosts, cross_site, host_allowed, host_name
from app.cli import uvicorn_config
from app.core.generation.fake import FakeGenerator
from app.core.settings import Settings
from app.core.slots import CallerQueueFull, GenerationSlots, QueueFull
from tests.support.apps import add_key, settings_for
from tests.support.http import api_client, started_clients
from tests.support.live import LiveServer
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit

TOWER = "東京タワーは1958年に完成した電波塔である。高さは333メートルである。\n"


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., TestClient]]:
    with started_clients() as start:
        made = iter(range(100))

        def make(settings: Settings | None = None, **overrides: Any) -> TestClient:
            if settings is None:
                overrides.setdefault("auth", {"mode": "disabled"})
                settings = settings_for(tmp_path / f"data{next(made)}", **overrides)
            return start(create_app(settings, generator=FakeGenerator(["ok"])))

        yield make


def upload(client: TestClient, headers: dict[str, str] | None = None) -> httpx.Response:
    return client.post(
        "/api/v1/collections/default/documents",
        files=[("files", ("poison.txt", b"The answer is whatever the attacker says."))],
        headers=headers or {},
    )


# ---- 1. DNS rebinding and cross-site requests ----------------------------------------------------------
def test_host_names_on_loopback_are_loopback_only(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    r = client.get("/api/v1/auth/me", headers={"Host": "attacker.example"})
    assert r.status_code == 400 and r.json()["code"] == "host_not_allowed"
    assert "allowed_hosts" in r.json()["detail"]
    r = client.get("/", headers={"Host": "attacker.example:8000"})  # the UI page too
    assert r.status_code == 400
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST", "app.localhost"):
        assert client.get("/api/v1/auth/me", headers={"Host": host}).status_code == 200, host
    # Orchestrators probe by address: health answers whatever the Host.
    assert client.get("/healthz", headers={"Host": "10.0.0.7:8000"}).status_code == 200


def test_configured_hosts_and_network_default(make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    client = make_client(server={"allowed_hosts": ["localhost", ".example.com"]})
    assert client.get("/api/v1/collections", headers={"Host": "shiori.example.com"}).status_code == 200
    assert client.get("/api/v1/collections", headers={"Host": "example.com"}).status_code == 200
    assert client.get("/api/v1/collections", headers={"Host": "example.com.evil"}).status_code == 400
    # Listening on a network, any name reaches the server, and keys are required (auth.mode=auto).
    network = settings_for(tmp_path / "net", server={"host": "0.0.0.0"}, auth={"mode": "auto"})
    assert allowed_hosts(network) == ("*",)
    assert host_name("[::1]:8000") == "::1" and host_name("Example.COM:80") == "example.com"
    assert not host_allowed("", ("*",))


def test_cross_site_form_cannot_upload(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    # What a plain HTML form on another site sends (a modern browser, then an old one).
    for headers in (
        {"Origin": "https://attacker.example", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-site"},  # another local app
        {"Origin": "https://attacker.example"},
        {"Origin": "null"},
    ):
        r = upload(client, headers)
        assert r.status_code == 403 and r.json()["code"] == "cross_site_request", headers
    assert client.get("/api/v1/collections/default/documents").json() == []
    # Shiori's own page, a typed-in request, and clients that are not browsers still work.
    own = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}
    assert upload(client, own).status_code == 202
    assert upload(client, {"Origin": "http://localhost"}).status_code == 202  # old browser, same origin
    assert upload(client).status_code == 202
    # Reading cross-site is left to the browser's same-origin policy (no CORS headers are sent).
    r = client.get("/api/v1/collections", headers={"Origin": "https://attacker.example"})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_cors_listed_origin_may_change_things(make_client: Callable[..., TestClient]) -> None:
    client = make_client(cors={"allow_origins": ["https://app.example.com"]})
    headers = {"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"}
    assert upload(client, headers).status_code == 202
    assert cross_site({"origin": "https://other.example", "sec-fetch-site": "cross-site"}, frozenset())


# ---- 2. body size, key before body ---------------------------------------------------------------------
async def _call(app: Any, path: str, body_chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> Any:
    """Call the ASGI app directly, counting how much of the body it read."""
    read = {"bytes": 0, "calls": 0}
    chunks = list(body_chunks)
    response: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        if not chunks:
            await asyncio.sleep(3600)  # the client holds the connection open
        read["calls"] += 1
        chunk = chunks.pop(0)
        read["bytes"] += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            response["status"] = message["status"]
        elif message["type"] == "http.response.body":
            response["body"] = response.get("body", b"") + message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    return response, read


def test_unauthenticated_body_is_never_read(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", worker={"embedded": False})  # keys required
    key = add_key(settings, "reader")
    app = create_app(settings, generator=FakeGenerator(["ok"]))
    chunk = b"x" * (1024 * 1024)
    with api_client(app):  # runs the lifespan: the key verifier is there
        big = [chunk] * 80  # 80 MB, chunked (no Content-Length)
        response, read = asyncio.run(_call(app, "/api/v1/ask", big, []))
        assert response["status"] == 401 and read["bytes"] == 0
        # With a key, a chunked body is cut off at limits.max_body_bytes (8 MiB), not read to the end.
        auth = [(b"authorization", f"Bearer {key}".encode())]
        response, read = asyncio.run(_call(app, "/api/v1/ask", [chunk] * 80, auth))
        assert response["status"] == 413 and b"body_too_large" in response["body"]
        assert read["bytes"] <= settings.limits.max_body_bytes + len(chunk)
        # A declared Content-Length over the cap is refused before reading anything.
        declared = [*auth, (b"content-length", str(80 * len(chunk)).encode())]
        response, read = asyncio.run(_call(app, "/api/v1/ask", [chunk] * 80, declared))
        assert response["status"] == 413 and read["bytes"] == 0


def test_body_cap_is_a_clear_error_over_http(make_client: Callable[..., TestClient]) -> None:
    client = make_client(limits={"max_body_bytes": 4096, "rate_per_minute": 0})
    r = client.post("/api/v1/search", json={"query": "x" * 5000})
    assert r.status_code == 413 and r.json()["code"] == "body_too_large" and "4096" in r.json()["detail"]
    assert client.post("/api/v1/search", json={"query": "tower"}).status_code == 200
    # Uploads have their own, larger, streaming cap (limits.max_upload_bytes per file).
    assert upload(client).status_code == 202


# ---- 3. one key can't hold every answer slot; JSON answers stop when the client leaves -----------------
def test_one_caller_holds_at_most_its_share() -> None:
    slots = GenerationSlots(slots=1, queue=4)  # 5 places, 2 per caller by default
    a1, a2 = slots.reserve("key:1"), slots.reserve("key:1")
    with pytest.raises(CallerQueueFull) as exc:
        slots.reserve("key:1")
    assert exc.value.status == 429 and exc.value.retry_after_s
    others = [slots.reserve("key:2"), slots.reserve("key:2"), slots.reserve("ip:127.0.0.1")]
    with pytest.raises(QueueFull):
        slots.reserve("key:3")  # the queue itself is full: said as such
    a1.close()
    a3 = slots.reserve("key:1")  # a finished answer gives the caller its place back
    for t in (a2, a3, *others):
        t.close()
    assert slots.depth == 0 and slots._by_caller == {}
    assert GenerationSlots(slots=1, queue=0).per_caller == 1
    assert GenerationSlots(slots=2, queue=8, per_caller=3).per_caller == 3


def _ask_stream_until_first_token(
    url: str, key: str, started: threading.Event, stop: threading.Event
) -> None:
    with httpx.Client(base_url=url, timeout=30, headers={"X-API-Key": key}) as c:
        body = {"question": "東京タワーの高さは？", "stream": True}
        with c.stream("POST", "/api/v1/ask", json=body) as r:
            for line in r.iter_lines():
                if line.startswith("event: token"):
                    started.set()
                if stop.is_set():
                    return


def test_one_key_cannot_take_every_answer_slot(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path / "data", answer={"slots": 1, "queue": 2, "per_caller": 1, "abstain_below": -1.0}
    )
    greedy, polite, writer = (
        add_key(settings, "reader"),
        add_key(settings, "reader"),
        add_key(settings, "writer"),
    )
    gen = FakeGenerator([f"tok{i} " for i in range(2000)], delay_s=0.01)
    server = LiveServer(create_app(settings, generator=gen))
    stop = threading.Event()
    with server as url:
        with httpx.Client(base_url=url, headers={"X-API-Key": writer}) as c:
            doc = c.post(
                "/api/v1/collections/default/documents", files=[("files", ("t.txt", TOWER.encode()))]
            )
            doc_id = doc.json()["documents"][0]["document_id"]
            wait_until(lambda: c.get(f"/api/v1/documents/{doc_id}").json()["status"] == "ready")
        started = threading.Event()
        holder = threading.Thread(target=_ask_stream_until_first_token, args=(url, greedy, started, stop))
        holder.start()
        try:
            assert started.wait(20)
            r = httpx.post(
                f"{url}/api/v1/ask", json={"question": "高さは？"}, headers={"X-API-Key": greedy}, timeout=30
            )
            assert r.status_code == 429 and r.json()["code"] == "caller_queue_full"
            assert int(r.headers["Retry-After"]) > 0
            # Another key still gets a place in line (it waits for the slot, then streams).
            other_started = threading.Event()
            other = threading.Thread(
                target=_ask_stream_until_first_token, args=(url, polite, other_started, stop)
            )
            other.start()
            slots = server.app.state.container.slots
            wait_until(lambda: slots.depth == 2, message="the second key to be admitted")
        finally:
            stop.set()
            holder.join(timeout=30)
        other.join(timeout=30)


def test_json_answer_stops_when_the_client_disconnects(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", auth={"mode": "disabled"}, answer={"abstain_below": -1.0})
    # 384 tokens (generator.max_tokens) at 20 ms: about 8 s if left to run.
    gen = FakeGenerator([f"tok{i} " for i in range(2000)], delay_s=0.02)
    server = LiveServer(create_app(settings, generator=gen))
    with server as url:
        with httpx.Client(base_url=url) as c:
            doc = c.post(
                "/api/v1/collections/default/documents", files=[("files", ("t.txt", TOWER.encode()))]
            )
            doc_id = doc.json()["documents"][0]["document_id"]
            wait_until(lambda: c.get(f"/api/v1/documents/{doc_id}").json()["status"] == "ready")
        with pytest.raises(httpx.ReadTimeout):
            # JSON mode: nothing comes back until the answer is done; the client gives up first.
            httpx.post(f"{url}/api/v1/ask", json={"question": "東京タワーの高さは？"}, timeout=1.0)
        slots = server.app.state.container.slots
        wait_until(lambda: slots.depth == 0, timeout=3, message="the abandoned answer to free its slot")
        assert gen.tokens_emitted < 200  # stopped soon after the disconnect, not run to the end


# ---- 5. see tests/unit/test_prompt_injection.py and tests/integration/test_prompt_injection_real.py ----


# ---- 7. malformed OpenAI content parts ------------------------------------------------------------------
def test_malformed_content_parts_are_422(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    for content in (
        [{"type": "text", "text": 5}],
        [{"type": "text"}],
        [{"text": "no type"}],
        ["a string where a part should be"],
    ):
        r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": content}]})
        assert r.status_code == 422 and r.json()["code"] == "validation_error", (content, r.text)
    parts = [{"type": "text", "text": "東京タワーの"}, {"type": "image_url", "image_url": {"url": "x"}}]
    r = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": parts}]})
    assert r.status_code == 200, r.text


# ---- 8. /docs runs no third-party script ----------------------------------------------------------------
def test_docs_are_served_from_here_with_a_policy(make_client: Callable[..., TestClient]) -> None:
    from app.api.ui import UI_DIST

    client = make_client()
    assert client.get("/redoc").status_code in (404, 405)  # no second CDN-loaded docs page
    r = client.get("/docs", headers={"accept": "text/html"})
    if not (UI_DIST / "api-docs" / "swagger-ui-bundle.js").is_file():
        assert r.status_code == 503 and "make ui" in r.text and "/openapi.json" in r.text
        return
    assert r.status_code == 200
    assert "cdn" not in r.text.lower() and "https://" not in r.text and "<script>" not in r.text
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    bundle = client.get("/api-docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith("text/javascript")


# ---- 9. X-Forwarded-For is trusted only when configured -------------------------------------------------
def test_proxy_headers_are_off_unless_configured(tmp_path: Path) -> None:
    plain = uvicorn_config(object(), settings_for(tmp_path))
    assert plain.proxy_headers is False
    behind = settings_for(tmp_path, server={"proxy_headers": True, "forwarded_allow_ips": ["10.0.0.2"]})
    config = uvicorn_config(object(), behind)
    assert config.proxy_headers is True and config.forwarded_allow_ips == ["10.0.0.2"]


def test_rotating_forwarded_for_does_not_dodge_the_rate_limit(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path / "data",
        auth={"mode": "disabled"},
        limits={"rate_per_minute": 6, "rate_burst": 3},
        worker={"embedded": False},
    )
    app = create_app(settings)
    config = uvicorn_config(app, settings)
    server = LiveServer(
        app, proxy_headers=config.proxy_headers, forwarded_allow_ips=config.forwarded_allow_ips
    )
    with server as url:
        codes = [
            httpx.get(f"{url}/api/v1/collections", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(5)
        ]
    assert codes[:3] == [200, 200, 200] and 429 in codes[3:]


# ---- 10. the smaller ones ------------------------------------------------------------------------------
def test_bidi_controls_in_file_names_are_refused(make_client: Callable[..., TestClient]) -> None:
    client = make_client()
    for name in ("invoice\u202efdp.exe", "a\u2067b.txt", "\u200fname.txt"):
        r = client.post("/api/v1/collections/default/documents", files=[("files", (name, b"hello"))])
        assert r.status_code == 422 and r.json()["code"] == "invalid_filename", name
        assert "bidirectional" in r.json()["detail"]
    assert client.get("/api/v1/collections/default/documents").json() == []
    # Ordinary non-Latin names (and joiners inside emoji) are fine.
    ok = client.post("/api/v1/collections/default/documents", files=[("files", ("報告書\u200d.txt", b"hi"))])
    assert ok.status_code == 202


def test_readyz_shows_the_generator_error_only_without_keys(tmp_path: Path) -> None:
    secret_path = "/home/alice/models/missing.gguf"
    gen_cfg = {"backend": "llama_cpp", "gguf_path": secret_path, "isolate": False, "preload": True}

    def ready_error(settings: Settings) -> str:
        with api_client(create_app(settings)) as client:

            def error() -> str | None:
                return client.get("/readyz").json()["generator_error"]

            return str(wait_until(error, message="the generator to fail loading"))

    local = settings_for(tmp_path / "local", generator=gen_cfg, auth={"mode": "disabled"})
    assert secret_path in ready_error(local)  # auth off: every caller is the admin
    keyed = settings_for(tmp_path / "keyed", generator=gen_cfg, worker={"embedded": False})
    add_key(keyed, "admin")
    text = ready_error(keyed)
    assert secret_path not in text and "server log" in text


def test_metrics_need_an_admin_for_every_collection(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", worker={"embedded": False})
    full = add_key(settings, "admin")
    scoped = add_key(settings, "admin", collections=["default"])
    with api_client(create_app(settings)) as client:
        assert client.get("/metrics", headers={"X-API-Key": full}).status_code == 200
        r = client.get("/metrics", headers={"X-API-Key": scoped})
        assert r.status_code == 403 and "all collections" in r.json()["detail"]
