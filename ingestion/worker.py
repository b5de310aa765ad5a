"""The ingestion worker: claim a job, run the pipeline, record the outcome; forever.

Run it as a process (`shiori worker`) or as a thread inside `shiori serve`. Many workers, on any
machines, can share one PostgreSQL database; each job is processed by exactly one of them at a time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable

from sqlalchemy.exc import OperationalError

from app.core.embedding import Embedder
from app.core.errors import ShioriError
from app.core.metrics import Metrics
from app.core.settings import Settings
from app.db.session import SessionFactory, session_scope
from ingestion import jobs
from ingestion.pipeline import Pipeline

logger = logging.getLogger(__name__)


def make_owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Worker:
    def __init__(
        self,
        settings: Settings,
        factory: SessionFactory,
        embedder: Embedder,
        *,
        owner: str | None = None,
        metrics: Metrics | None = None,
        on_job_done: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.on_job_done = on_job_done  # e.g. the embedded worker wakes its API's index sync
        self.factory = factory
        self.owner = owner or make_owner_id()
        self.pipeline = Pipeline(settings, factory, embedder, self.owner)
        self.stop_event = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        """Process at most one job. Returns True if a job was claimed."""
        cfg = self.settings.worker
        with session_scope(self.factory, write=True) as session:
            exhausted = jobs.fail_exhausted(session, cfg.max_attempts)
        if exhausted:
            self._count_failure("exhausted", exhausted)
        with session_scope(self.factory, write=True) as session:
            job = jobs.claim_next(session, self.owner, cfg.lease_s, cfg.max_attempts)
        if job is None:
            return False
        logger.info("job claimed job=%s document=%s attempt=%s", job.job_id, job.document_id, job.attempts)
        t0 = time.perf_counter()
        try:
            written = self.pipeline.process(job)
        except jobs.LeaseLost:
            logger.warning("lease lost, dropping job=%s", job.job_id)
            self._count_failure("lease_lost")
        except ShioriError as exc:
            if exc.transient:  # a model or service not available yet: not the file's fault, retry
                logger.warning(
                    "ingestion deferred job=%s code=%s reason=%s", job.job_id, exc.code, exc.detail
                )
                self._record_retry(job, f"{exc.code}: {exc.detail}"[:2000])
                self._count_failure("transient")
            else:  # bad input: a permanent, readable failure
                logger.info("document failed document=%s reason=%s", job.document_id, exc.detail)
                self._record_failure(job, exc.detail)
                self._count_failure(exc.code)
        except Exception as exc:  # anything else may be transient: retry with backoff
            logger.exception("ingestion error job=%s", job.job_id)
            self._record_retry(job, f"{type(exc).__name__}: {exc}"[:2000])
            self._count_failure("transient")
        else:
            if written is not None and self.metrics is not None:
                self.metrics.observe_ingest(*written, time.perf_counter() - t0)
        if self.on_job_done is not None:
            self.on_job_done()
        return True

    def _count_failure(self, reason: str, count: int = 1) -> None:
        if self.metrics is not None:
            self.metrics.observe_job_failure(reason, count)

    def _record_failure(self, job: jobs.ClaimedJob, reason: str) -> None:
        try:
            with session_scope(self.factory, write=True) as session:
                jobs.mark_failed(session, job, self.owner, reason)
        except jobs.LeaseLost:
            logger.warning("lease lost before the failure was recorded job=%s", job.job_id)

    def _record_retry(self, job: jobs.ClaimedJob, reason: str) -> None:
        cfg = self.settings.worker
        delay = jobs.backoff_seconds(job.attempts, cfg.backoff_base_s, cfg.backoff_max_s)
        try:
            with session_scope(self.factory, write=True) as session:
                jobs.schedule_retry(
                    session, job, self.owner, reason, max_attempts=cfg.max_attempts, backoff_s=delay
                )
        except jobs.LeaseLost:
            logger.warning("lease lost before the retry was recorded job=%s", job.job_id)

    def run_forever(self) -> None:
        logger.info("worker started owner=%s", self.owner)
        poll = self.settings.worker.poll_interval_s
        outage_wait = 0.0  # grows while the database stays unreachable, so the log isn't flooded
        while not self.stop_event.is_set():
            try:
                busy = self.run_once()
                outage_wait = 0.0
            except OperationalError as exc:  # the database is down or unreachable: wait, never die
                outage_wait = min(max(poll, 0.5) if not outage_wait else outage_wait * 2, 5.0)
                logger.warning("database unavailable; retrying in %.1fs error=%s", outage_wait, exc.orig)
                self.stop_event.wait(outage_wait)
                continue
            except Exception:
                logger.exception("worker loop error; retrying")
                busy = False
            if not busy:
                self.stop_event.wait(poll)
        logger.info("worker stopped owner=%s", self.owner)

    def start_thread(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run_forever, name="ingest-worker", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 30.0) -> None:
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)
