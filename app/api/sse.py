"""Server-Sent Events: run a blocking event iterator in a thread and stream it without blocking the loop.

When the client goes away, Starlette cancels the response; ``cancel`` is then set so the generation
thread stops within a token or two and frees its slot.
"""

from __future__ import annotations

import contextvars
import json
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio

from app.core.errors import ShioriError

logger = logging.getLogger(__name__)


def format_event(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def stream_events(
    produce: Callable[[], Iterator[Any]],
    cancel: threading.Event,
    *,
    on_close: Callable[[], None] | None = None,
) -> AsyncIterator[bytes]:
    """``produce()`` returns an iterator of events (``.name``, ``.data``) and runs in its own thread.
    Exceptions become an ``error`` event; the stream always ends; ``on_close`` always runs."""
    q: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()

    def run() -> None:
        try:
            for ev in produce():
                q.put(format_event(ev.name, ev.data))
                if cancel.is_set():
                    break
        except ShioriError as exc:
            q.put(format_event("error", {"detail": exc.detail, "code": exc.code}))
        except Exception:
            logger.exception("event stream failed")
            q.put(format_event("error", {"detail": "Internal error.", "code": "internal_error"}))
        finally:
            q.put(None)
            if on_close is not None:
                on_close()

    # In the request's context, so the producer's log lines carry the request id.
    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(run,), name="sse-producer", daemon=True).start()
    try:
        while True:
            item = await anyio.to_thread.run_sync(q.get, abandon_on_cancel=True)
            if item is None:
                return
            yield item
    finally:
        cancel.set()
