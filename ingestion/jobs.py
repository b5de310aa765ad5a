"""The job queue in SQL: claim with a lease, renew it, record progress, finish or retry.

One code path for both databases: the claim is a single ``UPDATE … WHERE id = (SELECT … LIMIT 1)
RETURNING``. PostgreSQL adds ``FOR UPDATE SKIP LOCKED`` to the subquery so concurrent workers skip
each other's rows; SQLite runs the statement under its single write lock, which makes it atomic.
Every later write by a worker is conditional on it still owning the lease, so a worker that lost its
lease (it stalled, the lease expired, another worker took over) can never commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.db.models import Document, DocumentStatus, IngestJob, JobStatus, utcnow

logger = logging.getLogger(__name__)


class LeaseLost(Exception):
    """This worker no longer owns the job: stop working on it and write nothing."""


@dataclass(frozen=True)
class ClaimedJob:
    job_id: int
    document_id: int
    attempts: int


def _claimable(now: datetime, max_attempts: int) -> ColumnElement[bool]:
    queued = and_(IngestJob.status == JobStatus.queued, IngestJob.run_after <= now)
    # A running job whose lease expired belongs to a worker that died or stalled: take it over.
    abandoned = and_(IngestJob.status == JobStatus.running, IngestJob.lease_expires_at < now)
    return and_(or_(queued, abandoned), IngestJob.attempts < max_attempts)


def claim_next(session: Session, owner: str, lease_s: float, max_attempts: int) -> ClaimedJob | None:
    """Atomically take one job (or None). The caller commits (a write transaction)."""
    now = utcnow()
    candidate = (
        select(IngestJob.id)
        .where(_claimable(now, max_attempts))
        .order_by(IngestJob.run_after, IngestJob.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    stmt = (
        update(IngestJob)
        .where(IngestJob.id == candidate, _claimable(now, max_attempts))
        .values(
            status=JobStatus.running,
            lease_owner=owner,
            lease_expires_at=now + timedelta(seconds=lease_s),
            attempts=IngestJob.attempts + 1,
            stage="claimed",
            error=None,
            updated_at=now,
        )
        .returning(IngestJob.id, IngestJob.document_id, IngestJob.attempts)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(stmt).first()
    if row is None:
        return None
    session.execute(
        update(Document)
        .where(Document.id == row.document_id)
        .values(status=DocumentStatus.processing, error=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return ClaimedJob(job_id=row.id, document_id=row.document_id, attempts=row.attempts)


def fail_exhausted(session: Session, max_attempts: int) -> int:
    """Jobs whose worker died on every attempt: mark them failed so they don't wait forever."""
    now = utcnow()
    rows = session.execute(
        select(IngestJob.id, IngestJob.document_id).where(
            IngestJob.attempts >= max_attempts,
            or_(
                IngestJob.status == JobStatus.queued,
                and_(IngestJob.status == JobStatus.running, IngestJob.lease_expires_at < now),
            ),
        )
    ).all()
    reason = (
        f"Ingestion stopped {max_attempts} times without finishing (the worker crashed or was killed "
        "each time); the file may be too large or trigger a bug."
    )
    for job_id, document_id in rows:
        _finish(session, job_id, document_id, JobStatus.failed, DocumentStatus.failed, reason, now)
    return len(rows)


def _owned(job_id: int, owner: str) -> ColumnElement[bool]:
    return and_(IngestJob.id == job_id, IngestJob.lease_owner == owner, IngestJob.status == JobStatus.running)


def heartbeat(session: Session, job_id: int, owner: str, lease_s: float, **progress: object) -> None:
    """Extend the lease and record progress; raises LeaseLost if another worker took the job."""
    now = utcnow()
    result = session.execute(
        update(IngestJob)
        .where(_owned(job_id, owner))
        .values(lease_expires_at=now + timedelta(seconds=lease_s), updated_at=now, **progress)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(f"job {job_id} is no longer owned by {owner}")


def assert_owned(session: Session, job_id: int, owner: str) -> None:
    """Inside the final transaction: lock our job row and check we still own it (else LeaseLost)."""
    now = utcnow()
    result = session.execute(
        update(IngestJob)
        .where(_owned(job_id, owner))
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(f"job {job_id} is no longer owned by {owner}")


def _finish(
    session: Session,
    job_id: int,
    document_id: int,
    job_status: JobStatus,
    doc_status: DocumentStatus,
    error: str | None,
    now: datetime,
    **job_values: object,
) -> None:
    session.execute(
        update(IngestJob)
        .where(IngestJob.id == job_id)
        .values(
            status=job_status,
            error=error,
            lease_owner=None,
            lease_expires_at=None,
            finished_at=now,
            updated_at=now,
            stage="done" if job_status == JobStatus.done else "failed",
            **job_values,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Document)
        .where(Document.id == document_id)
        .values(status=doc_status, error=error, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def mark_done(session: Session, job: ClaimedJob) -> None:
    """Part of the final ingestion transaction (the caller commits together with the chunks)."""
    _finish(session, job.job_id, job.document_id, JobStatus.done, DocumentStatus.ready, None, utcnow())


def mark_failed(session: Session, job: ClaimedJob, owner: str, reason: str) -> None:
    """Permanent failure (bad input): no retry. Raises LeaseLost if the job is no longer ours."""
    assert_owned(session, job.job_id, owner)
    _finish(session, job.job_id, job.document_id, JobStatus.failed, DocumentStatus.failed, reason, utcnow())


def schedule_retry(
    session: Session, job: ClaimedJob, owner: str, reason: str, *, max_attempts: int, backoff_s: float
) -> bool:
    """Transient failure: queue again after ``backoff_s``, or fail when attempts are used up.

    Returns True if the job will be retried. Raises LeaseLost if the job is no longer ours.
    """
    assert_owned(session, job.job_id, owner)
    now = utcnow()
    if job.attempts >= max_attempts:
        msg = f"Ingestion failed {job.attempts} times; last error: {reason}"
        _finish(session, job.job_id, job.document_id, JobStatus.failed, DocumentStatus.failed, msg, now)
        return False
    session.execute(
        update(IngestJob)
        .where(IngestJob.id == job.job_id)
        .values(
            status=JobStatus.queued,
            run_after=now + timedelta(seconds=backoff_s),
            lease_owner=None,
            lease_expires_at=None,
            stage="retrying",
            error=reason,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Document)
        .where(Document.id == job.document_id)
        .values(status=DocumentStatus.queued, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return True


def backoff_seconds(attempts: int, base_s: float, max_s: float) -> float:
    return float(min(max_s, base_s * (2 ** max(attempts - 1, 0))))
