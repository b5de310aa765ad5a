"""The background half of the index: a thread that brings the `IndexRegistry` up to date with the
database and writes snapshots of what changed.

It polls every `index.sync_interval_s`, so chunks that became ready in another process (any worker)
appear within seconds, and at once when this process's own worker says it finished a document
(`wake`). A database outage costs a warning per round; the next round catches up.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import OperationalError

from app.core.settings import IndexSettings
from app.services.indexing import IndexRegistry

logger = logging.getLogger(__name__)


class IndexSync:
    def __init__(self, registry: IndexRegistry, settings: IndexSettings) -> None:
        self.registry = registry
        self.settings = settings
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="index-sync", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Sync now rather than at the next interval (a document just became ready)."""
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        """Stop the thread (after the round in progress) and write what changed since the last snapshot."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None
        self.registry.save_snapshots()

    def _run(self) -> None:
        last_snapshot = 0.0
        while True:
            self._wake.wait(self.settings.sync_interval_s)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.registry.sync()
                if time.monotonic() - last_snapshot >= self.settings.snapshot_interval_s:
                    self.registry.save_snapshots()
                    last_snapshot = time.monotonic()
            except OperationalError as exc:  # the database is briefly down: the next round catches up
                logger.warning("index sync: database unavailable error=%s", exc.orig)
            except Exception:
                logger.exception("index sync failed")
