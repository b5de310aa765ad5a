"""The real generator (llama.cpp, bundled Qwen GGUF) dies mid-answer; `shiori serve` carries on.

Kills the generator process with SIGSEGV (what the AMX kernel did) and then SIGKILL (what the OOM
killer does) while an answer streams. The client gets an `error` event, never a hang; the API
process is the same one; /readyz shows the restart; a document uploaded just before is ingested
once; the next question gets a whole, cited answer from the restarted generator.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import CORPUS
from tests.support.ci import require
from tests.support.e2e import (
    SEEDS,
    Server,
    StreamReader,
    all_terminal,
    assert_nothing_lost_or_doubled,
    generator_pid,
    listed,
    make_server,
    sqlite_factory,
    upload,
)
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

QUESTION = "Transformerは何年に提案されましたか？"
LONG_QUESTION = "Transformerについて詳しく説明してください。"  # a long answer: still writing when killed


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, e5_model_dir: Path, qwen_gguf: Path) -> Iterator[Server]:
    require(SEEDS, f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    tmp = tmp_path_factory.mktemp("gencrash")
    srv = make_server(
        tmp,
        e5_model_dir,
        SHIORI_GENERATOR__BACKEND="llama_cpp",
        SHIORI_GENERATOR__GGUF_PATH=str(qwen_gguf),
        SHIORI_GENERATOR__N_CTX="2048",
        SHIORI_ANSWER__ABSTAIN_BELOW="0",  # the long question always reaches the model
    )
    srv.start()
    try:
        upload(srv, SEEDS[:1])
        wait_until(lambda: all_terminal(srv, 1), 180, message="the first document")
        wait_until(
            lambda: httpx.get(f"{srv.url}/readyz").json()["generator"] == "loaded",
            180,
            message="the generator",
        )
        yield srv
    finally:
        srv.stop()


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL], ids=["SIGSEGV", "SIGKILL"])
def test_generator_crash_mid_answer_ends_one_stream_and_nothing_else(
    server: Server, sig: signal.Signals
) -> None:
    srv = server
    assert srv.proc is not None
    api_pid = srv.proc.pid
    before = httpx.get(f"{srv.url}/readyz").json()
    gen_pid = generator_pid(api_pid)
    assert gen_pid is not None and gen_pid != api_pid

    # A document uploaded just before the crash; the embedded worker ingests it meanwhile.
    listed_before = len(httpx.get(f"{srv.url}/api/v1/collections/default/documents").json())
    fresh = SEEDS[1 + [signal.SIGSEGV, signal.SIGKILL].index(sig)]
    ids = upload(srv, [fresh])

    reader = StreamReader(srv.url, LONG_QUESTION)
    reader.start()
    assert reader.tokens.wait(120), reader.events
    os.kill(gen_pid, sig)
    reader.join(30)
    assert not reader.is_alive(), "the client was left hanging"
    assert reader.ended == "error-event", (reader.ended, reader.events[-3:])
    err = next(d for n, d in reader.events if n == "error")
    assert err["code"] == "generator_crashed" and sig.name in err["detail"], err

    # The API process is the same one; /readyz says the generator restarted.
    assert srv.proc.poll() is None and srv.proc.pid == api_pid
    ready = httpx.get(f"{srv.url}/readyz").json()
    assert ready["status"] == "ready" and ready["generator_restarts"] == before["generator_restarts"] + 1
    assert ready["generator"] in ("restarting", "loaded")
    wait_until(
        lambda: httpx.get(f"{srv.url}/readyz").json()["generator"] == "loaded", 180, message="the restart"
    )
    new_pid = generator_pid(api_pid)
    assert new_pid is not None and new_pid != gen_pid

    # Ingestion carried on: the document uploaded just before is ready, with exactly one chunk set.
    wait_until(lambda: all_terminal(srv, listed_before + 1), 180, message="the fresh upload")
    every = {name: d["id"] for name, d in listed(srv).items()}
    docs = assert_nothing_lost_or_doubled(sqlite_factory(srv), every)
    assert all(d.status.value == "ready" for d in docs), [(d.filename, d.error) for d in docs]
    assert every[fresh.name] == ids[fresh.name]

    # The next question gets a whole, cited answer from the restarted generator.
    r = httpx.post(f"{srv.url}/api/v1/ask", json={"question": QUESTION}, timeout=180)
    assert r.status_code == 200, r.text
    out = r.json()
    assert "2017" in out["answer"] and out["citations"], out
    assert out["timings"]["tokens"] > 0 and not out.get("error")
