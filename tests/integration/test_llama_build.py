"""The llama.cpp build that `make setup` compiled, and the real generator's safe fallback and doctor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.core.generation import GenerationOptions
from tests.conftest import REPO

pytestmark = pytest.mark.integration

MESSAGES: list[Any] = [{"role": "user", "content": "日本の首都はどこですか？一言で答えてください。"}]


def test_the_installed_build_is_the_portable_one() -> None:
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    assert "AVX2 = 1" in info and "FMA = 1" in info, info
    # Built from requirements/llama-cmake-args: no AVX-512 and no AMX kernels, whatever this CPU has.
    assert "AVX512" not in info and "AMX" not in info, info


def test_without_extra_buffer_types_the_model_gives_the_same_greedy_answer(
    qwen_gguf: Path, real_generator: Any
) -> None:
    from app.core.generation.llama_cpp import LlamaCppGenerator

    safe = LlamaCppGenerator(qwen_gguf, extra_bufts=False)
    safe.warm_up()
    opts = GenerationOptions(max_tokens=12)
    assert safe.info()["extra_bufts"] is False
    assert "".join(safe.stream(MESSAGES, opts)) == "".join(real_generator.stream(MESSAGES, opts))


def test_doctor_reports_the_build_the_model_and_measured_speed(qwen_gguf: Path, e5_model_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIORI_")}
    env["SHIORI_GENERATOR__GGUF_PATH"] = str(qwen_gguf)
    env["SHIORI_EMBEDDING__MODEL_PATH"] = str(e5_model_dir)
    r = subprocess.run(
        [sys.executable, "-m", "app.cli", "doctor", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads(r.stdout)
    assert r.returncode == 0 and report["ok"], r.stderr[-2000:]
    gen = report["generator"]
    assert "AVX2 = 1" in gen["system_info"] and gen["self_check"]["text"]
    assert gen["speed"]["prompt_tokens"] > 300 and gen["speed"]["prompt_tokens_per_s"] > 0
    assert gen["speed"]["decode_tokens_per_s"] > 0
    assert [m["ok"] for m in report["models"]] == [True, True]
