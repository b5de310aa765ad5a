"""What makes the API fit for a network, wired by the app factory: auth + rate limit (the Guard), the
request guard (Host, cross-site, body size, key before body: `app.api.request_guard`), CORS, the
request-context middleware (request id, metrics, access log), and the start-up refusal to serve a
network without keys (see `ensure_keys_exist`)."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.api.middleware import REQUEST_ID_HEADER, RequestContextMiddleware
from app.api.request_guard import RequestGuardMiddleware
from app.api.security import Guard
from app.core.metrics import Metrics
from app.core.ratelimit import RateLimiter
from app.core.settings import Settings
from app.services.container import Container
from app.services.keys import KeyVerifier, auth_required, ensure_keys_exist, is_loopback

logger = logging.getLogger(__name__)


def install(app: FastAPI, settings: Settings, metrics: Metrics) -> Guard:
    """At factory time: state the routes need, and the middleware (outermost: request context)."""
    guard = Guard(
        required=auth_required(settings),
        limiter=RateLimiter(settings.limits.rate_per_minute, settings.limits.rate_burst),
        metrics=metrics,
    )
    app.state.guard = guard
    app.state.metrics = metrics
    app.state.metrics_public = settings.metrics.public or not guard.required
    # Innermost first: the request guard runs inside CORS (preflights) and the request context (ids,
    # access log, metrics), so its refusals are logged and counted like any other answer.
    app.add_middleware(RequestGuardMiddleware, settings=settings, guard=guard)
    cors = settings.cors
    if cors.allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=cors.allow_origins,
            allow_credentials=cors.allow_credentials,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER, "Retry-After"],
            max_age=cors.max_age_s,
        )
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return guard


def activate(guard: Guard, container: Container, metrics: Metrics) -> None:
    """In the lifespan, once the database is there. Raises ConfigurationError (the server does not
    start) when keys are required and none exists: such a server could only answer 401."""
    settings = container.settings
    guard.verifier = KeyVerifier(container.factory, settings.auth.cache_s)
    if guard.required:
        active = ensure_keys_exist(settings, container.factory)
        logger.info("auth required keys=%s", active)
    elif settings.auth.mode == "disabled" and not is_loopback(settings.server.host):
        logger.warning("auth disabled: anyone who can reach %s may use the API", settings.server.host)
    _watch(container, metrics)


def _watch(container: Container, metrics: Metrics) -> None:
    metrics.watch(metrics.generation_queue, lambda: container.slots.depth)
    metrics.watch(metrics.generation_slots, lambda: container.slots.slots)
    registry = container.registry
    if registry is not None:
        metrics.watch(metrics.index_chunks, registry.total_chunks)
        metrics.watch(metrics.index_documents, lambda: sum(s["documents"] for s in registry.stats().values()))
