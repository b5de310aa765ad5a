"""The docker-compose layout without Docker: PostgreSQL, a one-shot migration, two `shiori worker`
processes and two `shiori serve --no-worker` processes sharing one data folder (as the compose volumes).

A batch of documents is uploaded through both APIs; one API is SIGKILLed right after its upload was
accepted and one worker in the middle of a document. Afterwards every document is ready with exactly one
set of chunks, and both APIs (the killed one restarted) answer the same searches with the same passages.
The API key is made once in the database and accepted by both APIs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from app.core.settings import Settings
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from app.services import keys as keys_service
from app.services.container import build_database
from tests.conftest import CORPUS, REPO
from tests.support.ci import require
from tests.support.server import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

QUERIES = [
    "大規模言語モデルの学習に使うデータは何ですか",
    "Can machines think?",
    "Transformerの注意機構とは",
    "スケーリング則",
]


def small_documents(count: int, size: int = 1500) -> list[tuple[str, bytes]]:
    """Consecutive slices of the seed texts, cut at paragraph ends: distinct, realistic, small."""
    text = "\n\n".join(p.read_text() for p in sorted((CORPUS / "seeds").glob("*.txt")))
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    out: list[tuple[str, bytes]] = []
    buf: list[str] = []
    for para in paragraphs:
        buf.append(para)
        if sum(len(b) for b in buf) >= size:
            out.append((f"part-{len(out):02d}.txt", "\n\n".join(buf).encode()))
            buf = []
            if len(out) == count:
                break
    return out


class Procs:
    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env, self.log_dir = env, log_dir
        self.all: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with (self.log_dir / f"{name}.log").open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", *args],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.all.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop_all(self) -> None:
        for p in self.all:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.all:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


T0 = time.monotonic()


def wait_for(pred: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = pred()
        if got:
            print(f"{time.monotonic() - T0:7.1f}s {what}", file=sys.stderr)
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Api:
    def __init__(self, procs: Procs, name: str, headers: dict[str, str]) -> None:
        self.procs, self.name, self.headers = procs, name, headers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = self.procs.start(self.name, "serve", "--no-worker", "--port", str(self.port))

    def ready(self) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.poll() is None, self.procs.log(self.name)
        try:
            r = httpx.get(f"{self.url}/readyz", timeout=2)
        except httpx.HTTPError:
            return None
        return dict(r.json()) if r.status_code == 200 else None

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", headers=self.headers, timeout=60, **kw)

    def search(self, query: str, mode: str) -> list[tuple[int, float]]:
        r = self.post("/api/v1/search", json={"query": query, "k": 8, "mode": mode})
        assert r.status_code == 200, r.text
        hits = [(p["chunk_id"], round(p["score"], 4)) for p in r.json()["passages"]]
        return sorted(hits, key=lambda h: (-h[1], h[0]))  # exact ties may come in any order


@pytest.fixture
def layout(
    postgres_url: str, e5_model_dir: Path, tmp_path: Path
) -> Iterator[tuple[Procs, SessionFactory, str]]:
    require((CORPUS / "seeds").is_dir(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    data = tmp_path / "data"
    settings = Settings(paths={"data_dir": data}, db={"url": postgres_url})
    engine, factory = build_database(settings)  # the compose `migrate` service
    with session_scope(factory, write=True) as s:
        token = keys_service.create_key(s, "writer", name="scale-out").token
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIORI_")}
    env.update(
        {
            "SHIORI_DB__URL": postgres_url,
            "SHIORI_DB__MIGRATE_ON_START": "false",
            "SHIORI_PATHS__DATA_DIR": str(data),
            "SHIORI_EMBEDDING__MODEL_PATH": str(e5_model_dir),
            "SHIORI_EMBEDDING__THREADS": "1",  # four processes share two cores
            "SHIORI_GENERATOR__BACKEND": "fake",  # this test is about ingestion and search
            "SHIORI_AUTH__MODE": "required",
            "SHIORI_LIMITS__RATE_PER_MINUTE": "0",
            "SHIORI_WORKER__LEASE_S": "4",
            "SHIORI_WORKER__POLL_INTERVAL_S": "0.2",
            "SHIORI_WORKER__BACKOFF_BASE_S": "0",
            "SHIORI_INDEX__SYNC_INTERVAL_S": "0.3",
            "SHIORI_INDEX__SNAPSHOT_INTERVAL_S": "2",
        }
    )
    procs = Procs(env, tmp_path)
    try:
        yield procs, factory, token
    finally:
        procs.stop_all()
        engine.dispose()


def running_job_of(factory: SessionFactory, pid: int) -> int | None:
    with session_scope(factory) as s:
        return s.scalar(
            select(m.IngestJob.id).where(
                m.IngestJob.status == m.JobStatus.running, m.IngestJob.lease_owner.like(f"%:{pid}:%")
            )
        )


def test_two_workers_two_apis_survive_kills(layout: tuple[Procs, SessionFactory, str]) -> None:
    procs, factory, token = layout
    headers = {"Authorization": f"Bearer {token}"}
    documents = small_documents(10)
    assert len(documents) == 10
    w1 = procs.start("worker-1", "worker")
    metrics_port = free_port()
    procs.start("worker-2", "worker", "--metrics-port", str(metrics_port))
    api1, api2 = Api(procs, "api-1", headers), Api(procs, "api-2", headers)
    api1.start()
    api2.start()
    wait_for(lambda: api1.ready() and api2.ready(), 180, "both APIs to be ready")

    def upload(api: Api, batch: list[tuple[str, bytes]]) -> list[int]:
        r = api.post("/api/v1/collections/default/documents", files=[("files", d) for d in batch])
        assert r.status_code == 202, r.text
        return [d["document_id"] for d in r.json()["documents"]]

    ids = upload(api1, documents[:5])
    ids += upload(api2, documents[5:])
    assert api2.proc is not None
    api2.proc.send_signal(signal.SIGKILL)  # its upload was acknowledged: it must not be lost
    api2.proc.wait(timeout=10)

    victim_job = wait_for(lambda: running_job_of(factory, w1.pid), 120, "worker 1 to take a document")
    w1.send_signal(signal.SIGKILL)  # in the middle of that document
    w1.wait(timeout=10)

    api2.start()  # same data folder, new process: index from snapshots + the database

    def all_terminal() -> bool:
        r = httpx.get(
            f"{api1.url}/api/v1/collections/default/documents?limit=1000", headers=headers, timeout=30
        )
        return all(d["status"] in ("ready", "failed") for d in r.json()) and len(r.json()) == len(documents)

    wait_for(all_terminal, 240, "every document to be ingested")

    with session_scope(factory) as s:
        docs = list(s.scalars(select(m.Document)))
        per_doc = dict(
            s.execute(select(m.Chunk.document_id, func.count()).group_by(m.Chunk.document_id)).all()
        )
        victim = s.get(m.IngestJob, victim_job)
        total_chunks = int(s.scalar(select(func.count(m.Chunk.id))) or 0)
    assert sorted(d.id for d in docs) == sorted(ids) and len(ids) == len(documents)  # none lost, none twice
    assert len({d.sha256 for d in docs}) == len(docs)
    for d in docs:
        assert d.status == m.DocumentStatus.ready, (d.filename, d.error)
        assert per_doc.get(d.id, 0) == d.chunk_count > 0, d.filename  # exactly one set of chunks
    assert victim is not None and victim.status == m.JobStatus.done and victim.attempts == 2
    assert "job claimed" in procs.log("worker-2")
    # The surviving worker's own /metrics saw its share, the taken-over document included.
    worker_metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    ingested = next(
        float(line.split()[-1])
        for line in worker_metrics.splitlines()
        if line.startswith("shiori_ingested_documents_total ")
    )
    assert ingested >= 1

    # Both APIs sync the same passages from PostgreSQL and rank them the same way.
    for api in (api1, api2):
        wait_for(
            lambda api=api: (api.ready() or {}).get("indexed_chunks") == total_chunks,
            60,
            f"{api.name} to sync",
        )
    for query in QUERIES:
        for mode in ("dense", "hybrid"):
            first = api1.search(query, mode)
            assert first, query
            assert api2.search(query, mode) == first, (query, mode)
