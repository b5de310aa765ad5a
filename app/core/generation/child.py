"""The generator process: loads one model, checks it, then serves requests over a socket.

Started by :class:`app.core.generation.process.ProcessGenerator` as
``python -m app.core.generation.child --fd N --spec JSON``. Native code (llama.cpp, torch) runs only
here, so a segfault or an OOM kill ends this process and the answer in progress, never the API.

Messages are length-prefixed JSON (``multiprocessing.connection``). Parent → child:
``stream`` (id, messages, options), ``cancel`` (id), ``count`` (id, text), ``prompt_tokens`` (id,
messages), ``opening`` (id, messages, opening, tokens: its log-probability, on the decoding thread).
Child → parent: ``ready`` (model id, what the start-up check chose), ``token`` (id, text), ``end``
(id), ``result`` (id, value), ``error`` (id or none, detail, code), ``fatal`` (detail).

Streams are decoded one at a time (the model holds one sequence) on the main thread; ``cancel`` sets
the stream's event, which the backend checks between tokens. Token counting is answered at once, also while
a stream runs, so packing the next question's context never waits for the current answer.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from app.core.generation import GenerationOptions, Generator, Message

logger = logging.getLogger("shiori.generator")

SELF_CHECK_MESSAGES: list[Message] = [
    {"role": "system", "content": "You answer briefly."},
    {"role": "user", "content": "What is the capital of Japan? Answer in one word."},
]


def build(spec: dict[str, Any]) -> Generator:
    """The in-process backend a spec names (the same classes `create_generator` builds in-process)."""
    backend = spec["backend"]
    if backend == "llama_cpp":
        from app.core.generation.llama_cpp import LlamaCppGenerator

        return LlamaCppGenerator(
            spec["path"],
            n_ctx=spec["n_ctx"],
            threads=spec.get("threads"),
            batch_size=spec["n_batch"],
            extra_bufts=spec.get("extra_bufts", True),
            prompt_lookup=spec.get("prompt_lookup", 0),
        )
    if backend == "transformers":
        from app.core.generation.hf import TransformersGenerator

        return TransformersGenerator(
            spec["path"], gguf_file=spec.get("gguf_file"), threads=spec.get("threads")
        )
    if backend == "fake":
        from app.core.generation.fake import FakeGenerator

        if spec.get("crash_on_start"):  # tests of the start-up fallback: die as a bad kernel would
            os.kill(os.getpid(), signal.SIGSEGV)

        return FakeGenerator(
            script=spec.get("script"), delay_s=spec.get("delay_s", 0.0), replies=spec.get("replies")
        )
    raise ValueError(f"unknown generator backend {backend!r}")


def self_check(gen: Generator, max_tokens: int = 8) -> dict[str, Any]:
    """A short prompt and decode: proves the kernels this CPU picked run, and how fast.

    A crash here kills the process before it says ``ready``; the supervisor then restarts it with a
    safer configuration. Returning no text at all counts as a failure too."""
    t0 = time.perf_counter()
    text, first = "", None
    for delta in gen.stream(SELF_CHECK_MESSAGES, GenerationOptions(max_tokens=max_tokens)):
        if first is None:
            first = time.perf_counter()
        text += delta
    if not text.strip():
        raise RuntimeError("the start-up check produced no text")
    done = time.perf_counter()
    return {
        "text": text,
        "ttft_ms": round(((first or done) - t0) * 1000, 1),
        "total_ms": round((done - t0) * 1000, 1),
    }


class Server:
    def __init__(self, conn: Connection, gen: Generator) -> None:
        self.conn = conn
        self.gen = gen
        self._send_lock = threading.Lock()
        self._cancels: dict[str, threading.Event] = {}

    def send(self, msg: dict[str, Any]) -> None:
        data = json.dumps(msg, ensure_ascii=False).encode()
        with self._send_lock:
            self.conn.send_bytes(data)

    def serve(self) -> None:
        """Decode on this thread (the main one, which also ran the start-up check), one answer at a
        time, while a reader thread takes requests. llama.cpp's OpenMP keeps a thread team per
        calling thread: decoding from a new thread per answer ran about 25% slower (measured)."""
        jobs: queue.SimpleQueue[tuple[dict[str, Any], threading.Event] | None] = queue.SimpleQueue()
        threading.Thread(target=self._read, args=(jobs,), name="requests", daemon=True).start()
        while (job := jobs.get()) is not None:
            msg, cancel = job
            if msg["type"] == "opening":  # evaluates the prompt: the model's thread, like a stream
                self._answer(msg["id"], self._opening, msg)
            else:
                self._stream(msg, cancel)

    def _read(self, jobs: queue.SimpleQueue[tuple[dict[str, Any], threading.Event] | None]) -> None:
        try:
            while True:
                try:
                    msg = json.loads(self.conn.recv_bytes())
                except (EOFError, OSError):
                    return  # the parent went away: nothing left to serve
                kind, rid = msg.get("type"), msg.get("id")
                if kind == "stream":
                    cancel = self._cancels[rid] = threading.Event()
                    jobs.put((msg, cancel))
                elif kind == "cancel":
                    ev = self._cancels.get(rid)
                    if ev is not None:
                        ev.set()
                elif kind == "opening":
                    jobs.put((msg, threading.Event()))
                elif kind == "count":
                    self._answer(rid, self.gen.count_tokens, msg["text"])
                elif kind == "prompt_tokens":
                    self._answer(rid, self.gen.prompt_tokens, msg["messages"])
                elif kind == "ping":
                    self.send({"type": "result", "id": rid, "value": os.getpid()})
                elif kind == "shutdown":
                    return
        finally:
            jobs.put(None)

    def _opening(self, msg: dict[str, Any]) -> float | None:
        return self.gen.opening_logprob(msg["messages"], msg["opening"], int(msg.get("tokens", 3)))

    def _answer(self, rid: str, fn: Callable[[Any], Any], arg: Any) -> None:
        try:
            self.send({"type": "result", "id": rid, "value": fn(arg)})
        except Exception as exc:
            logger.exception("generator request failed")
            self.send({"type": "error", "id": rid, "detail": str(exc), "code": "generation_failed"})

    def _stream(self, msg: dict[str, Any], cancel: threading.Event) -> None:
        rid = msg["id"]
        try:
            if cancel.is_set():
                return
            opts = msg.get("options") or {}
            options = GenerationOptions(
                max_tokens=int(opts.get("max_tokens", 512)),
                temperature=float(opts.get("temperature", 0.0)),
                repeat_penalty=float(opts.get("repeat_penalty", 1.1)),
                stop=tuple(opts.get("stop") or ()),
                avoid_opening=str(opts.get("avoid_opening") or ""),
            )
            for delta in self.gen.stream(msg["messages"], options, cancel):
                self.send({"type": "token", "id": rid, "text": delta})
                if cancel.is_set():
                    break
            self.send({"type": "end", "id": rid})
        except OSError:
            return  # the socket is gone: the parent is too
        except Exception as exc:
            logger.exception("generation failed")
            self.send({"type": "error", "id": rid, "detail": str(exc), "code": "generation_failed"})
        finally:
            self._cancels.pop(rid, None)


def _exit_with_parent() -> None:
    """Exit when the API process is gone, even in the middle of loading a model (no socket read then)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shiori-generator")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--spec", required=True)
    args = parser.parse_args(argv)
    spec = json.loads(args.spec)
    logging.basicConfig(
        level=spec.get("log_level", "INFO"),
        format="%(asctime)s %(levelname)s generator[%(process)d] %(message)s",
        stream=sys.stderr,
    )
    conn = Connection(args.fd)
    _exit_with_parent()
    server: Server | None = None
    try:
        gen = build(spec)
        gen.warm_up()
        check = self_check(gen) if spec.get("self_check", True) else None
        server = Server(conn, gen)
        info = dict(getattr(gen, "info", lambda: {})())
        if check is not None:
            info["self_check"] = check
        logger.info("generator ready model=%s pid=%s info=%s", gen.model_id, os.getpid(), json.dumps(info))
        server.send({"type": "ready", "model_id": gen.model_id, "pid": os.getpid(), "info": info})
    except Exception as exc:
        logger.exception("generator failed to start")
        try:
            code = getattr(exc, "code", "start_failed")
            detail = getattr(exc, "detail", None) or f"{type(exc).__name__}: {exc}"
            conn.send_bytes(json.dumps({"type": "fatal", "detail": detail, "code": code}).encode())
        except OSError:
            pass
        return 3
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
