"""The openai backend against a real OpenAI-compatible server: `python -m llama_cpp.server` (from
llama-cpp-python's `server` extra) serving the bundled GGUF, started by the test.

Streamed and JSON answers with citations, cancel, the server killed mid-stream, the server down at
start. Retrieval, packing, citations and abstention stay in Shiori; only the tokens come from there.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.errors import GeneratorUnavailable
from app.core.generation.openai_backend import OpenAIGenerator
from app.core.settings import OpenAIGeneratorSettings, Settings
from app.services.answer_events import DoneEvent, ErrorEvent, TokenEvent
from app.services.answering import AnswerService, AskRequest
from app.services.container import Container, build_container
from tests.conftest import CORPUS
from tests.support.ci import require
from tests.support.ingest import ingest
from tests.support.server import free_port

pytestmark = pytest.mark.integration

QUESTION = "Transformerは何年に提案されましたか？"


class LlamaServer:
    def __init__(self, gguf: Path, log: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1"]
        cmd += ["--port", str(self.port), "--n_ctx", "2048", "--model_alias", "qwen-local"]
        with log.open("ab") as fh:
            self.proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
        self.log = log
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"llama_cpp.server exited:\n{log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"llama_cpp.server never came up:\n{log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def corpus_container(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Iterator[Container]:
    require(CORPUS.is_dir(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    settings = Settings(
        paths={"data_dir": tmp_path_factory.mktemp("openai")},  # type: ignore[arg-type]
        worker={"embedded": False},  # type: ignore[arg-type]
    )
    c = build_container(settings, embedder=real_embedder)
    ingest(c, sorted((CORPUS / "seeds").glob("*.txt")))
    yield c
    c.close()


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory, qwen_gguf: Path) -> Iterator[LlamaServer]:
    srv = LlamaServer(qwen_gguf, tmp_path_factory.mktemp("llama-server") / "server.log")
    yield srv
    srv.kill()


def service_for(c: Container, base_url: str) -> tuple[AnswerService, OpenAIGenerator]:
    gen = OpenAIGenerator(OpenAIGeneratorSettings(base_url=base_url))
    assert c.retriever is not None
    return AnswerService(c.settings, c.retriever, gen), gen


def test_json_and_streamed_answers_with_citations(
    corpus_container: Container, llama_server: LlamaServer
) -> None:
    service, gen = service_for(corpus_container, llama_server.base_url)
    service.check(AskRequest(QUESTION))  # warms up: model name and tokenizer from the server
    assert gen.model_id == "qwen-local" and gen.tokenizer_source == "server /extras/tokenize/count"
    out = service.answer(AskRequest(QUESTION))
    assert "2017" in out.answer and out.citations and not out.abstained, out
    assert all(c.document_id for c in out.citations)

    events = list(service.stream(AskRequest("In what year was the Transformer architecture introduced?")))
    names = [e.name for e in events]
    assert names[0] == "sources" and names[-2:] == ["citations", "done"] and names.count("token") > 1
    answer = "".join(e.text for e in events if isinstance(e, TokenEvent))
    assert "2017" in answer
    assert isinstance(done := events[-1], DoneEvent) and done.tokens > 0 and (done.ttft_ms or 0) > 0


def test_cancel_ends_the_answer_and_the_server_serves_the_next(
    corpus_container: Container, llama_server: LlamaServer
) -> None:
    service, _ = service_for(corpus_container, llama_server.base_url)
    cancel = threading.Event()
    events = []
    t_cancel = 0.0
    for ev in service.stream(AskRequest("Transformerについて詳しく説明してください。"), cancel=cancel):
        events.append(ev)
        if ev.name == "token" and not cancel.is_set():
            cancel.set()
            t_cancel = time.monotonic()
    assert time.monotonic() - t_cancel < 2.0
    assert isinstance(done := events[-1], DoneEvent) and done.cancelled is True
    assert sum(e.name == "token" for e in events) <= 2
    out = service.answer(AskRequest(QUESTION))
    assert "2017" in out.answer, out


def test_server_killed_mid_stream_ends_with_an_error_event(
    corpus_container: Container, qwen_gguf: Path, tmp_path: Path
) -> None:
    srv = LlamaServer(qwen_gguf, tmp_path / "server.log")
    try:
        service, _ = service_for(corpus_container, srv.base_url)
        events: list[Any] = []
        for ev in service.stream(AskRequest("Transformerについて詳しく説明してください。")):
            events.append(ev)
            if ev.name == "token" and sum(e.name == "token" for e in events) == 2:
                srv.kill()
        assert events[-1].name == "error", [e.name for e in events[-3:]]
        error = events[-1]
        assert isinstance(error, ErrorEvent) and error.code == "generator_unavailable"
        assert "closed the connection" in error.detail
    finally:
        srv.kill()


def test_server_down_at_start_is_503_with_retry_after(corpus_container: Container) -> None:
    port = free_port()
    service, gen = service_for(corpus_container, f"http://127.0.0.1:{port}/v1")
    with pytest.raises(GeneratorUnavailable) as info:
        service.check(AskRequest(QUESTION))
    assert info.value.status == 503 and info.value.retry_after_s and gen.status() == "unreachable"
    assert corpus_container.retriever is not None
    assert corpus_container.retriever.search(QUESTION, "default", 3).passages  # search unaffected
