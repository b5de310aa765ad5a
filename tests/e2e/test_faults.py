"""Faults and hostile input against the real server, driven over HTTP like a user would.

- Every file of the sample corpus's `pdf/bad/`, plus the foundation issue's API-level cases (an upload over
  the size limit, hostile file names), uploaded through the API: each ends as a clear error (4xx at upload,
  or a `failed` document with a readable reason and no chunks) or, where a lenient parser recovers the
  text, `ready`; the embedded worker survives and a good document uploaded afterwards is ingested.
- The API restarted in the middle of an answer stream, while documents are being ingested: a graceful
  restart ends the stream with an `error` event, a hard kill drops the connection (the client is never
  left hanging); afterwards every document is ready, none lost, none with two sets of chunks.
- PostgreSQL unreachable for 10 s during ingestion (every connection cut, new ones refused, by a TCP
  proxy in front of the real server, so a developer's own PostgreSQL is never stopped; with
  SHIORI_TEST_PG_OUTAGE=stop the local cluster itself is stopped and started): the worker and the API
  ride it out; afterwards every document is ready or cleanly failed, none lost, none twice.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.db import models as m
from app.db.session import make_engine, make_session_factory, session_scope
from tests.conftest import CORPUS
from tests.support.ci import require, under_ci
from tests.support.corpus import FAILS, FAILS_WITHOUT_OCR, READ_BY_OCR, RECOVERS
from tests.support.e2e import (
    COLLECTION_URL,
    PDF_DMCA,
    PDF_NOTICE,
    PDF_PAGELABELS,
    SEEDS,
    Server,
    StreamReader,
    all_terminal,
    assert_nothing_lost_or_doubled,
    listed,
    make_server,
    readable,
    sqlite_factory,
    upload,
    wait_until_found,
)
from tests.support.server import free_port
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

# ---- bad input through the API -------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path, e5_model_dir: Path) -> Iterator[Server]:
    require((CORPUS / "pdf/bad").is_dir(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    srv = make_server(tmp_path, e5_model_dir, SHIORI_LIMITS__MAX_UPLOAD_BYTES=str(1_000_000))
    srv.start()
    yield srv
    srv.stop()


def test_every_bad_file_through_the_api_ends_clearly_and_the_worker_survives(
    server: Server, tmp_path: Path
) -> None:
    bad = sorted((CORPUS / "pdf/bad").glob("*.pdf"))
    assert {p.name for p in bad} == RECOVERS | set(FAILS) | set(READ_BY_OCR)
    good = SEEDS[1]  # uploaded in the same batch: a bad neighbour must not affect it
    ids = upload(server, [*bad, good])

    # API-level cases: rejected at upload with a clear 4xx, and nothing registered.
    big = tmp_path / "big.pdf"
    big.write_bytes(b"%PDF-1.7\n" + b"0" * 1_200_000)
    r = httpx.post(
        f"{server.url}{COLLECTION_URL}", files=[("files", (big.name, big.read_bytes()))], timeout=60
    )
    assert r.status_code == 413 and "limit" in r.json()["detail"], r.text
    for name in ("../../etc/passwd.txt", "a\x07b.txt", "dir/x.txt"):
        # Built by hand: an HTTP client would percent-escape the control character.
        body = (
            f'--b0undary\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            "Content-Type: text/plain\r\n\r\nhello\r\n--b0undary--\r\n"
        ).encode()
        r = httpx.post(
            f"{server.url}{COLLECTION_URL}",
            content=body,
            headers={"content-type": "multipart/form-data; boundary=b0undary"},
            timeout=30,
        )
        assert r.status_code == 422 and r.json()["code"] == "invalid_filename", (name, r.text)

    docs = wait_until(
        lambda: all_terminal(server, len(ids)), 300, message="every upload to be ingested or failed"
    )
    for name in FAILS:
        d = docs[name]
        assert d["status"] == "failed" and d["chunk_count"] == 0, d
        assert FAILS[name].lower() in d["error"].lower() and readable(d["error"]), d["error"]
    ocr = shutil.which("tesseract") is not None or under_ci()  # CI installs it (make browser)
    for name in RECOVERS | (set(READ_BY_OCR) if ocr else set()):
        assert docs[name]["status"] == "ready" and docs[name]["chunk_count"] > 0, docs[name]
    for name, word in ({} if ocr else FAILS_WITHOUT_OCR).items():
        assert docs[name]["status"] == "failed" and word.lower() in docs[name]["error"].lower(), docs[name]
    assert docs[good.name]["status"] == "ready", docs[good.name]
    assert_nothing_lost_or_doubled(sqlite_factory(server), ids)

    # The worker and the API are still serving: a good document uploaded afterwards is ingested and found.
    assert server.proc is not None and server.proc.poll() is None
    later = upload(server, [PDF_NOTICE])
    wait_until(lambda: all_terminal(server, len(ids) + 1), 120, message="the later document")
    assert listed(server)[PDF_NOTICE.name]["status"] == "ready"

    wait_until_found(
        server, "産前産後休業は労働基準法の第何条に規定されていますか", later[PDF_NOTICE.name], 15
    )
    failed_ids = {ids[name] for name in FAILS}
    hits = httpx.post(f"{server.url}/api/v1/search", json={"query": "password OCR JPEG", "k": 20}, timeout=30)
    assert not failed_ids & {h["document_id"] for h in hits.json()["passages"]}  # no junk in the index


# ---- the API restarted in the middle of a stream ---------------------------------------------------


@pytest.mark.parametrize("stop", ["graceful", "kill"])
def test_api_restart_mid_stream_loses_nothing(stop: str, tmp_path: Path, e5_model_dir: Path) -> None:
    require(SEEDS, f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    srv = make_server(
        tmp_path,
        e5_model_dir,
        SHIORI_GENERATOR__FAKE_DELAY_S="0.1",
        SHIORI_GENERATOR__FAKE_SCRIPT=json.dumps(["Transformer ", "は ", "2017年 ", "に ", "提案 "] * 40),
        SHIORI_ANSWER__ABSTAIN_BELOW="0",
        SHIORI_WORKER__LEASE_S="6",  # the killed process's document is taken over when its lease ends
    )
    srv.start()
    try:
        ids = upload(srv, SEEDS[:1])
        wait_until(lambda: all_terminal(srv, 1), 120, message="the first document")
        wait_until(
            lambda: httpx.get(f"{srv.url}/readyz").json()["indexed_chunks"], 30, message="the index sync"
        )
        ids |= upload(srv, [SEEDS[1], PDF_NOTICE, PDF_PAGELABELS])  # being ingested during the restart

        reader = StreamReader(srv.url, "Transformerは何年に提案されましたか？")
        reader.start()
        assert reader.tokens.wait(60), reader.events
        assert srv.proc is not None
        t_stop = time.monotonic()
        if stop == "graceful":
            srv.stop()
        else:
            srv.proc.kill()
            srv.proc.wait(timeout=10)
        reader.join(30)
        assert not reader.is_alive(), "the client was left hanging"
        assert time.monotonic() - t_stop < 25
        names = [n for n, _ in reader.events]
        assert names[0] == "sources" and "token" in names
        if stop == "graceful":  # told why, with a code a client can act on
            assert reader.ended == "error-event", (reader.ended, names[-3:])
            err = next(d for n, d in reader.events if n == "error")
            assert err["code"] == "shutting_down", err
        else:
            assert reader.ended in ("dropped", "cut"), reader.ended

        srv.start()  # same data folder: the database and the index snapshots
        wait_until(lambda: all_terminal(srv, len(ids)), 300, message="every document after the restart")
        documents = assert_nothing_lost_or_doubled(sqlite_factory(srv), ids)
        assert all(d.status == m.DocumentStatus.ready for d in documents), [
            (d.filename, d.error) for d in documents
        ]

        again = StreamReader(srv.url, "Transformerは何年に提案されましたか？")
        again.run()
        assert again.ended == "complete", again.events[-3:]
    finally:
        srv.stop()


# ---- PostgreSQL unreachable during ingestion -------------------------------------------------------


class OutageProxy:
    """A TCP proxy in front of PostgreSQL that can take the database "down": cut every open
    connection and refuse new ones (the listening socket is closed), then come back on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._stopped = False
        self.up()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        assert self._listener is not None
        try:  # wakes the thread blocked in accept(); close() alone would leave it accepting
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._listener.close()
        self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def close(self) -> None:
        self._stopped = True
        if self._listener is not None:
            self.down()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: the database is "down"
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class ServerStop:
    """The real thing, for a machine where the tests may stop the local PostgreSQL cluster
    (SHIORI_TEST_PG_OUTAGE=stop): `pg_ctlcluster VERSION main stop|start`."""

    def __init__(self) -> None:
        self.version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]

    def _ctl(self, action: str) -> None:
        cmd = ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", action]
        subprocess.run([*cmd, *(["-m", "fast"] if action == "stop" else [])], check=True)

    def down(self) -> None:
        self._ctl("stop")

    def up(self) -> None:
        self._ctl("start")

    def close(self) -> None:
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", self.version, "main", "start"])


@pytest.mark.postgres
def test_postgres_outage_during_ingestion_loses_nothing(
    postgres_url: str, tmp_path: Path, e5_model_dir: Path
) -> None:
    require(SEEDS, f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    from sqlalchemy.engine import make_url

    real = make_url(postgres_url)
    proxy: OutageProxy | ServerStop
    if os.environ.get("SHIORI_TEST_PG_OUTAGE") == "stop":
        proxy, via_proxy = ServerStop(), postgres_url
    else:
        proxy = OutageProxy((real.host or "127.0.0.1", real.port or 5432))
        via_proxy = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    factory = make_session_factory(make_engine(postgres_url))  # the test's own view, not through the proxy
    srv = make_server(
        tmp_path,
        e5_model_dir,
        SHIORI_DB__URL=via_proxy,
        # One job at a time, so the outage cuts the 18-page PDF off mid-ingestion as this test means it
        # to; with a second thread it can sit out the outage embedding and finish on its first attempt.
        SHIORI_WORKER__THREADS="1",
        SHIORI_WORKER__LEASE_S="6",
        SHIORI_WORKER__BACKOFF_BASE_S="1",
        SHIORI_WORKER__POLL_INTERVAL_S="0.2",
        SHIORI_INDEX__SYNC_INTERVAL_S="0.3",
    )
    srv.start()
    try:
        paths = [*SEEDS, PDF_DMCA, PDF_PAGELABELS, PDF_NOTICE]
        ids = upload(srv, paths)

        hit = ids[PDF_DMCA.name]  # 18 pages, after the seeds: the outage cuts it off mid-ingestion

        def processing() -> bool:
            with session_scope(factory) as s:
                return s.get(m.Document, hit).status == m.DocumentStatus.processing  # type: ignore[union-attr]

        wait_until(processing, 180, message="ingestion to be under way")
        proxy.down()
        t_down = time.monotonic()
        r = httpx.get(f"{srv.url}/readyz", timeout=10)
        assert r.status_code == 503, r.text  # says the database is unreachable, does not crash
        r = httpx.get(f"{srv.url}{COLLECTION_URL}", timeout=30)
        assert r.status_code == 503 and r.json()["code"] == "database_unavailable", r.text
        time.sleep(max(0.0, 10 - (time.monotonic() - t_down)))
        proxy.up()

        docs = wait_until(
            lambda: all_terminal(srv, len(paths)), 300, message="every document after the outage"
        )
        assert srv.proc is not None and srv.proc.poll() is None
        documents = assert_nothing_lost_or_doubled(factory, ids)
        assert all(d.status == m.DocumentStatus.ready for d in documents), docs
        with session_scope(factory) as s:  # the document cut off mid-ingestion was taken up again
            job = s.scalar(select(m.IngestJob).where(m.IngestJob.document_id == hit))
            assert job is not None and job.status == m.JobStatus.done and job.attempts >= 2, job
        r = httpx.get(f"{srv.url}/readyz", timeout=10)
        assert r.status_code == 200, r.text
        wait_until_found(srv, "When was the DMCA signed into law?", ids[PDF_DMCA.name], 30)
    finally:
        srv.stop()
        proxy.close()
