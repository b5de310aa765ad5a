"""What the end-to-end tests (and `bench/generator.py`) do to a running `shiori serve`: upload the
corpus, list and wait for documents, read a streamed answer in the background, look into its SQLite
database, find its generator process."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from app.db import models as m
from app.db.session import SessionFactory, make_engine, make_session_factory, session_scope
from tests.conftest import CORPUS
from tests.support.server import ShioriServer as Server
from tests.support.waiting import wait_until

SEEDS = sorted((CORPUS / "seeds").glob("*.txt"))
PDF_DMCA = CORPUS / "pdf/good/en_gov_report_dmca-summary_18p.pdf"
PDF_PAGELABELS = CORPUS / "pdf/good/en_pagelabels_roman_latex.pdf"
PDF_NOTICE = CORPUS / "pdf/good/ja_gov_notice_mhlw-tsuchi.pdf"
COLLECTION_URL = "/api/v1/collections/default/documents"


def make_server(tmp: Path, e5_model_dir: Path, **env: str) -> Server:
    """`shiori serve` with the bundled embedder, the fake generator and no rate limit."""
    return Server(
        tmp / "data",
        tmp / "server.log",
        {
            "SHIORI_EMBEDDING__MODEL_PATH": str(e5_model_dir),
            "SHIORI_INDEX__SNAPSHOT_INTERVAL_S": "1",
            "SHIORI_GENERATOR__BACKEND": "fake",
            "SHIORI_LIMITS__RATE_PER_MINUTE": "0",
            **env,
        },
    )


def upload(srv: Server, paths: list[Path]) -> dict[str, int]:
    files = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]
    r = httpx.post(f"{srv.url}{COLLECTION_URL}", files=files, timeout=60)
    assert r.status_code == 202, r.text
    return {d["filename"]: d["document_id"] for d in r.json()["documents"]}


def listed(srv: Server) -> dict[str, dict[str, Any]]:
    r = httpx.get(f"{srv.url}{COLLECTION_URL}?limit=1000", timeout=30)
    assert r.status_code == 200, r.text
    return {d["filename"]: d for d in r.json()}


def all_terminal(srv: Server, expected: int) -> dict[str, dict[str, Any]] | None:
    try:
        docs = listed(srv)
    except (httpx.HTTPError, AssertionError):
        return None  # e.g. the database is unreachable right now
    done = len(docs) == expected and all(d["status"] in ("ready", "failed") for d in docs.values())
    return docs if done else None


def wait_until_found(srv: Server, query: str, document_id: int, timeout: float) -> None:
    """Until a search returns the document among its top 3 (the index syncs from the database)."""

    def found() -> bool:
        r = httpx.post(f"{srv.url}/api/v1/search", json={"query": query, "k": 3}, timeout=30)
        return any(h["document_id"] == document_id for h in r.json()["passages"])

    wait_until(found, timeout, 0.3, f"document {document_id} to be found by {query!r}")


def chunk_sets(factory: SessionFactory) -> tuple[list[m.Document], dict[int, int]]:
    """Every document, and how many chunks each has in the database."""
    with session_scope(factory) as s:
        documents = list(s.scalars(select(m.Document)))
        per_doc = dict(
            s.execute(select(m.Chunk.document_id, func.count()).group_by(m.Chunk.document_id)).all()
        )
    return documents, {int(k): int(v) for k, v in per_doc.items()}


def assert_nothing_lost_or_doubled(factory: SessionFactory, ids: dict[str, int]) -> list[m.Document]:
    documents, per_doc = chunk_sets(factory)
    assert sorted(d.id for d in documents) == sorted(ids.values())  # none lost, none registered twice
    assert len({d.sha256 for d in documents}) == len(documents)
    for d in documents:
        assert d.status in (m.DocumentStatus.ready, m.DocumentStatus.failed), (d.filename, d.status)
        if d.status == m.DocumentStatus.ready:
            assert per_doc.get(d.id, 0) == d.chunk_count > 0, d.filename  # exactly one set of chunks
        else:
            assert per_doc.get(d.id, 0) == 0 and d.error, d.filename
    return documents


def sqlite_factory(srv: Server) -> SessionFactory:
    return make_session_factory(
        make_engine(f"sqlite:///{Path(srv.env['SHIORI_PATHS__DATA_DIR']) / 'shiori.db'}")
    )


def readable(reason: str | None) -> bool:
    """A reason a person understands: a sentence, not a traceback or an exception's repr."""
    return bool(reason) and "Traceback" not in reason and "Error:" not in reason and len(reason) < 400


class StreamReader(threading.Thread):
    """Reads one streamed answer in the background and records what arrived and how it ended."""

    def __init__(self, url: str, question: str) -> None:
        super().__init__(daemon=True)
        self.url, self.question = url, question
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.ended: str | None = None  # "complete" | "error-event" | "dropped" | "cut"
        self.tokens = threading.Event()

    def run(self) -> None:
        try:
            with httpx.stream(
                "POST",
                f"{self.url}/api/v1/ask",
                json={"question": self.question, "stream": True},
                timeout=httpx.Timeout(30, read=30),
            ) as r:
                name = None
                for line in r.iter_lines():
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: ") and name:
                        self.events.append((name, json.loads(line[6:])))
                        if sum(1 for n, _ in self.events if n == "token") >= 3:
                            self.tokens.set()
            names = [n for n, _ in self.events]
            self.ended = "complete" if "done" in names else "error-event" if "error" in names else "cut"
        except httpx.HTTPError:
            self.ended = "dropped"


def generator_pid(api_pid: int) -> int | None:
    """The API process's child running `app.core.generation.child` (found through /proc)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmd = fh.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == api_pid and b"app.core.generation.child" in cmd:
            return int(entry)
    return None
