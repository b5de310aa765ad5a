"""Answers over HTTP: stream a blocking event iterator as Server-Sent Events without blocking the loop,
or run a whole answer (JSON mode) in a thread; either way a client that goes away stops generation.

When a streaming client goes away, Starlette cancels the response; ``cancel`` is then set so the
generation thread stops within a token or two and frees its slot. In JSON mode a watcher waits for the
client's disconnect message and sets ``cancel`` (`run_until_disconnect`).
"""

from __future__ import annotations

import contextvars
import json
import logging
import queue
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import anyio
from starlette.requests import Request

from app.core.errors import ShioriError
from app.services.answer_events import ErrorEvent, Event

logger = logging.getLogger(__name__)


def format_event(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def frame(ev: Event | tuple[str, Any]) -> bytes:
    """An answer event (its model's ``name`` and fields), or a ``(name, data)`` pair."""
    if isinstance(ev, Event):
        return format_event(ev.name, ev.model_dump(mode="json"))
    return format_event(*ev)


class _Tick:
    """Nothing arrived within the poll interval: time to look at the shutdown flag."""


_TICK = _Tick()
_SHUTDOWN_POLL_S = 0.25
# A comment line after this long without an event: the model may evaluate a long prompt for tens of
# seconds on a small CPU before its first token, and clients and proxies drop a connection that stays
# silent (a read timeout, nginx's 60 s). SSE readers skip comments (the UI's, OpenAI clients').
KEEPALIVE_S = 10.0
KEEPALIVE = b": keep-alive\n\n"
SHUTTING_DOWN = ErrorEvent(detail="The server is restarting; ask again in a moment.", code="shutting_down")


async def stream_events(
    produce: Callable[[], Iterator[Any]],
    cancel: threading.Event,
    *,
    on_close: Callable[[], None] | None = None,
    shutdown: threading.Event | None = None,
    keepalive_s: float = KEEPALIVE_S,
) -> AsyncIterator[bytes]:
    """``produce()`` returns an iterator of events (answer event models, or ``(name, data)`` pairs) and
    runs in its own thread.
    Exceptions become an ``error`` event; the stream always ends; ``on_close`` always runs. When
    ``shutdown`` is set (the server is stopping), the generation is cancelled and the stream ends with
    an ``error`` event coded ``shutting_down`` rather than being cut off mid-answer. A silence of
    ``keepalive_s`` is filled with a comment line, so the connection is not dropped as idle."""
    q: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def next_item() -> bytes | None | _Tick:
        try:
            return q.get(timeout=_SHUTDOWN_POLL_S)
        except queue.Empty:
            return _TICK

    def run() -> None:
        try:
            for ev in produce():
                q.put(frame(ev))
                if cancel.is_set():
                    break
        except ShioriError as exc:
            q.put(frame(ErrorEvent(detail=exc.detail, code=exc.code)))
        except Exception:
            logger.exception("event stream failed")
            q.put(frame(ErrorEvent(detail="Internal error.", code="internal_error")))
        finally:
            q.put(None)
            if on_close is not None:
                on_close()

    # In the request's context, so the producer's log lines carry the request id.
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(run,), name="sse-producer", daemon=True).start()
    last = time.monotonic()
    try:
        while True:
            item = await anyio.to_thread.run_sync(next_item, abandon_on_cancel=True)
            if item is None:
                return
            if shutdown is not None and shutdown.is_set():
                cancel.set()
                yield frame(SHUTTING_DOWN)
                return
            if not isinstance(item, _Tick):
                yield item
                last = time.monotonic()
            elif time.monotonic() - last >= keepalive_s:
                yield KEEPALIVE
                last = time.monotonic()
    finally:
        cancel.set()


T = TypeVar("T")


async def run_until_disconnect(request: Request, work: Callable[[threading.Event], T]) -> T:
    """``work(cancel)`` in a worker thread; ``cancel`` is set as soon as the client disconnects (a JSON
    answer nobody will read stops generating and frees its slot), and when ``work`` ends."""
    cancel = threading.Event()

    async def watch() -> None:
        # The body was read before the route ran: the next message is the disconnect.
        while (await request.receive())["type"] != "http.disconnect":
            pass
        cancel.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(watch)
        try:
            result = await anyio.to_thread.run_sync(work, cancel)
        finally:
            cancel.set()
            tasks.cancel_scope.cancel()
    return result
