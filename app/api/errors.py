"""One error shape for every failure: {"detail": str, "code": str}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import ShioriError
from app.core.logs import request_id_var

logger = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "unavailable",
}


DATABASE_RETRY_AFTER_S = 5


def error_response(
    status: int, detail: str, code: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


def domain_error_response(exc: ShioriError) -> JSONResponse:
    """A ShioriError as the API answers it: its status, `{detail, code}`, Retry-After, and the
    WWW-Authenticate challenge on a 401."""
    headers = {}
    if exc.retry_after_s is not None:
        headers["Retry-After"] = str(exc.retry_after_s)
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(exc.status, exc.detail, exc.code, headers or None)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ShioriError)
    async def _domain(_: Request, exc: ShioriError) -> JSONResponse:
        return domain_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            parts.append(f"{loc}: {err.get('msg')}" if loc else str(err.get("msg")))
        return error_response(422, "; ".join(parts) or "Invalid request.", "validation_error")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = getattr(exc, "code", None) or _HTTP_CODES.get(exc.status_code, "http_error")
        return error_response(exc.status_code, str(exc.detail), code, dict(exc.headers or {}))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            # The database is down, restarting or unreachable (or SQLite stayed locked): try again.
            logger.warning("database unavailable path=%s error=%s", request.url.path, type(exc.orig).__name__)
            return error_response(
                503,
                "The database is unavailable right now; try again in a few seconds.",
                "database_unavailable",
                {"Retry-After": str(DATABASE_RETRY_AFTER_S)},
            )
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error path=%s", request.url.path)
        # Outside the request-context middleware: put the id on this response here.
        rid = request_id_var.get()
        return error_response(
            500, "Internal server error.", "internal_error", {"X-Request-ID": rid} if rid else None
        )
