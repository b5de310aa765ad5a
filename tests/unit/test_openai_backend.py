"""The openai generator backend against a scripted OpenAI-compatible server (httpx MockTransport):
streaming, token counting through the server's endpoint or a local fallback, and failures."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.core.errors import GeneratorUnavailable, ModelUnavailable
from app.core.generation import GenerationOptions
from app.core.generation.openai_backend import OpenAIGenerator, estimate_tokens
from app.core.settings import OpenAIGeneratorSettings

pytestmark = pytest.mark.unit

MESSAGES: list[Any] = [{"role": "user", "content": "hi"}]


def sse(*texts: str) -> bytes:
    chunks = [{"choices": [{"index": 0, "delta": {"content": t}}]} for t in texts]
    return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"


def server(
    *, tokenize: str | None = "llama_cpp_python", tokens: tuple[str, ...] = ("Hello", " world")
) -> tuple[Callable[[httpx.Request], httpx.Response], list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        path = req.url.path
        if path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "qwen"}]})
        if path == "/extras/tokenize/count" and tokenize == "llama_cpp_python":
            return httpx.Response(200, json={"count": len(json.loads(req.content)["input"])})
        if path == "/tokenize" and tokenize == "llama.cpp":
            return httpx.Response(200, json={"tokens": list(json.loads(req.content)["content"])})
        if path == "/v1/chat/completions":
            return httpx.Response(200, content=sse(*tokens), headers={"content-type": "text/event-stream"})
        return httpx.Response(404, json={"error": "no route"})

    return handle, seen


def make(handler: Callable[[httpx.Request], httpx.Response], **cfg: Any) -> OpenAIGenerator:
    settings = OpenAIGeneratorSettings(base_url="http://gpu.local:8080/v1", **cfg)
    return OpenAIGenerator(settings, transport=httpx.MockTransport(handler))


def test_streams_the_chat_completion_and_sends_the_request_shape() -> None:
    handle, seen = server()
    gen = make(handle, api_key="sekret")
    gen.warm_up()
    assert gen.model_id == "qwen" and gen.status() == "loaded"
    out = list(gen.stream(MESSAGES, GenerationOptions(max_tokens=7, stop=("###",))))
    assert out == ["Hello", " world"]
    body = json.loads(seen[-1].content)
    assert body["model"] == "qwen" and body["stream"] is True and body["max_tokens"] == 7
    assert body["messages"] == MESSAGES and body["stop"] == ["###"] and body["temperature"] == 0.0
    assert seen[-1].headers["authorization"] == "Bearer sekret"


@pytest.mark.parametrize("kind", ["llama_cpp_python", "llama.cpp"])
def test_counts_tokens_with_the_servers_tokenizer(kind: str) -> None:
    handle, _ = server(tokenize=kind)
    gen = make(handle)
    gen.warm_up()
    assert gen.tokenizer_source.startswith("server") and gen.count_tokens("abcde") == 5


def test_without_a_tokenize_endpoint_a_local_tokenizer_or_an_estimate_is_used(tmp_path: Any) -> None:
    handle, _ = server(tokenize=None)
    gen = make(handle)
    gen.warm_up()
    assert (
        gen.tokenizer_source == "estimate"
        and gen.count_tokens("東京タワー") == estimate_tokens("東京タワー") == 5
    )

    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.WordLevel({"[UNK]": 0, "hello": 1, "world": 2}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(tmp_path / "tokenizer.json"))
    gen = make(handle, tokenizer_path=tmp_path)
    gen.warm_up()
    assert gen.tokenizer_source.startswith("local") and gen.count_tokens("hello big world") == 3


def test_server_down_is_generator_unavailable_with_retry_after() -> None:
    def refuse(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=req)

    gen = make(refuse)
    with pytest.raises(GeneratorUnavailable) as info:
        gen.check_available()
    assert info.value.code == "generator_unavailable" and info.value.retry_after_s
    assert gen.status() == "unreachable" and "not reachable" in info.value.detail


def test_server_gone_mid_stream_raises_after_the_tokens_it_sent() -> None:
    class Broken(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield b'data: {"choices": [{"delta": {"content": "Hel"}}]}\n\n'
            raise httpx.RemoteProtocolError("peer closed connection")

    def handle(req: httpx.Request) -> httpx.Response:
        if req.url.path == "/v1/models":
            return httpx.Response(200, json={"data": [{"id": "m"}]})
        if req.url.path == "/v1/chat/completions":
            return httpx.Response(200, stream=Broken())
        return httpx.Response(404)

    gen = make(handle)
    got: list[str] = []
    with pytest.raises(GeneratorUnavailable, match="middle of the answer"):
        for t in gen.stream(MESSAGES, GenerationOptions()):
            got.append(t)
    assert got == ["Hel"]


def test_cancel_stops_reading() -> None:
    handle, _ = server(tokens=("a", "b", "c", "d"))
    gen = make(handle)
    cancel = threading.Event()
    got = []
    for t in gen.stream(MESSAGES, GenerationOptions(), cancel):
        got.append(t)
        cancel.set()
    assert got == ["a"]


def test_a_refused_key_says_so() -> None:
    gen = make(lambda req: httpx.Response(401, json={"error": "bad key"}))
    with pytest.raises(ModelUnavailable, match="refused the API key"):
        gen.warm_up()


def test_api_ask_answers_503_generator_unavailable_while_the_server_is_down(
    make_settings: Callable[..., Any], sqlite_url: str
) -> None:
    import socket

    from app.api.app import create_app
    from tests.support.http import api_client

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = make_settings(
        sqlite_url,
        answer={"abstain_below": -1.0},
        generator={"backend": "openai", "openai": {"base_url": f"http://127.0.0.1:{port}/v1"}},
    )
    with api_client(create_app(settings)) as client:
        r = client.post("/api/v1/ask", json={"question": "anything?", "stream": True})
        assert r.status_code == 503 and r.json()["code"] == "generator_unavailable"
        assert int(r.headers["retry-after"]) > 0
        ready = client.get("/readyz").json()
        assert ready["generator"] == "unreachable" and "ConnectError" in ready["generator_error"]
        assert client.post("/api/v1/search", json={"query": "anything"}).status_code == 200
