"""The ingestion worker's outcomes: a model that isn't available yet is retried, bad input fails at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pytest
from sqlalchemy import select

from app.core.embedding.fake import FakeEmbedder
from app.core.errors import ModelUnavailable
from app.core.settings import Settings
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from app.services.container import build_database
from ingestion.worker import Worker
from tests.support.ingest import library_for

pytestmark = pytest.mark.unit


class EmbedderMissingAtFirst(FakeEmbedder):
    """Raises ModelUnavailable on the first call (the model folder is still being copied), then works."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.calls == 1:
            raise ModelUnavailable("The embedding model folder does not exist yet.")
        return super().embed_documents(texts)


@pytest.fixture
def setup(make_settings: Callable[..., Settings], db_url: str) -> Iterator[tuple[Settings, SessionFactory]]:
    settings = make_settings(db_url, worker={"max_attempts": 3, "backoff_base_s": 0})
    engine, factory = build_database(settings)
    yield settings, factory
    engine.dispose()


def queue(settings: Settings, factory: SessionFactory, name: str, content: bytes) -> int:
    return library_for(settings, factory).add_bytes("default", name, content).document_id


def outcome(factory: SessionFactory, doc_id: int) -> tuple[m.DocumentStatus, int, str | None]:
    with session_scope(factory) as s:
        doc = s.get(m.Document, doc_id)
        job = s.scalar(select(m.IngestJob).where(m.IngestJob.document_id == doc_id))
        assert doc is not None and job is not None
        return doc.status, job.attempts, doc.error


def test_a_model_not_available_yet_is_retried_not_blamed_on_the_document(
    setup: tuple[Settings, SessionFactory],
) -> None:
    settings, factory = setup
    doc_id = queue(settings, factory, "tower.txt", b"Tokyo Tower is 333 metres tall.")
    worker = Worker(settings, factory, EmbedderMissingAtFirst())
    assert worker.run_once()  # attempt 1: ModelUnavailable
    assert worker.run_once(), "the document was not queued again after ModelUnavailable"
    status, attempts, error = outcome(factory, doc_id)
    assert status == m.DocumentStatus.ready and attempts >= 2 and error is None


def test_bad_input_fails_at_the_first_attempt(setup: tuple[Settings, SessionFactory]) -> None:
    settings, factory = setup
    doc_id = queue(settings, factory, "blank.txt", b"   \n\n  ")
    worker = Worker(settings, factory, FakeEmbedder())
    assert worker.run_once()
    assert not worker.run_once()  # nothing left to retry
    status, attempts, error = outcome(factory, doc_id)
    assert status == m.DocumentStatus.failed and attempts == 1 and error
