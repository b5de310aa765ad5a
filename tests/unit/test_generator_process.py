"""The supervised generator process, with the fake backend inside it (no model: starts in a second).

Kills the child as a segfault or the OOM killer would and checks what the API side sees: the answer
in progress ends with `generator_crashed`, the process restarts by itself, the next answer works.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.core.errors import GeneratorCrashed, GeneratorUnavailable, ModelUnavailable
from app.core.generation import GenerationOptions
from app.core.generation.fake import FakeGenerator
from app.core.generation.process import ProcessGenerator

pytestmark = pytest.mark.unit

SCRIPT = ["alpha ", "beta ", "gamma ", "delta ", "epsilon ", "zeta ", "eta ", "theta"]
MESSAGES: list[Any] = [{"role": "user", "content": "hello"}]


def wait_for(cond: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@pytest.fixture
def make_gen() -> Iterator[Callable[..., ProcessGenerator]]:
    made: list[ProcessGenerator] = []

    def make(delay_s: float = 0.0, **kwargs: Any) -> ProcessGenerator:
        spec = {"backend": "fake", "script": SCRIPT, "delay_s": delay_s, **kwargs.pop("spec", {})}
        gen = ProcessGenerator(spec, backoff_s=(0.1, 1.0), start_timeout_s=60, **kwargs)
        made.append(gen)
        return gen

    yield make
    for g in made:
        g.close()


def test_streams_and_counts_through_the_process(make_gen: Callable[..., ProcessGenerator]) -> None:
    gen = make_gen()
    gen.warm_up()
    assert gen.loaded and gen.status() == "loaded" and gen.pid != os.getpid()
    assert list(gen.stream(MESSAGES, GenerationOptions())) == SCRIPT
    assert list(gen.stream(MESSAGES, GenerationOptions(max_tokens=3))) == SCRIPT[:3]
    local = FakeGenerator(SCRIPT)
    assert gen.count_tokens("東京タワーの高さは？") == local.count_tokens("東京タワーの高さは？")
    assert gen.prompt_tokens(MESSAGES) == local.prompt_tokens(MESSAGES)
    assert gen.info["self_check"]["text"]  # the start-up check ran in the child


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL])
def test_crash_mid_stream_ends_that_answer_and_the_process_restarts(
    make_gen: Callable[..., ProcessGenerator], sig: signal.Signals
) -> None:
    crashes: list[str] = []
    gen = make_gen(delay_s=0.2, on_crash=crashes.append)
    gen.warm_up()
    first_pid = gen.pid
    assert first_pid is not None
    received: list[str] = []
    with pytest.raises(GeneratorCrashed) as info:
        for delta in gen.stream(MESSAGES, GenerationOptions()):
            received.append(delta)
            if len(received) == 2:
                os.kill(first_pid, sig)
    assert 2 <= len(received) < len(SCRIPT)
    assert info.value.code == "generator_crashed" and sig.name in info.value.detail
    assert crashes and sig.name in crashes[0]
    # While it restarts, callers are told to come back (503 + Retry-After), not left waiting.
    if gen.state == "restarting":
        with pytest.raises(GeneratorUnavailable):
            gen.check_available()
    wait_for(lambda: gen.loaded)
    assert gen.pid != first_pid and gen.restarts == 1 and gen.crashes == 1
    assert list(gen.stream(MESSAGES, GenerationOptions())) == SCRIPT


def test_cancel_stops_within_a_token_and_the_next_answer_is_whole(
    make_gen: Callable[..., ProcessGenerator],
) -> None:
    gen = make_gen(delay_s=0.3)
    gen.warm_up()
    cancel = threading.Event()
    got: list[str] = []
    t0 = time.monotonic()
    for delta in gen.stream(MESSAGES, GenerationOptions(), cancel):
        got.append(delta)
        cancel.set()
    assert got == SCRIPT[:1]
    assert time.monotonic() - t0 < 1.5  # one token (0.3 s) plus the cancel poll, not 8 tokens
    # Closing the iterator early (a client that went away) cancels too.
    it = gen.stream(MESSAGES, GenerationOptions())
    assert next(it) == SCRIPT[0]
    it.close()
    t1 = time.monotonic()
    assert list(gen.stream(MESSAGES, GenerationOptions(max_tokens=2))) == SCRIPT[:2]
    assert time.monotonic() - t1 < 2.0  # the cancelled decode stopped instead of running to the end


def test_a_start_up_crash_falls_back_to_the_safer_configuration(
    make_gen: Callable[..., ProcessGenerator],
) -> None:
    gen = make_gen(spec={"crash_on_start": True}, fallbacks=[{"crash_on_start": False}])
    gen.warm_up()
    assert gen.level == 1 and gen.info["config"]["crash_on_start"] is False
    assert list(gen.stream(MESSAGES, GenerationOptions())) == SCRIPT


def test_a_missing_model_fails_with_a_clear_reason_and_no_restart_loop(
    make_gen: Callable[..., ProcessGenerator], tmp_path: Any
) -> None:
    spec = {"backend": "llama_cpp", "path": str(tmp_path / "missing.gguf"), "n_ctx": 512, "n_batch": 8}
    gen = ProcessGenerator(spec, backoff_s=(0.1, 1.0))
    try:
        with pytest.raises(ModelUnavailable, match="shiori models prepare"):
            gen.warm_up()
        assert gen.status() == "error" and gen.restarts == 0
        with pytest.raises(ModelUnavailable):
            list(gen.stream(MESSAGES, GenerationOptions()))
    finally:
        gen.close()


def test_close_stops_the_child(make_gen: Callable[..., ProcessGenerator]) -> None:
    gen = make_gen()
    gen.warm_up()
    pid = gen.pid
    assert pid is not None
    gen.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_api_answer_in_progress_ends_with_generator_crashed_and_the_service_carries_on(
    make_settings: Callable[..., Any], sqlite_url: str
) -> None:
    """Through the API: the crash ends one stream with an `error` event; /readyz and /metrics say the
    generator restarts; search and uploads keep working; the next question is answered whole."""
    import json

    from app.api.app import create_app
    from tests.support.http import api_client

    script = ["The ", "tower ", "is ", "333 ", "m ", "tall ", "[1]", "."]
    settings = make_settings(
        sqlite_url,
        worker={"embedded": True},
        answer={"abstain_below": -1.0},
        generator={"backend": "fake", "isolate": True, "fake_script": script, "fake_delay_s": 0.2},
    )
    with api_client(create_app(settings)) as client:
        r = client.post(
            "/api/v1/collections/default/documents",
            files=[("files", ("tower.txt", b"Tokyo Tower is 333 metres tall.\n"))],
        )
        assert r.status_code == 202
        wait_for(lambda: client.get("/readyz").json()["generator"] == "loaded")
        wait_for(
            lambda: bool(client.post("/api/v1/search", json={"query": "Tokyo Tower"}).json()["passages"])
        )
        gen = client.app.state.container.generator  # type: ignore[attr-defined]
        events: list[tuple[str, Any]] = []
        with client.stream("POST", "/api/v1/ask", json={"question": "How tall?", "stream": True}) as resp:
            name = None
            for line in resp.iter_lines():
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    events.append((str(name), json.loads(line[6:])))
                    if name == "token" and sum(n == "token" for n, _ in events) == 2:
                        os.kill(gen.pid, signal.SIGKILL)
        names = [n for n, _ in events]
        assert names[0] == "sources" and names[-1] == "error" and "done" not in names
        assert events[-1][1]["code"] == "generator_crashed"
        ready = client.get("/readyz").json()
        assert ready["generator"] in ("restarting", "loaded") and ready["generator_restarts"] == 1
        assert client.app.state.container.slots.depth == 0  # type: ignore[attr-defined]  # slot freed
        # Search and uploads don't depend on the generator.
        assert client.post("/api/v1/search", json={"query": "Tokyo Tower"}).json()["passages"]
        wait_for(lambda: client.get("/readyz").json()["generator"] == "loaded")
        metrics = client.get("/metrics").text
        assert 'shiori_generator_state{state="loaded"} 1.0' in metrics
        assert "shiori_generator_restarts_total 1.0" in metrics
        out = client.post("/api/v1/ask", json={"question": "How tall?"}).json()
        assert out["answer"] == "".join(script) and out["citations"]
