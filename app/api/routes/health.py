from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.api.schemas import HealthOut, ReadyOut
from app.services.container import Container

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
def healthz() -> HealthOut:
    """The process is up (liveness)."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
def readyz(request: Request) -> JSONResponse:
    """Database reachable, models loaded, index built (readiness). 503 until then."""
    container = getattr(request.app.state, "container", None)
    db_ok = False
    if container is not None:
        try:
            with container.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            db_ok = True
        except Exception:
            db_ok = False
    ready = container is not None and db_ok and container.registry is not None
    body = ReadyOut(
        status="ready" if ready else "starting",
        database=db_ok,
        embedding_model=container.embedder.model_id if container is not None else None,
        indexed_chunks=container.registry.total_chunks() if container and container.registry else 0,
        worker="embedded" if container is not None and container.settings.worker.embedded else "external",
        generator=container.generator_status() if container is not None else "disabled",
        generator_error=_error_for_anyone(request, container),
        generator_restarts=getattr(container.generator, "restarts", 0) if container is not None else 0,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


HIDDEN_ERROR = "The generator failed; its error is in the server log (or run `shiori doctor`)."


def _error_for_anyone(request: Request, container: Container | None) -> str | None:
    """/readyz takes no key, so with keys required it doesn't show the error text (file paths, model
    names): only that there is one. Without keys every caller is an admin and sees it."""
    detail = container.generator_error_detail() if container is not None else None
    if detail is None or not request.app.state.guard.required:
        return detail
    return HIDDEN_ERROR
