"""Small file helpers shared by the model preparation steps."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

_CHUNK = 8 << 20
# mkstemp/mkdtemp (and safetensors) create owner-only files. Prepared models are public weights
# that a server running as another user (say, a container's app user) must be able to read.
FILE_MODE = 0o644
DIR_MODE = 0o755


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks (the GGUF is 1.1 GB)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def make_readable(path: Path) -> None:
    """Give `path` (and, for a folder, everything below it) the usual world-readable modes."""
    if path.is_dir():
        path.chmod(DIR_MODE)
        for child in path.rglob("*"):
            child.chmod(DIR_MODE if child.is_dir() else FILE_MODE)
    else:
        path.chmod(FILE_MODE)


def fsync_tree(path: Path) -> None:
    """Flush every file under a freshly written folder, so renaming it into place is durable."""
    for child in path.rglob("*"):
        if child.is_file():
            with child.open("rb") as fh:
                os.fsync(fh.fileno())


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_json_atomic(path: Path, data: Any) -> None:
    """Write via a temporary file and rename, so readers never see half a stamp."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        make_readable(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json_object(path: Path) -> dict[str, Any] | None:
    """The JSON object stored at `path`, or None if it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
