"""Apps for API tests: settings with every fake backend, and API keys made straight in the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.core.settings import Settings
from app.db.session import session_scope
from app.services import keys as keys_service
from app.services.container import build_database
from tests.support.settings import build_settings


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "paths": {"data_dir": data_dir},
        "embedding": {"backend": "fake"},
        "generator": {"backend": "fake"},
        "keyword": {"analyzer": "fake"},
        "worker": {"embedded": True, "poll_interval_s": 0.05, "lease_s": 5},
        "index": {"sync_interval_s": 0.05},
        "answer": {"abstain_below": -1.0},
        "auth": {"mode": "required", "cache_s": 0},
        "limits": {"rate_per_minute": 0},
    }
    return build_settings(base, overrides)


def add_key(settings: Settings, role: str, collections: list[str] | None = None) -> str:
    engine, factory = build_database(settings)
    with session_scope(factory, write=True) as s:
        token = keys_service.create_key(s, role, name=f"{role}-{collections}", collections=collections).token
    engine.dispose()
    return token
