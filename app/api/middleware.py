"""Per-request context: a request id (taken from `X-Request-ID` or made), latency metrics per route
template, and one access log line per request. A plain ASGI middleware, so streams pass through."""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.logs import request_id_var
from app.core.metrics import Metrics

logger = logging.getLogger("shiori.access")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")  # a caller's id is echoed in logs: keep it plain
_QUIET = {"/healthz", "/readyz", "/metrics"}  # probes and scrapes: counted, not logged at INFO


def incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            rid = value.decode("latin-1").strip()
            return rid if _VALID_ID.match(rid) else None
    return None


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/v1/documents/{document_id}`), never the raw path: the
    router leaves the route it matched in the scope. Nothing matched (404): "unmatched"."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path or "/"
    return "unmatched"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_request_id(scope) or uuid.uuid4().hex
        request_id_var.set(rid)  # a fresh context per request: uvicorn runs each in its own task
        scope.setdefault("state", {})["request_id"] = rid
        status = 500
        t0 = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, rid)
            await send(message)

        if self.metrics is not None:
            self.metrics.http_in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._record(scope, status, time.perf_counter() - t0)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        method = str(scope.get("method", ""))
        route = route_template(scope)
        if self.metrics is not None:
            self.metrics.http_in_flight.dec()
            self.metrics.observe_request(method, route, status, seconds)
        path = str(scope.get("path", ""))
        level = logging.DEBUG if path in _QUIET and status < 400 else logging.INFO
        state: dict[str, Any] = scope.get("state", {})
        logger.log(
            level,
            "request method=%s path=%s route=%s status=%s duration_ms=%.1f key=%s",
            method,
            path,
            route,
            status,
            seconds * 1000,
            state.get("principal_name", "-"),
        )
