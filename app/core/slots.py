"""Bounded generation slots with a bounded queue: past both, callers are told to come back later.

A CPU runs one generation at a time well; more in parallel only slows every one of them. Requests
beyond the running slots wait in a short queue; beyond the queue they are refused at once (the API
answers 429 with Retry-After) instead of piling up.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from app.core.errors import RateLimited, ShioriError


class QueueFull(RateLimited):
    code = "queue_full"


class SlotTimeout(ShioriError):
    code = "queue_timeout"
    status = 503


class CallerQueueFull(RateLimited):
    code = "caller_queue_full"


class GenerationSlots:
    """`slots` run at once, `queue` more wait. One caller (an API key, or an address without keys)
    holds at most `per_caller` of those places, so a single client can't keep everyone else out."""

    def __init__(
        self, slots: int = 1, queue: int = 4, *, per_caller: int | None = None, retry_after_s: int = 10
    ) -> None:
        self.slots = slots
        self.queue = queue
        self.per_caller = per_caller if per_caller is not None else max(1, (slots + queue) // 2)
        self.retry_after_s = retry_after_s
        self._sem = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._admitted = 0  # running + waiting
        self._by_caller: dict[str, int] = {}

    @property
    def depth(self) -> int:
        """Requests admitted and not finished (running + waiting)."""
        with self._lock:
            return self._admitted

    def reserve(self, caller: str = "") -> Ticket:
        """Admit a request or raise QueueFull / CallerQueueFull. Cheap and non-blocking: call before
        responding."""
        with self._lock:
            if self._admitted >= self.slots + self.queue:
                raise QueueFull(
                    f"The server is busy answering other questions ({self._admitted} in progress or "
                    f"waiting); try again in about {self.retry_after_s} s.",
                    self.retry_after_s,
                )
            held = self._by_caller.get(caller, 0)
            if held >= self.per_caller:
                raise CallerQueueFull(
                    f"You already have {held} questions in progress or waiting (the most one caller "
                    f"may have); try again when one is answered, in about {self.retry_after_s} s.",
                    self.retry_after_s,
                )
            self._admitted += 1
            self._by_caller[caller] = held + 1
        return Ticket(self, caller)

    def _release_admission(self, caller: str) -> None:
        with self._lock:
            self._admitted -= 1
            left = self._by_caller.get(caller, 1) - 1
            if left > 0:
                self._by_caller[caller] = left
            else:
                self._by_caller.pop(caller, None)


class Ticket:
    """A place in line. ``with ticket.slot(timeout):`` waits for a free slot and holds it."""

    def __init__(self, owner: GenerationSlots, caller: str = "") -> None:
        self._owner = owner
        self._caller = caller
        self._holding = False
        self._closed = False
        self.waited_s = 0.0

    def acquire(self, timeout: float | None = None) -> None:
        """Wait for a free slot and hold it; a ticket already holding one keeps it."""
        if self._holding:
            return
        t0 = time.monotonic()
        if not self._owner._sem.acquire(timeout=timeout if timeout is not None else -1):
            raise SlotTimeout("Timed out waiting for a free generation slot.")
        self.waited_s = time.monotonic() - t0
        self._holding = True

    def close(self) -> None:
        """Give back the slot (if held) and the place in line. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._holding:
            self._owner._sem.release()
            self._holding = False
        self._owner._release_admission(self._caller)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
