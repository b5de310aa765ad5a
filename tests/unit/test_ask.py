"""/api/v1/ask with the fake generator: SSE protocol, JSON mode, abstention, queue-full 429, cancellation."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.core.generation.fake import FakeGenerator
from app.core.settings import Settings
from tests.support.http import started_clients
from tests.support.live import LiveServer
from tests.support.sse import parse_sse
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit

TOWER = (
    "東京タワーは1958年に完成した電波塔である。高さは333メートルで、当時は自立式鉄塔として世界一だった。\n"
)
SCRIPT = ["東京タワーの", "高さは", "333メートル", "です", "[1]", "。"]


def top_hit_is(client: TestClient | httpx.Client, doc_id: int) -> bool:
    hits = client.post("/api/v1/search", json={"query": "東京タワー", "k": 1}).json()["passages"]
    return bool(hits) and hits[0]["document_id"] == doc_id


def ingest(client: TestClient, text: str = TOWER) -> int:
    r = client.post("/api/v1/collections/default/documents", files=[("files", ("tower.txt", text.encode()))])
    doc_id = int(r.json()["documents"][0]["document_id"])
    wait_until(lambda: top_hit_is(client, doc_id), message=f"document {doc_id} to be searchable")
    return doc_id


@pytest.fixture
def make_client(
    make_settings: Callable[..., Settings], sqlite_url: str
) -> Iterator[Callable[..., TestClient]]:
    with started_clients() as start:

        def make(generator: FakeGenerator, **answer: Any) -> TestClient:
            settings = make_settings(
                sqlite_url, worker={"embedded": True}, answer={"abstain_below": -1.0, **answer}
            )
            return start(create_app(settings, generator=generator))

        yield make


def test_stream_sends_sources_tokens_citations_done_in_order(make_client: Callable[..., TestClient]) -> None:
    gen = FakeGenerator(SCRIPT)
    client = make_client(gen)
    doc_id = ingest(client)
    r = client.post("/api/v1/ask", json={"question": "東京タワーの高さは？", "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(r.text)
    names = [n for n, _ in events]
    assert names[0] == "sources" and names[-2:] == ["citations", "done"]
    assert names[1:-2] == ["token"] * len(SCRIPT)
    sources = events[0][1]["sources"]
    assert sources[0]["number"] == 1 and sources[0]["document_id"] == doc_id and sources[0]["page"] == 1
    assert "".join(d["text"] for n, d in events if n == "token") == "".join(SCRIPT)
    citations = events[-2][1]["citations"]
    assert citations and citations[0]["number"] == 1 and citations[0]["document_id"] == doc_id
    assert citations[0]["status"] == "verified"
    page_text = TOWER.strip()
    c = citations[0]
    assert "333" in page_text[c["char_start"] : c["char_end"]]
    done = events[-1][1]
    assert done["abstained"] is False and done["ttft_ms"] is not None and done["tokens"] > 0
    # The prompt numbered the source and carried the question in its language.
    prompt = gen.calls[0][-1]["content"]
    assert "[1]" in prompt and "東京タワーの高さは？" in prompt and gen.calls[0][0]["role"] == "system"


def test_json_mode_returns_answer_citations_and_timings(make_client: Callable[..., TestClient]) -> None:
    client = make_client(FakeGenerator(SCRIPT))
    ingest(client)
    body = client.post("/api/v1/ask", json={"question": "東京タワーの高さは？"}).json()
    assert body["answer"] == "".join(SCRIPT) and not body["abstained"]
    assert body["citations"][0]["number"] == 1 and body["sources"][0]["number"] == 1
    assert body["timings"]["retrieval_ms"] >= 0


def test_weak_evidence_abstains_without_running_the_model(make_client: Callable[..., TestClient]) -> None:
    gen = FakeGenerator(SCRIPT)
    client = make_client(gen, abstain_below=0.999)
    ingest(client)
    body = client.post("/api/v1/ask", json={"question": "What is the capital of Peru?"}).json()
    assert body["abstained"] and body["answer"] == "The documents do not contain this."
    assert body["timings"]["abstain_reason"] == "weak_evidence" and gen.calls == []
    body = client.post("/api/v1/ask", json={"question": "ペルーの首都は？"}).json()
    assert body["answer"] == "資料には記載がありません。"


def test_model_declining_is_marked_abstained(make_client: Callable[..., TestClient]) -> None:
    client = make_client(FakeGenerator(["資料には", "記載が", "ありません。"]))
    ingest(client)
    body = client.post("/api/v1/ask", json={"question": "東京タワーの色は？"}).json()
    assert body["abstained"] and body["timings"]["abstain_reason"] == "model_declined"


def test_bad_requests_fail_before_streaming(make_client: Callable[..., TestClient]) -> None:
    client = make_client(FakeGenerator(SCRIPT))
    r = client.post("/api/v1/ask", json={"question": "x", "collection": "nope", "stream": True})
    assert r.status_code == 404 and r.json()["code"] == "collection_not_found"
    r = client.post("/api/v1/ask", json={"question": "   ", "stream": True})
    assert r.status_code == 422


def test_followup_question_is_searched_with_the_previous_one(make_client: Callable[..., TestClient]) -> None:
    client = make_client(FakeGenerator(SCRIPT))
    ingest(client)
    history = [
        {"role": "user", "content": "東京タワーはいつ完成した？"},
        {"role": "assistant", "content": "1958年です[1]。"},
    ]
    r = client.post("/api/v1/ask", json={"question": "それの高さは？", "history": history, "stream": True})
    sources = parse_sse(r.text)[0][1]
    assert sources["query"].startswith("東京タワーはいつ完成した？")


@pytest.fixture
def live(make_settings: Callable[..., Settings], sqlite_url: str) -> Callable[..., LiveServer]:
    def make(gen: FakeGenerator, **answer: Any) -> LiveServer:
        settings = make_settings(
            sqlite_url, worker={"embedded": True}, answer={"abstain_below": -1.0, **answer}
        )
        return LiveServer(create_app(settings, generator=gen))

    return make


def wait_ready(url: str) -> None:
    with httpx.Client(base_url=url) as c:
        r = c.post("/api/v1/collections/default/documents", files=[("files", ("t.txt", TOWER.encode()))])
        doc_id = r.json()["documents"][0]["document_id"]
        wait_until(lambda: top_hit_is(c, doc_id), message=f"document {doc_id} to be searchable")


def test_disconnect_stops_generation_and_frees_the_slot(live: Callable[..., LiveServer]) -> None:
    gen = FakeGenerator([f"tok{i} " for i in range(400)], delay_s=0.02)
    server = live(gen)
    with server as url:
        wait_ready(url)
        with httpx.Client(base_url=url, timeout=30) as c:
            with c.stream(
                "POST", "/api/v1/ask", json={"question": "東京タワーの高さは？", "stream": True}
            ) as r:
                seen = 0
                for line in r.iter_lines():
                    if line.startswith("event: token"):
                        seen += 1
                        if seen == 5:
                            break
            # The slot is given back only after the model's token stream is closed: from then on
            # nothing more can be generated, so the count is final.
            slots = server.server.config.app.state.container.slots  # type: ignore[attr-defined]
            wait_until(lambda: slots.depth == 0, message="the generation slot to be freed")
            assert gen.tokens_emitted < 40  # stopped within a token or two of the disconnect


def test_queue_full_is_429_with_retry_after(live: Callable[..., LiveServer]) -> None:
    gen = FakeGenerator([f"tok{i} " for i in range(100)], delay_s=0.03)
    server = live(gen, slots=1, queue=0)
    with server as url:
        wait_ready(url)
        first_started = threading.Event()

        def hold() -> None:
            with httpx.Client(base_url=url, timeout=30) as c:
                with c.stream(
                    "POST", "/api/v1/ask", json={"question": "東京タワーの高さは？", "stream": True}
                ) as r:
                    for line in r.iter_lines():
                        if line.startswith("event: token"):
                            first_started.set()

        t = threading.Thread(target=hold)
        t.start()
        assert first_started.wait(20)
        r = httpx.post(f"{url}/api/v1/ask", json={"question": "東京タワーの高さは？"}, timeout=30)
        assert r.status_code == 429 and r.json()["code"] == "queue_full" and int(r.headers["Retry-After"]) > 0
        t.join(timeout=30)
        r = httpx.post(f"{url}/api/v1/ask", json={"question": "東京タワーの高さは？"}, timeout=30)
        assert r.status_code == 200  # the slot came back


def test_timeout_ends_a_stuck_generation_with_an_error_event(make_client: Callable[..., TestClient]) -> None:
    client = make_client(FakeGenerator([f"t{i} " for i in range(200)], delay_s=0.01), timeout_s=0.3)
    ingest(client)
    events = parse_sse(
        client.post("/api/v1/ask", json={"question": "東京タワーの高さは？", "stream": True}).text
    )
    names = [n for n, _ in events]
    assert "error" in names and events[names.index("error")][1]["code"] == "timeout"
    assert names[-1] == "done" and names.count("token") < 100


def test_openai_client_streams_a_reply_with_citations(live: Callable[..., LiveServer]) -> None:
    from openai import OpenAI

    server = live(FakeGenerator(SCRIPT))
    with server as url:
        wait_ready(url)
        client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        assert [m.id for m in client.models.list().data] == ["fake"]
        messages = [{"role": "user", "content": "東京タワーの高さは？"}]
        stream = client.chat.completions.create(model="shiori", messages=messages, stream=True)  # type: ignore[arg-type]
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert text == "".join(SCRIPT)
        final = chunks[-1].model_dump()
        assert final["choices"][0]["finish_reason"] == "stop"
        assert final["citations"][0]["number"] == 1 and final["sources"][0]["page"] == 1
        reply = client.chat.completions.create(model="shiori", messages=messages)  # type: ignore[arg-type]
        assert reply.choices[0].message.content == "".join(SCRIPT)
        assert reply.model_dump()["citations"][0]["status"] == "verified"


def test_shutdown_ends_open_streams_with_an_error_event_and_frees_the_slot(
    live: Callable[..., LiveServer],
) -> None:
    gen = FakeGenerator([f"tok{i} " for i in range(400)], delay_s=0.02)
    server = live(gen)
    with server as url:
        wait_ready(url)
        state = server.server.config.app.state  # type: ignore[attr-defined]
        events: list[str] = []
        with httpx.Client(base_url=url, timeout=30) as c:
            with c.stream(
                "POST", "/api/v1/ask", json={"question": "東京タワーの高さは？", "stream": True}
            ) as r:
                for line in r.iter_lines():
                    if line.startswith("event: "):
                        events.append(line[7:])
                        if events.count("token") == 5:
                            state.shutting_down.set()  # what `shiori serve` does on SIGTERM
                    elif line.startswith("data: ") and events[-1] == "error":
                        error = json.loads(line[6:])
        assert events[-1] == "error" and error["code"] == "shutting_down", events[-3:]
        assert events.count("token") < 40  # ended within the poll interval, not after 400 tokens
        # The slot comes back once the model's token stream is closed: the generation itself stopped.
        wait_until(lambda: state.container.slots.depth == 0, message="the generation slot to be freed")
        assert gen.tokens_emitted < 40
