"""Schemathesis against /openapi.json of an in-process app with fakes: generated requests to every
operation never get a 500, and every response matches the documented statuses, media types and schemas.

Bounded: a few examples per operation (more with SHIORI_FUZZ_EXAMPLES). The database holds one ready
document, so id-based operations reach their success paths too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.api.app import create_app
from app.core.generation.fake import FakeGenerator
from tests.support.apps import settings_for
from tests.support.http import api_client
from tests.support.settings import build_settings
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit

# Kept small for CI; SHIORI_FUZZ_EXAMPLES=200 for a deeper run.
EXAMPLES = int(os.environ.get("SHIORI_FUZZ_EXAMPLES", "8"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def seeded_app(data_dir: Path) -> FastAPI:
    seed = settings_for(data_dir, auth={"mode": "disabled"})
    with api_client(create_app(seed, generator=FakeGenerator())) as client:
        r = client.post(
            "/api/v1/collections/default/documents",
            files=[("files", ("a.txt", b"Schemathesis writes requests. Shiori answers them."))],
        )
        doc_id = r.json()["documents"][0]["document_id"]
        wait_until(
            lambda: client.get(f"/api/v1/documents/{doc_id}").json()["status"] == "ready",
            message="the seed document to be ready",
        )
    # The app under test: schemathesis runs its lifespan. No embedded worker (uploads just queue),
    # generous limits (hypothesis sends many requests, and large bodies are part of the schema).
    return create_app(
        settings_for(
            data_dir,
            auth={"mode": "disabled"},
            worker={"embedded": False},
            server={"allowed_hosts": ["testserver"]},  # the Host schemathesis's ASGI client sends
        ),
        generator=FakeGenerator(),
    )


def operations() -> list[tuple[str, str]]:
    """Every documented operation (the app's schema needs no lifespan: cheap at collection time)."""
    spec = create_app(build_settings({"embedding": {"backend": "fake"}})).openapi()
    return sorted((method.upper(), path) for path, ops in spec["paths"].items() for method in ops)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Any:
    app = seeded_app(tmp_path_factory.mktemp("fuzz") / "data")
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize(("method", "path"), operations())
def test_openapi_conformance(api_schema: Any, method: str, path: str) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def run(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    run()
