"""Token-bucket rate limiting per caller (an API key, or a client address when auth is off).

Each caller's bucket holds up to ``burst`` tokens and refills at ``per_minute / 60`` tokens a second; a
request takes one. An empty bucket means "wait": ``take`` returns how many seconds until a token is
there. The buckets live in this process, so each API replica limits on its own.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = 50_000,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self.max_callers = max_callers
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, at)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, caller: str) -> float:
        """Take one token for ``caller``: 0.0 if allowed, else the seconds until one is available."""
        if not self.enabled:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(caller, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                if len(self._buckets) >= self.max_callers and caller not in self._buckets:
                    self._forget_full(now)
                self._buckets[caller] = (tokens - 1.0, now)
                return 0.0
            self._buckets[caller] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        """Drop callers whose bucket has refilled (they'd start full anyway); keeps memory bounded."""
        full_after = self.burst / self.rate
        stale = [c for c, (_, at) in self._buckets.items() if now - at >= full_after]
        for c in stale:
            del self._buckets[c]
        if len(self._buckets) >= self.max_callers:  # all active: forget the oldest half
            for c, _ in sorted(self._buckets.items(), key=lambda kv: kv[1][1])[: self.max_callers // 2]:
                del self._buckets[c]


def retry_after_header(seconds: float) -> int:
    """Retry-After takes whole seconds; never 0 (that invites an immediate retry storm)."""
    return max(1, math.ceil(seconds))
