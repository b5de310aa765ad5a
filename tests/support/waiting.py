"""Wait for a condition, never for a fixed time: fast when things are fast, patient when CI is slow."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T], timeout: float = 20.0, interval: float = 0.05, message: str = "condition"
) -> T:
    """Call ``predicate`` until it returns something truthy, and return that. AssertionError naming
    ``message`` (and the last value seen) if it has not within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {message} (last: {value!r})")
        time.sleep(interval)
