"""The UI's API types come from the server's OpenAPI schema: the checked-in copy (app/ui/openapi.json,
from which app/ui/src/api/schema.gen.ts is generated and checked by the UI's tests) must be the schema
the server serves. A payload changed without `make api-types` fails here."""

from __future__ import annotations

import json

import pytest

from app.api.openapi import api_schema
from app.services.answer_events import EVENT_TYPES
from tests.conftest import REPO

pytestmark = pytest.mark.unit

CHECKED_IN = REPO / "app" / "ui" / "openapi.json"


def test_checked_in_schema_is_the_servers() -> None:
    assert json.loads(CHECKED_IN.read_text(encoding="utf-8")) == api_schema(), (
        "app/ui/openapi.json is out of date: run `make api-types` and commit the result"
    )


def test_answer_events_are_in_the_schema_with_every_field_required() -> None:
    spec = api_schema()
    schemas = spec["components"]["schemas"]
    stream = spec["paths"]["/api/v1/ask"]["post"]["responses"]["200"]["content"]["text/event-stream"]
    assert [ref["$ref"].rsplit("/", 1)[1] for ref in stream["schema"]["oneOf"]] == [
        m.__name__ for m in EVENT_TYPES
    ]
    for model in EVENT_TYPES:
        schema = schemas[model.__name__]
        assert set(schema.get("required", [])) == set(model.model_fields), model.__name__
