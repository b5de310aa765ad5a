"""A stream that stays silent (the model evaluating a long prompt before its first token) is kept alive
with SSE comment lines, so a client's read timeout or a proxy's idle limit does not drop it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from app.api.sse import KEEPALIVE, stream_events
from tests.support.sse import parse_sse

pytestmark = pytest.mark.unit


def _collect(produce: Any, keepalive_s: float) -> list[bytes]:
    async def run() -> list[bytes]:
        return [c async for c in stream_events(produce, threading.Event(), keepalive_s=keepalive_s)]

    return anyio.run(run)


def test_silence_is_filled_with_comments_that_readers_skip() -> None:
    def slow() -> Iterator[tuple[str, dict[str, str]]]:
        yield ("sources", {"n": "0"})
        time.sleep(1.0)  # the model's prompt evaluation: nothing to send meanwhile
        yield ("token", {"text": "a"})

    chunks = _collect(slow, keepalive_s=0.3)
    assert chunks[0].startswith(b"event: sources") and chunks[-1].startswith(b"event: token")
    assert KEEPALIVE in chunks[1:-1] and set(chunks[1:-1]) == {KEEPALIVE}
    assert [name for name, _ in parse_sse(b"".join(chunks).decode())] == ["sources", "token"]


def test_a_stream_that_keeps_talking_gets_no_comments() -> None:
    def fast() -> Iterator[tuple[str, dict[str, str]]]:
        for i in range(5):
            yield ("token", {"text": str(i)})

    assert KEEPALIVE not in _collect(fast, keepalive_s=0.3)
