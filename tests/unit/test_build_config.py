"""The install is the same on every machine: every dependency pinned with hashes, and llama.cpp built
with explicit, portable flags that the Makefile and the Dockerfile share (no -march=native, no AMX)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.unit

REQ = REPO / "requirements"


def lock_entries(path: Path) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) for every requirement in a pip-compile lock file."""
    entries: dict[str, tuple[str, list[str]]] = {}
    text = path.read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = re.match(r"([A-Za-z0-9_.\-]+)==([^\s\\]+)", block)
        if m:
            entries[m.group(1).lower()] = (m.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return entries


@pytest.mark.parametrize("name", ["runtime.lock", "dev.lock", "llama.lock"])
def test_every_locked_requirement_is_pinned_with_hashes(name: str) -> None:
    path = REQ / name
    entries = lock_entries(path)
    assert entries
    for pkg, (version, hashes) in entries.items():
        assert hashes, f"{name}: {pkg}=={version} has no hash"
    text = path.read_text()
    assert "--index-url" not in text and "--extra-index-url" not in text and "--find-links" not in text
    # Every requirement line is a pin (pip's hash-checking mode refuses anything else anyway).
    for line in text.splitlines():
        if line and not line.startswith((" ", "#")):
            assert "==" in line, line


def test_the_locks_agree_with_each_other_and_with_pyproject() -> None:
    runtime, dev = lock_entries(REQ / "runtime.lock"), lock_entries(REQ / "dev.lock")
    for pkg, (version, _) in runtime.items():
        assert dev[pkg][0] == version, f"{pkg}: runtime {version}, dev {dev[pkg][0]}"
    assert "torch" not in runtime and "llama-cpp-python" not in runtime  # installed on their own
    pin = re.search(r'"llama-cpp-python==([0-9.]+)"', (REPO / "pyproject.toml").read_text())
    assert pin is not None
    (version, hashes) = lock_entries(REQ / "llama.lock")["llama-cpp-python"]
    assert version == pin.group(1) and len(hashes) == 1  # the source archive only: always compiled here


def test_llama_build_flags_are_portable_avx2() -> None:
    flags = dict(f.removeprefix("-D").split("=", 1) for f in (REQ / "llama-cmake-args").read_text().split())
    assert flags["GGML_NATIVE"] == "OFF"  # never tuned to the build machine's CPU
    for on in ("GGML_AVX", "GGML_AVX2", "GGML_FMA", "GGML_F16C"):
        assert flags[on] == "ON", on
    for off in ("GGML_AVX512", "GGML_AMX_TILE", "GGML_AMX_INT8", "GGML_AMX_BF16"):
        assert flags[off] == "OFF", off  # the AMX kernels segfaulted; AVX-512 is not on every x86-64


def test_makefile_and_dockerfile_install_from_the_locks_with_the_same_flags() -> None:
    make, docker = (REPO / "Makefile").read_text(), (REPO / "Dockerfile").read_text()
    assert "$(shell cat requirements/llama-cmake-args)" in make
    assert 'CMAKE_ARGS="$(cat requirements/llama-cmake-args)"' in docker
    assert "--require-hashes -r requirements/llama.lock" in make
    assert "--require-hashes -r requirements/llama.lock" in docker
    assert "--require-hashes -r requirements/dev.lock" in make
    assert "--require-hashes -r requirements/runtime.lock" in docker
    code = "\n".join(line for line in (make + docker).splitlines() if not line.lstrip().startswith("#"))
    assert "march=native" not in code and "GGML_NATIVE=ON" not in code
    # The app itself is installed without resolving anything the locks don't pin.
    assert "pip install -q --no-deps -e ." in make and "pip install --no-deps -e ." in docker
