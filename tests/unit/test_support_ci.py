"""`require`: a missing corpus, tool or package skips on a developer's machine and fails under CI."""

from __future__ import annotations

import pytest

from tests.support.ci import require, require_module

pytestmark = pytest.mark.unit


def test_missing_things_skip_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    require(True, "present")
    with pytest.raises(pytest.skip.Exception, match="corpus not found"):
        require(False, "corpus not found")
    with pytest.raises(pytest.skip.Exception, match="no_such_module_here is not installed"):
        require_module("no_such_module_here")


@pytest.mark.parametrize("value", ["1", "true"])
def test_missing_things_fail_under_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    require(True, "present")
    with pytest.raises(pytest.fail.Exception, match=r"corpus not found \(required under CI\)"):
        require(False, "corpus not found")
    with pytest.raises(pytest.fail.Exception, match="no_such_module_here is not installed"):
        require_module("no_such_module_here")
    assert require_module("json").__name__ == "json"
