"""Who is calling, may they, and not too often: API-key auth, roles and the per-caller rate limit.

Every router except health is included with `Depends(authenticate)`, so no route can be left open by
mistake; routes that need more than reading ask for `WriterDep` or `AdminDep`. FastAPI caches a
dependency within a request, so the key is checked (and the rate bucket charged) once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.api.schemas import ErrorOut
from app.core.errors import Forbidden, RateLimited, Unauthorized
from app.core.metrics import Metrics
from app.core.ratelimit import RateLimiter, retry_after_header
from app.db import models as m
from app.services.documents import get_document
from app.services.keys import (
    ANONYMOUS,
    KeyVerifier,
    Principal,
    Role,
    collection_not_found,
    document_not_found,
)

logger = logging.getLogger(__name__)

bearer_scheme = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer shk_…`")
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key (alternative header)"
)


@dataclass
class Guard:
    """What the auth dependencies need, built by the app factory and kept on ``app.state.guard``."""

    required: bool
    limiter: RateLimiter
    verifier: KeyVerifier | None = None  # set in the lifespan, once the database is there
    metrics: Metrics | None = None


def _guard(request: Request) -> Guard:
    guard: Guard | None = getattr(request.app.state, "guard", None)
    if guard is None:
        raise RuntimeError("the app factory did not install a Guard")
    return guard


def authenticate(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Principal:
    known: Principal | None = getattr(request.state, "principal", None)
    if known is not None:
        return known  # checked (and charged) before the body was read: app.api.request_guard
    token = bearer.credentials if bearer is not None else api_key
    principal = identify_and_charge(_guard(request), token, _client_address(request))
    request.state.principal = principal
    request.state.principal_name = principal.name
    return principal


def identify_and_charge(guard: Guard, token: str | None, address: str) -> Principal:
    """The caller behind `token`, charged one request against its rate limit (its key's budget, or
    its address's when auth is off). A wrong key is charged to the address: guessing costs too."""
    try:
        principal = _identify(guard, token)
    except Unauthorized:
        _charge(guard, address)
        raise
    _charge(guard, _caller(principal, address))
    return principal


def caller_id(principal: Principal, request: Request) -> str:
    """Who holds a share of a limited resource: the key, or the address when auth is off."""
    return _caller(principal, _client_address(request))


def _caller(principal: Principal, address: str) -> str:
    return f"key:{principal.key_id}" if principal.key_id is not None else address


def _charge(guard: Guard, caller: str) -> None:
    wait = guard.limiter.take(caller)
    if wait > 0:
        if guard.metrics is not None:
            guard.metrics.rate_limited.inc()
        seconds = retry_after_header(wait)
        raise RateLimited(f"Too many requests; try again in {seconds} s.", retry_after_s=seconds)


def _identify(guard: Guard, token: str | None) -> Principal:
    if not guard.required:
        return ANONYMOUS  # auth off: keys are not looked at
    if not token:
        raise Unauthorized(
            "An API key is required: send `Authorization: Bearer <key>` (create one with "
            "`shiori keys create`).",
            code="missing_api_key",
        )
    if guard.verifier is None:
        raise Unauthorized("The service is still starting.", code="invalid_api_key")
    principal = guard.verifier.verify(token.strip())
    if principal is None:
        raise Unauthorized("The API key is not valid (unknown or revoked).", code="invalid_api_key")
    return principal


def client_address(client: tuple[str, int] | None) -> str:
    """The direct peer (the client itself only behind a proxy configured with server.proxy_headers)."""
    return f"ip:{client[0]}" if client is not None else "ip:unknown"


def _client_address(request: Request) -> str:
    return client_address((request.client.host, request.client.port) if request.client is not None else None)


PrincipalDep = Annotated[Principal, Depends(authenticate)]

# Documented on every API route, so the OpenAPI schema says what can come back (422 replaces FastAPI's
# default `HTTPValidationError`: our handler answers `{detail, code}` like every other error).
API_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No API key, or an unknown or revoked one"},
    403: {"model": ErrorOut, "description": "The key's role does not allow this, or a cross-site request"},
    413: {"model": ErrorOut, "description": "The request body is too large (limits.max_body_bytes)"},
    422: {"model": ErrorOut, "description": "Invalid request; `detail` says what is wrong"},
    429: {"model": ErrorOut, "description": "Rate limit: see the Retry-After header"},
}


def _require(role: Role) -> Callable[[Principal], Principal]:
    def check(principal: PrincipalDep) -> Principal:
        if not principal.has_role(role):
            raise Forbidden(f"This needs a key with the {role} role (this key is a {principal.role}).")
        return principal

    check.__name__ = f"require_{role}"
    return check


ReaderDep = Annotated[Principal, Depends(_require("reader"))]
WriterDep = Annotated[Principal, Depends(_require("writer"))]
AdminDep = Annotated[Principal, Depends(_require("admin"))]


def check_collection(principal: Principal, name: str) -> None:
    """404, worded exactly like a missing collection, for one the key may not use."""
    if not principal.can_use(name):
        raise collection_not_found(name)


def check_document(principal: Principal, doc: m.Document) -> None:
    """404, worded exactly like a missing document, for one in a collection the key may not use."""
    if not principal.can_use(doc.collection.name):
        raise document_not_found(doc.id)


def check_document_id(principal: Principal, session: Session, document_id: int) -> None:
    """`check_document` by id, for routes that don't load the document themselves."""
    if principal.collections is not None:
        check_document(principal, get_document(session, document_id))
