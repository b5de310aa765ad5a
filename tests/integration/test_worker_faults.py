"""Worker processes under faults: SIGKILL mid-document, and several workers sharing one queue.

Workers run as real `shiori worker` subprocesses; the fake embedder (with a per-text delay) makes a
document take long enough to kill the worker in the middle of it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.settings import Settings
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from app.services.container import build_database
from tests.support.ingest import library_for

pytestmark = pytest.mark.integration


def sentence_text(n: int, tag: str) -> bytes:
    return "".join(
        f"{tag} document, sentence number {i} talks about topic {i % 7}.\n\n" for i in range(n)
    ).encode()


class WorkerProcs:
    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, **extra_env: str) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        return proc

    def logs(self) -> list[str]:
        return [p.read_text(errors="replace") for p in sorted(self.log_dir.glob("worker-*.log"))]

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIORI_")}
    env.update(
        {
            "SHIORI_PATHS__DATA_DIR": str(settings.paths.data_dir),
            "SHIORI_DB__URL": settings.database_url,
            "SHIORI_EMBEDDING__BACKEND": "fake",
            "SHIORI_WORKER__POLL_INTERVAL_S": "0.1",
            "SHIORI_WORKER__LEASE_S": "3",
            "SHIORI_WORKER__BACKOFF_BASE_S": "0",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        }
    )
    env.update(extra)
    return env


@pytest.fixture
def setup(
    make_settings: Callable[..., Settings], db_url: str, tmp_path: Path
) -> Iterator[tuple[Settings, SessionFactory, WorkerProcs]]:
    settings = make_settings(db_url)
    engine, factory = build_database(settings)
    procs = WorkerProcs(env_for(settings), tmp_path)
    yield settings, factory, procs
    procs.stop_all()
    engine.dispose()


def queue(settings: Settings, factory: SessionFactory, name: str, content: bytes) -> int:
    return library_for(settings, factory).add_bytes("default", name, content).document_id


def wait_for(pred: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def job_of(factory: SessionFactory, doc_id: int) -> m.IngestJob:
    with session_scope(factory) as s:
        job = s.scalar(select(m.IngestJob).where(m.IngestJob.document_id == doc_id))
        assert job is not None
        return job


def chunk_count(factory: SessionFactory, doc_id: int) -> int:
    with session_scope(factory) as s:
        return int(s.scalar(select(func.count()).where(m.Chunk.document_id == doc_id)) or 0)


def test_killed_worker_leaves_nothing_and_another_finishes(
    setup: tuple[Settings, SessionFactory, WorkerProcs],
) -> None:
    settings, factory, procs = setup
    doc_id = queue(settings, factory, "long.txt", sentence_text(120, "Long"))
    victim = procs.start(SHIORI_EMBEDDING__FAKE_DELAY_S="1.0")  # 5 chunks: ~5 s of "embedding"
    wait_for(lambda: job_of(factory, doc_id).stage == "embedding", 60, "the worker to start embedding")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)

    job = job_of(factory, doc_id)
    assert job.status == m.JobStatus.running and job.attempts == 1  # abandoned, lease still held
    assert chunk_count(factory, doc_id) == 0  # nothing half-done is visible

    procs.start()
    wait_for(lambda: job_of(factory, doc_id).status == m.JobStatus.done, 60, "the takeover to finish")
    job = job_of(factory, doc_id)
    assert job.attempts == 2
    with session_scope(factory) as s:
        doc = s.get(m.Document, doc_id)
        assert doc is not None and doc.status == m.DocumentStatus.ready
        ordinals = list(s.scalars(select(m.Chunk.ordinal).where(m.Chunk.document_id == doc_id)))
    assert doc.chunk_count == len(ordinals) > 0
    assert sorted(ordinals) == list(range(len(ordinals)))  # exactly one set of chunks


@pytest.mark.postgres
def test_two_workers_on_postgres_process_each_document_once(
    make_settings: Callable[..., Settings], postgres_url: str, tmp_path: Path
) -> None:
    settings = make_settings(postgres_url)
    engine, factory = build_database(settings)
    procs = WorkerProcs(env_for(settings, SHIORI_EMBEDDING__FAKE_DELAY_S="0.3"), tmp_path)
    try:
        ids = [queue(settings, factory, f"doc-{i}.txt", sentence_text(10 + i, f"Doc{i}")) for i in range(20)]
        procs.start()
        procs.start()

        def all_done() -> bool:
            with session_scope(factory) as s:
                return s.scalar(select(func.count()).where(m.IngestJob.status == m.JobStatus.done)) == 20

        wait_for(all_done, 120, "20 documents to be ingested")
    finally:
        procs.stop_all()
    with session_scope(factory) as s:
        jobs = list(s.scalars(select(m.IngestJob)))
        assert sorted(j.document_id for j in jobs) == sorted(ids)
        assert all(j.attempts == 1 for j in jobs)  # claimed exactly once each
        for doc in s.scalars(select(m.Document)):
            n = s.scalar(select(func.count()).where(m.Chunk.document_id == doc.id))
            assert doc.status == m.DocumentStatus.ready and n == doc.chunk_count > 0
    claims = [log.count("job claimed") for log in procs.logs()]
    assert sum(claims) == 20 and all(c > 0 for c in claims), claims  # both workers took part
    engine.dispose()
