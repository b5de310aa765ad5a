"""The SQL job queue: atomic claims, leases, takeover of abandoned jobs, retries, permanent failures."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.db import models as m
from app.db.migrate import upgrade_database
from app.db.session import SessionFactory, make_engine, make_session_factory, session_scope
from ingestion import jobs
from tests.support.waiting import wait_until

pytestmark = pytest.mark.unit


@pytest.fixture
def factory(db_url: str) -> SessionFactory:
    engine = make_engine(db_url)
    upgrade_database(engine)
    return make_session_factory(engine)


def _queue(factory: SessionFactory, n: int) -> list[int]:
    with session_scope(factory, write=True) as s:
        coll = m.Collection(name="c")
        s.add(coll)
        s.flush()
        docs = [
            m.Document(
                collection_id=coll.id, filename=f"{i}.txt", size_bytes=1, sha256=f"{i:064x}", storage_path="x"
            )
            for i in range(n)
        ]
        s.add_all(docs)
        s.flush()
        s.add_all([m.IngestJob(document_id=d.id) for d in docs])
        s.flush()
        return [d.id for d in docs]


def _claim(
    factory: SessionFactory, owner: str, lease_s: float = 30, max_attempts: int = 3
) -> jobs.ClaimedJob | None:
    with session_scope(factory, write=True) as s:
        return jobs.claim_next(s, owner, lease_s, max_attempts)


def _lease_expired(factory: SessionFactory) -> bool:
    """A running job's lease has run out, by the clock the queue itself compares leases with."""
    with session_scope(factory) as s:
        running = m.IngestJob.status == m.JobStatus.running
        return (
            s.scalar(select(m.IngestJob.id).where(running, m.IngestJob.lease_expires_at < m.utcnow()))
            is not None
        )


def test_claim_marks_job_running_and_document_processing(factory: SessionFactory) -> None:
    (doc_id,) = _queue(factory, 1)
    job = _claim(factory, "w1")
    assert job is not None and job.document_id == doc_id and job.attempts == 1
    with session_scope(factory) as s:
        row = s.scalar(select(m.IngestJob))
        assert row is not None
        assert row.status == m.JobStatus.running and row.lease_owner == "w1"
        assert s.get(m.Document, doc_id).status == m.DocumentStatus.processing  # type: ignore[union-attr]
    assert _claim(factory, "w2") is None  # nothing else to take


def test_concurrent_claims_never_hand_out_a_job_twice(factory: SessionFactory) -> None:
    _queue(factory, 30)
    claimed: list[int] = []
    lock = threading.Lock()

    def grab(owner: str) -> None:
        while (job := _claim(factory, owner)) is not None:
            with lock:
                claimed.append(job.job_id)

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 30


def test_expired_lease_is_taken_over_and_old_owner_cannot_write(factory: SessionFactory) -> None:
    _queue(factory, 1)
    first = _claim(factory, "dead", lease_s=0.2)
    assert first is not None
    assert _claim(factory, "other") is None  # lease still valid
    second = wait_until(lambda: _claim(factory, "alive"), timeout=10, message="the lease to expire")
    assert second.job_id == first.job_id and second.attempts == 2
    with pytest.raises(jobs.LeaseLost), session_scope(factory, write=True) as s:
        jobs.heartbeat(s, first.job_id, "dead", 30)
    with pytest.raises(jobs.LeaseLost), session_scope(factory, write=True) as s:
        jobs.assert_owned(s, first.job_id, "dead")
    with session_scope(factory, write=True) as s:
        jobs.heartbeat(s, second.job_id, "alive", 30, stage="embedding", chunks_done=3)
    with session_scope(factory) as s:
        row = s.get(m.IngestJob, second.job_id)
        assert row is not None and row.stage == "embedding" and row.chunks_done == 3


def test_retry_backs_off_then_fails_after_max_attempts(factory: SessionFactory) -> None:
    (doc_id,) = _queue(factory, 1)
    for attempt in (1, 2):
        job = _claim(factory, "w", max_attempts=3)
        assert job is not None and job.attempts == attempt
        with session_scope(factory, write=True) as s:
            assert jobs.schedule_retry(s, job, "w", "boom", max_attempts=3, backoff_s=60)
        assert _claim(factory, "w", max_attempts=3) is None  # waiting out the backoff
        with session_scope(factory, write=True) as s:  # fast-forward the clock
            s.execute(update(m.IngestJob).values(run_after=m.utcnow() - timedelta(seconds=1)))
    job = _claim(factory, "w", max_attempts=3)
    assert job is not None and job.attempts == 3
    with session_scope(factory, write=True) as s:
        assert not jobs.schedule_retry(s, job, "w", "boom", max_attempts=3, backoff_s=60)
    with session_scope(factory) as s:
        doc = s.get(m.Document, doc_id)
        assert doc is not None and doc.status == m.DocumentStatus.failed
        assert "3 times" in (doc.error or "") and "boom" in (doc.error or "")


def test_permanent_failure_keeps_the_reason(factory: SessionFactory) -> None:
    (doc_id,) = _queue(factory, 1)
    job = _claim(factory, "w")
    assert job is not None
    with session_scope(factory, write=True) as s:
        jobs.mark_failed(s, job, "w", "This PDF is encrypted with a password.")
    with session_scope(factory) as s:
        doc = s.get(m.Document, doc_id)
        assert doc is not None and doc.status == m.DocumentStatus.failed
        assert doc.error == "This PDF is encrypted with a password."
    assert _claim(factory, "w") is None


def test_job_abandoned_on_every_attempt_ends_failed(factory: SessionFactory) -> None:
    (doc_id,) = _queue(factory, 1)
    for _ in range(2):
        assert _claim(factory, "crashy", lease_s=0.05, max_attempts=2) is not None
        wait_until(lambda: _lease_expired(factory), timeout=10, message="the lease to expire")
    assert _claim(factory, "w", max_attempts=2) is None
    with session_scope(factory, write=True) as s:
        assert jobs.fail_exhausted(s, max_attempts=2) == 1
    with session_scope(factory) as s:
        doc = s.get(m.Document, doc_id)
        assert doc is not None and doc.status == m.DocumentStatus.failed and "2 times" in (doc.error or "")


def test_backoff_grows_and_is_capped() -> None:
    assert [jobs.backoff_seconds(a, 5, 30) for a in (1, 2, 3, 4, 5)] == [5, 10, 20, 30, 30]
