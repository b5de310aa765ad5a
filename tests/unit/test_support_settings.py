"""The settings tests build never read `.env` or `SHIORI_*` variables, where `Settings()` itself does."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.settings import GeneratorSettings, LimitsSettings, Settings, WorkerSettings
from tests.support.apps import settings_for
from tests.support.settings import build_settings

pytestmark = pytest.mark.unit


@pytest.fixture
def leaky_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's shell and `.env`, set to values no test asks for."""
    monkeypatch.setenv("SHIORI_GENERATOR__BACKEND", "llama_cpp")
    monkeypatch.setenv("SHIORI_GENERATOR__MAX_TOKENS", "7")
    monkeypatch.setenv("SHIORI_WORKER__MAX_ATTEMPTS", "9")
    (tmp_path / ".env").write_text("SHIORI_LIMITS__MAX_K=5\n")
    monkeypatch.chdir(tmp_path)
    leaked = Settings()  # the real thing reads both: what the builders below must not
    assert (leaked.generator.max_tokens, leaked.worker.max_attempts) == (7, 9)
    assert leaked.limits.max_k == 5


def has_defaults(s: Settings) -> bool:
    """The fields the leaky environment sets hold their defaults (sections are plain models: no env)."""
    return (
        s.generator.max_tokens == GeneratorSettings().max_tokens
        and s.worker.max_attempts == WorkerSettings().max_attempts
        and s.limits.max_k == LimitsSettings().max_k
    )


@pytest.mark.usefixtures("leaky_environment")
def test_build_settings_ignores_the_environment_and_dotenv() -> None:
    s = build_settings({"generator": {"backend": "fake"}})
    assert s.generator.backend == "fake" and has_defaults(s) and isinstance(s, Settings)


@pytest.mark.usefixtures("leaky_environment")
def test_make_settings_and_settings_for_ignore_them_too(
    make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    for s in (make_settings(worker={"lease_s": 9}), settings_for(tmp_path / "data")):
        assert s.generator.backend == "fake" and has_defaults(s)


def test_layers_merge_section_by_section() -> None:
    s = build_settings(
        {"worker": {"lease_s": 5, "poll_interval_s": 0.05}, "default_collection": "a"},
        {"worker": {"lease_s": 9}, "default_collection": "b"},
    )
    assert (s.worker.lease_s, s.worker.poll_interval_s, s.default_collection) == (9, 0.05, "b")
