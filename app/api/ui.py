"""The browser UI: the front end built from app/ui into app/ui/dist, served at `/`; and the API docs.

The build is looked up per request, so `make ui` while the server runs takes effect on reload. Without a
build, `/` and `/docs` say how to make one; the API, /openapi.json and /v1 work either way.

`/docs` is Swagger UI from the build (`dist/api-docs`, pinned by package-lock.json), never from a CDN:
this origin's pages hold the API key, so they run only scripts served from here, under a CSP.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.staticfiles import StaticFiles

UI_DIST = Path(__file__).resolve().parents[1] / "ui" / "dist"

# The UI loads nothing from elsewhere and runs no inline script, so even HTML that slipped past the
# sanitiser could not execute anything or phone home.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

# Swagger UI styles some elements with inline style attributes; scripts stay same-origin only.
DOCS_HEADERS = {
    **PAGE_HEADERS,
    "Content-Security-Policy": CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'"
    ).replace("frame-src 'self' blob:", "frame-src 'none'"),
}
DOCS_HTML = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Shiori API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/api-docs/swagger-ui.css">
<body><div id="swagger-ui"></div>
<script src="/api-docs/swagger-ui-bundle.js"></script>
<script src="/api-docs/init.js"></script>
</body></html>
"""

NOT_BUILT_DETAIL = (
    "The browser UI is not built. Run `make ui` (needs Node.js 20+ and npm), or "
    "`cd app/ui && npm ci && npm run build`, then reload. The API works without it: see /docs."
)
DOCS_NOT_BUILT_DETAIL = NOT_BUILT_DETAIL.replace("see /docs", "/openapi.json describes it")


def not_built(request: Request, detail: str) -> Response:
    """503 saying how to build the UI: a page for a browser, `{detail, code}` for anything else."""
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"detail": detail, "code": "ui_not_built"}, status_code=503)
    page = f"""<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Shiori</title>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.6">
<h1>Shiori</h1>
<p>{detail.replace("`", "")}</p>
</body></html>
"""
    return HTMLResponse(page, status_code=503)


class _HashedAssets(StaticFiles):
    """Vite puts a content hash in every asset name, so a browser may keep them for good."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def check_config(self) -> None:
        # No build yet: answer 404 instead of failing, and pick the folder up once it is built.
        if self.directory is not None and await anyio.to_thread.run_sync(os.path.isdir, self.directory):
            await super().check_config()


class _DocsAssets(_HashedAssets):
    """Swagger UI's files keep their names across versions: revalidate instead of keeping them."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


def install_ui(app: FastAPI, dist: Path = UI_DIST) -> None:
    """Serve ``dist/index.html`` at `/`, ``dist/assets`` at `/assets`, the favicon, and the API docs
    at `/docs` with ``dist/api-docs``."""
    app.mount("/assets", _HashedAssets(directory=dist / "assets", check_dir=False), name="ui-assets")
    app.mount("/api-docs", _DocsAssets(directory=dist / "api-docs", check_dir=False), name="api-docs")

    @app.get("/docs", include_in_schema=False, response_model=None)
    def api_docs(request: Request) -> Response:
        if (dist / "api-docs" / "swagger-ui-bundle.js").is_file():
            return HTMLResponse(DOCS_HTML, headers=DOCS_HEADERS)
        return not_built(request, DOCS_NOT_BUILT_DETAIL)

    @app.get("/", include_in_schema=False, response_model=None)
    def ui_index(request: Request) -> Response:
        index = dist / "index.html"
        if index.is_file():
            return FileResponse(index, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)
        return not_built(request, NOT_BUILT_DETAIL)

    @app.get("/favicon.svg", include_in_schema=False, response_model=None)
    def ui_favicon() -> Response:
        icon = dist / "favicon.svg"
        if not icon.is_file():
            return JSONResponse({"detail": "No favicon.", "code": "not_found"}, status_code=404)
        return FileResponse(
            icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
        )
