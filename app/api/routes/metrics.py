"""GET /metrics: Prometheus text format. Needs an admin key when auth is on, unless `metrics.public`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Security
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials

from app.api.schemas import ErrorOut
from app.api.security import api_key_scheme, authenticate, bearer_scheme
from app.core.errors import Forbidden
from app.core.metrics import Metrics

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        401: {"model": ErrorOut},
        403: {"model": ErrorOut},
        429: {"model": ErrorOut},
    },
)
def metrics(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
    api_key: Annotated[str | None, Security(api_key_scheme)],
) -> Response:
    """Request latency per route, retrieval latency, time to first token, tokens/s, generation queue
    depth, ingestion speed, job failures by reason, index size."""
    if not request.app.state.metrics_public:
        principal = authenticate(request, bearer, api_key)
        if not principal.has_role("admin") or principal.collections is not None:
            # Metrics add up every collection: a key scoped to some may not see the others' counts.
            raise Forbidden("Metrics need an admin key for all collections (or set metrics.public).")
    registry: Metrics = request.app.state.metrics
    body, content_type = registry.render()
    return Response(body, media_type=content_type)
