"""Helpers shared by the bench scripts: a throwaway Shiori instance and ingestion through the worker."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED = Path(os.environ.get("SHIORI_SHARED_DIR", REPO.parent / "shared"))

from app.core.settings import Settings  # noqa: E402
from app.db.session import session_scope  # noqa: E402
from app.services.container import Container, build_container  # noqa: E402
from ingestion.worker import Worker  # noqa: E402


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    # A fresh data folder per run, but the models `make` prepared under ./data/models.
    model = os.environ.get("SHIORI_EMBEDDING__MODEL_PATH", str(REPO / "data/models/multilingual-e5-small"))
    base: dict[str, Any] = {
        "paths": {"data_dir": data_dir},
        "worker": {"embedded": False},
        "embedding": {"model_path": model},
    }
    base.update(overrides)
    return Settings(**base)


def add_texts(container: Container, collection: str, items: list[tuple[str, bytes]]) -> list[int]:
    """Register (filename, content) pairs as uploads; returns document ids in order."""
    container.library.ensure_collection(collection)
    return [container.library.add_bytes(collection, name, content).document_id for name, content in items]


def drain(container: Container) -> float:
    """Run a worker in this thread until the queue is empty; returns the seconds it took."""
    worker = Worker(container.settings, container.factory, container.embedder)
    t0 = time.perf_counter()
    while worker.run_once():
        pass
    return time.perf_counter() - t0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return (
        statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]
    )


__all__ = ["SHARED", "add_texts", "build_container", "drain", "make_settings", "percentile", "session_scope"]
