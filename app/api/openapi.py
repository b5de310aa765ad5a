"""The OpenAPI schema, plus what FastAPI can't see: the answer events `/api/v1/ask` streams.

The UI's TypeScript types are generated from this schema (`make api-types`), so the event models
must be in it: each is added to the components, and the `text/event-stream` response of the
answering routes names them (`oneOf`; the SSE `event:` line says which one a message is).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from app.services.answer_events import EVENT_TYPES

STREAMING_ROUTES = (("/api/v1/ask", "post"),)


def install_openapi(app: FastAPI) -> None:
    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            _, defs = models_json_schema(
                [(model, "serialization") for model in EVENT_TYPES],
                ref_template="#/components/schemas/{model}",
            )
            components = spec.setdefault("components", {}).setdefault("schemas", {})
            for name, definition in defs.get("$defs", {}).items():
                components.setdefault(name, definition)
            stream = {"oneOf": [{"$ref": f"#/components/schemas/{m.__name__}"} for m in EVENT_TYPES]}
            for path, method in STREAMING_ROUTES:
                content = spec["paths"][path][method]["responses"]["200"]["content"]
                content["text/event-stream"] = {"schema": stream}
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = schema  # type: ignore[method-assign]


def api_schema() -> dict[str, Any]:
    """The schema of an app with default settings (the environment and .env are not read), as
    `make api-types` writes it to app/ui/openapi.json."""
    from app.api.app import create_app
    from app.core.settings import Settings

    return create_app(Settings.model_validate({})).openapi()


if __name__ == "__main__":
    import json
    import sys

    sys.stdout.write(json.dumps(api_schema(), indent=2, ensure_ascii=False) + "\n")
