"""What every request must pass before a route runs or a byte of its body is read.

1. **Host.** The `Host` header names this server (`server.allowed_hosts`; on loopback, loopback names
   only). A page on `attacker.example` whose DNS name was rebound to 127.0.0.1 reaches the socket, but
   its requests carry its own name and are refused.
2. **Same origin for changes.** A browser request that changes state (anything but GET/HEAD/OPTIONS)
   must come from this server's own pages: `Sec-Fetch-Site` is `same-origin` or `none`, or, from a
   browser too old to send that, `Origin` matches the Host. Origins listed in `cors.allow_origins` are
   let in on purpose. Clients that are not browsers (curl, SDKs) send neither header and pass.
3. **Body size.** Bodies are capped per route before parsing: uploads by their own streaming reader
   (`app.api.multipart`), everything else by `limits.max_body_bytes`, from Content-Length at once and
   byte by byte for chunked bodies.
4. **Key first.** Where keys are required, an API request's key is checked here, before its body is
   read, so an unauthenticated caller can't make the server parse anything. The principal is kept in
   the request state; `app.api.security.authenticate` uses it (one check, one rate-limit charge).

Health probes (`/healthz`, `/readyz`) skip the Host check: orchestrators call them by address.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import anyio
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import domain_error_response, error_response
from app.api.security import Guard, client_address, identify_and_charge
from app.core.errors import ShioriError
from app.core.settings import Settings
from app.services.keys import is_loopback

LOOPBACK_HOSTS = ("localhost", ".localhost", "127.0.0.1", "::1")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PROBES = frozenset({"/healthz", "/readyz"})
API_PREFIXES = ("/api/", "/v1/")
UPLOAD_ROUTE = re.compile(r"^/api/v1/collections/[^/]+/documents/?$")


def allowed_hosts(settings: Settings) -> tuple[str, ...]:
    """The configured names, or by default: loopback names on loopback, anything elsewhere (where
    `auth.mode=auto` requires keys, so a rebound name gets nothing without one)."""
    configured = settings.server.allowed_hosts
    if configured:
        return tuple(h.lower() for h in configured)
    return LOOPBACK_HOSTS if is_loopback(settings.server.host) else ("*",)


def host_name(host_header: str) -> str:
    """`example.com:8000` → `example.com`; `[::1]:8000` → `::1`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def host_allowed(host_header: str, allowed: tuple[str, ...]) -> bool:
    name = host_name(host_header)
    if not name:
        return False
    for pattern in allowed:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith(".") and (name.endswith(pattern) or name == pattern[1:]):
            return True
    return False


def cross_site(headers: dict[str, str], allow_origins: frozenset[str]) -> bool:
    """True for a browser request from a page that is not this server's own (nor a CORS-listed one)."""
    origin = headers.get("origin")
    if origin is not None and origin.rstrip("/") in allow_origins:
        return False
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    if origin is None:
        return False  # not a browser, or a same-origin GET-like request of an old one
    if origin == "null":
        return True  # sandboxed frames, file: pages, redirects across origins
    return urlsplit(origin).netloc.lower() != headers.get("host", "").lower()


class RequestGuardMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings, guard: Guard) -> None:
        self.app = app
        self.guard = guard
        self.allowed = allowed_hosts(settings)
        self.allow_origins = frozenset(o.rstrip("/") for o in settings.cors.allow_origins)
        self.max_body = settings.limits.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        method: str = scope.get("method", "GET")
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())}
        refusal = self._refusal(path, method, headers)
        if refusal is None and path.startswith(API_PREFIXES) and self.guard.required:
            refusal = await self._authenticate(scope, headers)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if method in SAFE_METHODS or UPLOAD_ROUTE.match(path):
            await self.app(scope, receive, send)
            return
        await self.app(scope, _capped(receive, self.max_body), send)

    def _refusal(self, path: str, method: str, headers: dict[str, str]) -> ASGIApp | None:
        if path not in PROBES and not host_allowed(headers.get("host", ""), self.allowed):
            return error_response(
                400,
                "This server does not answer to that host name. Add it to server.allowed_hosts "
                "(SHIORI_SERVER__ALLOWED_HOSTS) if it is yours.",
                "host_not_allowed",
            )
        if method not in SAFE_METHODS and cross_site(headers, self.allow_origins):
            return error_response(
                403,
                "Cross-site requests may not change anything here. Use Shiori's own pages, a client "
                "that is not a browser, or list your site in cors.allow_origins.",
                "cross_site_request",
            )
        declared = headers.get("content-length")
        if (
            method not in SAFE_METHODS
            and not UPLOAD_ROUTE.match(path)
            and declared is not None
            and (not declared.isdigit() or int(declared) > self.max_body)
        ):
            return _too_large(self.max_body)
        return None

    async def _authenticate(self, scope: Scope, headers: dict[str, str]) -> ASGIApp | None:
        token = _token(headers)
        address = client_address(scope.get("client"))
        try:
            principal = await anyio.to_thread.run_sync(identify_and_charge, self.guard, token, address)
        except ShioriError as exc:
            return domain_error_response(exc)
        state = scope.setdefault("state", {})
        state["principal"] = principal
        state["principal_name"] = principal.name
        return None


def _token(headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    scheme, _, credentials = auth.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return headers.get("x-api-key")


class BodyTooLarge(HTTPException):
    """An HTTPException, because FastAPI re-raises those from body parsing (others become 400s)."""

    code = "body_too_large"


def _too_large_detail(limit: int) -> str:
    return f"The request body is larger than {limit} bytes (limits.max_body_bytes)."


def _too_large(limit: int) -> ASGIApp:
    return error_response(413, _too_large_detail(limit), BodyTooLarge.code)


def _capped(receive: Receive, limit: int) -> Receive:
    """`receive` that stops a chunked body at the limit: the route's body parsing ends with a 413."""
    seen = 0

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(413, _too_large_detail(limit))
        return message

    return capped
