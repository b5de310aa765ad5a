"""The browser UI: the front end built from app/ui into app/ui/dist, served at `/`.

The build is looked up per request, so `make ui` while the server runs takes effect on reload. Without a
build, `/` says how to make one; the API, /docs and /v1 work either way.
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

NOT_BUILT_DETAIL = (
    "The browser UI is not built. Run `make ui` (needs Node.js 20+ and npm), or "
    "`cd app/ui && npm ci && npm run build`, then reload. The API works without it: see /docs."
)
NOT_BUILT_HTML = f"""<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Shiori</title>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.6">
<h1>Shiori</h1>
<p>{NOT_BUILT_DETAIL.replace("`", "")}</p>
</body></html>
"""


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


def install_ui(app: FastAPI, dist: Path = UI_DIST) -> None:
    """Serve ``dist/index.html`` at `/`, ``dist/assets`` at `/assets` and the favicon."""
    app.mount("/assets", _HashedAssets(directory=dist / "assets", check_dir=False), name="ui-assets")

    @app.get("/", include_in_schema=False, response_model=None)
    def ui_index(request: Request) -> Response:
        index = dist / "index.html"
        if index.is_file():
            return FileResponse(index, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(NOT_BUILT_HTML, status_code=503)
        return JSONResponse({"detail": NOT_BUILT_DETAIL, "code": "ui_not_built"}, status_code=503)

    @app.get("/favicon.svg", include_in_schema=False, response_model=None)
    def ui_favicon() -> Response:
        icon = dist / "favicon.svg"
        if not icon.is_file():
            return JSONResponse({"detail": "No favicon.", "code": "not_found"}, status_code=404)
        return FileResponse(
            icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
        )
