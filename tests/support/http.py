"""The in-process HTTP client every API test uses."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

# A loopback name the server accepts by default (server.allowed_hosts): Starlette's own default,
# `testserver`, is refused like any other unknown Host (DNS rebinding, #16).
LOCAL_BASE_URL = "http://localhost"


def api_client(app: FastAPI, **kwargs: Any) -> TestClient:
    kwargs.setdefault("base_url", LOCAL_BASE_URL)
    return TestClient(app, **kwargs)
