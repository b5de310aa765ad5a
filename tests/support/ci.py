"""Skip where something optional is missing, but never under CI, where a skip would pass silently.

`.ci/run` exports `CI=1` (as hosted CI services do): there a missing corpus, tool or package fails the
test with the same reason it would be skipped with on a developer's machine.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(condition: object, reason: str) -> None:
    """Go on if ``condition`` holds; else skip with ``reason`` (a test, fixture or module), or fail
    under CI. PostgreSQL and the browser have their own switches (SHIORI_REQUIRE_*, tests/conftest.py)."""
    __tracebackhide__ = True  # report the skip at the caller's line, not this one
    if condition:
        return
    if under_ci():
        pytest.fail(f"{reason} (required under CI)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def require_module(name: str) -> ModuleType:
    """``pytest.importorskip`` that fails under CI."""
    __tracebackhide__ = True
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        require(False, f"{name} is not installed ({exc}); it is part of the dev extra")
        raise  # unreachable: require() skipped or failed
