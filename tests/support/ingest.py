"""Add documents the way users do (`Library`) and ingest them to the end, in this thread."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from app.db.session import SessionFactory
from app.services.library import Library


def library_for(settings: Any, factory: SessionFactory) -> Library:
    return Library(factory, settings.paths.uploads_dir, max_upload_bytes=settings.limits.max_upload_bytes)


def add_documents(
    library: Library,
    paths: Iterable[Path] = (),
    texts: Mapping[str, str | bytes] | None = None,
    collection: str = "default",
) -> dict[str, int]:
    """Queue files and named texts; returns document ids by file name."""
    ids = {p.name: library.add_file(collection, p).document_id for p in paths}
    for name, text in (texts or {}).items():
        data = text.encode("utf-8") if isinstance(text, str) else text
        ids[name] = library.add_bytes(collection, name, data).document_id
    return ids


def drain(container: Any) -> None:
    """Run a worker here until the queue is empty, then bring the container's index up to date."""
    from ingestion.worker import Worker

    worker = Worker(container.settings, container.factory, container.embedder)
    while worker.run_once():
        pass
    if container.registry is not None:
        container.registry.sync()


def ingest(
    container: Any,
    paths: Iterable[Path] = (),
    texts: Mapping[str, str | bytes] | None = None,
    collection: str = "default",
) -> dict[str, int]:
    """`add_documents` then `drain`: every document has ended `ready` or `failed` when it returns."""
    ids = add_documents(container.library, paths, texts, collection)
    drain(container)
    return ids
