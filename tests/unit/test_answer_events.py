"""The answer's typed events (#14, item 1), as each consumer sees them: JSON mode folds them into one
answer, SSE sends each model's fields under its name, the OpenAI adapter reports real token usage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.api.app import create_app
from app.api.sse import frame
from app.core.generation.fake import FakeGenerator
from app.services.answer_events import (
    AnswerOut,
    CitationsEvent,
    DoneEvent,
    ErrorEvent,
    SourcesEvent,
    TokenEvent,
)
from tests.support.apps import settings_for
from tests.support.http import api_client
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit

TOWER = "東京タワーは1958年に完成した電波塔である。高さは333メートルである。\n"


def test_json_mode_folds_the_events() -> None:
    events = [
        SourcesEvent(sources=[], dropped=[7], query="q"),
        TokenEvent(text="高さは"),
        TokenEvent(text="333メートル"),
        CitationsEvent(answer="高さは333メートル[1]。", citations=[], sentences=[], invalid_numbers=[]),
        ErrorEvent(detail="late", code="timeout"),
        DoneEvent(abstained=False, retrieval_ms=1.5, tokens=2),
    ]
    out = AnswerOut.collect(events)
    assert out.answer == "高さは333メートル[1]。" and out.dropped == [7] and not out.abstained
    assert out.timings is not None and out.timings.tokens == 2 and out.error is not None
    assert out.error.code == "timeout"


def test_sse_frames_carry_the_models_fields_under_their_names() -> None:
    raw = frame(TokenEvent(text="東京")).decode()
    assert raw == 'event: token\ndata: {"text": "東京"}\n\n'
    done = frame(DoneEvent(abstained=True, retrieval_ms=3.0)).decode()
    name, data = done.split("\n")[0], json.loads(done.split("data: ", 1)[1])
    assert name == "event: done" and data["abstained"] is True and data["prompt_tokens"] is None
    assert frame(("chunk", {"a": 1})).decode() == 'event: chunk\ndata: {"a": 1}\n\n'


def test_openai_usage_counts_the_prompt(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", auth={"mode": "disabled"}, answer={"abstain_below": -1.0})
    gen = FakeGenerator(["高さは", "333メートル", "です[1]。"])
    with api_client(create_app(settings, generator=gen)) as client:
        r = client.post("/api/v1/collections/default/documents", files=[("files", ("t.txt", TOWER.encode()))])
        doc_id = r.json()["documents"][0]["document_id"]
        wait_until(lambda: client.get(f"/api/v1/documents/{doc_id}").json()["status"] == "ready")
        wait_until(lambda: client.post("/api/v1/search", json={"query": "東京タワー"}).json()["passages"])
        body = client.post(
            "/v1/chat/completions", json={"messages": [{"role": "user", "content": "東京タワーの高さは？"}]}
        ).json()
    usage = body["usage"]
    assert usage["prompt_tokens"] == gen.prompt_tokens(gen.calls[-1]) > 0  # no longer always 0
    assert usage["completion_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
