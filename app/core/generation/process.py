"""The generator in its own supervised process.

`ProcessGenerator` implements the `Generator` protocol for the API and the CLI, but the model lives in
a child process (``app.core.generation.child``). The API only holds a socket: a segfault in native
code, an OOM kill or a SIGKILL ends the child and the one answer it was writing (an ``error`` event
``generator_crashed``), never the API, the ingestion worker or other streams.

The supervisor thread starts the child, waits for its ``ready`` (sent after the model loaded and a
short prompt-and-decode check passed), then reads its messages until it dies, and starts it again
with exponential backoff. If the child dies *before* it was ready (the start-up check crashed: the
kernels this CPU chose don't run), the next start uses the next, safer configuration from
``fallbacks`` (for llama.cpp: extra buffer types off) and logs what it chose.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from app.core.errors import GeneratorCrashed, GeneratorUnavailable, ModelUnavailable, ShioriError
from app.core.generation import GenerationOptions, Message

logger = logging.getLogger(__name__)

State = Literal["stopped", "starting", "ready", "restarting", "failed"]

_POLL_S = 0.05  # how often a waiting stream looks at its cancel event
_PROJECT_ROOT = str(Path(__file__).resolve().parents[3])


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with status {code}"


class ProcessGenerator:
    def __init__(
        self,
        spec: dict[str, Any],
        *,
        fallbacks: Sequence[dict[str, Any]] = (),
        start_timeout_s: float = 600.0,
        backoff_s: tuple[float, float] = (1.0, 30.0),
        stable_after_s: float = 60.0,
        call_timeout_s: float = 60.0,
        on_crash: Callable[[str], None] | None = None,
    ) -> None:
        self.spec = dict(spec)
        # Configurations to try, safest last: the spec itself, then each fallback layered on it.
        self.levels = [dict(self.spec)] + [{**self.spec, **f} for f in fallbacks]
        self.level = 0
        self.start_timeout_s = start_timeout_s
        self.backoff_s = backoff_s
        self.stable_after_s = stable_after_s
        self.call_timeout_s = call_timeout_s
        self.on_crash = on_crash

        self.state: State = "stopped"
        self.last_error: str | None = None
        self.restarts = 0
        self.crashes = 0
        self.pid: int | None = None
        self.info: dict[str, Any] = {}
        self._model_id = Path(str(spec.get("path") or spec.get("backend", "generator"))).stem
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._send_lock = threading.Lock()
        self._pending: dict[str, queue.SimpleQueue[dict[str, Any]]] = {}
        self._pending_lock = threading.Lock()
        self._changed = threading.Condition()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._retry_at = 0.0

    # ---- Generator protocol ----------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def loaded(self) -> bool:
        return self.state == "ready"

    def warm_up(self, timeout_s: float | None = None) -> None:
        """Start the process (once) and wait until its model is loaded and checked."""
        self._start()
        deadline = time.monotonic() + (timeout_s or self.start_timeout_s)
        with self._changed:
            while self.state != "ready":
                if self.state == "failed":
                    raise ModelUnavailable(self.last_error or "The generator failed to start.")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise GeneratorUnavailable(self._unavailable_detail(), self._retry_after())
                self._changed.wait(min(left, 1.0))

    def count_tokens(self, text: str) -> int:
        return int(self._call("count", text=text))

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        return int(self._call("prompt_tokens", messages=list(messages)))

    def opening_logprob(self, messages: Sequence[Message], opening: str, tokens: int = 3) -> float | None:
        value = self._call("opening", messages=list(messages), opening=opening, tokens=tokens)
        return None if value is None else float(value)

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        self._ensure_ready()
        rid, q = self._register()
        finished = False
        try:
            self._send(
                {
                    "type": "stream",
                    "id": rid,
                    "messages": list(messages),
                    "options": {
                        "max_tokens": options.max_tokens,
                        "temperature": options.temperature,
                        "repeat_penalty": options.repeat_penalty,
                        "stop": list(options.stop),
                        "avoid_opening": options.avoid_opening,
                    },
                }
            )
            while True:
                try:
                    msg = q.get(timeout=_POLL_S)
                except queue.Empty:
                    if cancel is not None and cancel.is_set():
                        return  # `finally` tells the child to stop decoding
                    continue
                kind = msg["type"]
                if kind == "token":
                    yield msg["text"]
                elif kind == "end":
                    finished = True
                    return
                else:
                    finished = True
                    raise self._error(msg)
        finally:
            self._unregister(rid)
            if not finished:
                self._try_send({"type": "cancel", "id": rid})

    # ---- status -----------------------------------------------------------------------------------
    def status(self) -> str:
        """For /readyz: loaded, loading, restarting, error, lazy."""
        return {
            "ready": "loaded",
            "starting": "loading",
            "restarting": "restarting",
            "failed": "error",
            "stopped": "lazy",
        }[self.state]

    def close(self, timeout_s: float = 5.0) -> None:
        self._closing.set()
        self._try_send({"type": "shutdown"})
        proc = self._proc
        if proc is not None:
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout_s)
        with self._changed:
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=timeout_s)

    # ---- requests -----------------------------------------------------------------------------------
    def check_available(self) -> None:
        """Raise now (503 + Retry-After) if the process is restarting or failed; a first start
        (lazy, or still loading at boot) is waited for instead, as an in-process model would be."""
        if self.state == "failed":
            raise ModelUnavailable(self.last_error or "The generator failed to start.")
        if self.state == "restarting":
            raise GeneratorUnavailable(self._unavailable_detail(), self._retry_after())

    def _ensure_ready(self) -> None:
        if self.state == "ready":
            return
        if self.state in ("stopped", "starting"):  # lazy, or loading at boot: wait for it
            self.warm_up()
            return
        self.check_available()

    def _unavailable_detail(self) -> str:
        if self.state == "restarting":
            why = f" ({self.last_error})" if self.last_error else ""
            return f"The answering model is restarting{why}; search and uploads still work. Ask again soon."
        return "The answering model is still loading; search and uploads work meanwhile. Ask again shortly."

    def _retry_after(self) -> int:
        return max(1, int(self._retry_at - time.monotonic() + 0.999)) if self._retry_at else 5

    def _register(self) -> tuple[str, queue.SimpleQueue[dict[str, Any]]]:
        rid = uuid.uuid4().hex[:12]
        q: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        with self._pending_lock:
            self._pending[rid] = q
        return rid, q

    def _unregister(self, rid: str) -> None:
        with self._pending_lock:
            self._pending.pop(rid, None)

    def _call(self, kind: str, **payload: Any) -> Any:
        self._ensure_ready()
        rid, q = self._register()
        try:
            self._send({"type": kind, "id": rid, **payload})
            try:
                msg = q.get(timeout=self.call_timeout_s)
            except queue.Empty:
                raise GeneratorUnavailable("The answering model did not respond in time.", 5) from None
            if msg["type"] == "result":
                return msg["value"]
            raise self._error(msg)
        finally:
            self._unregister(rid)

    def _error(self, msg: dict[str, Any]) -> ShioriError:
        if msg["type"] == "crashed":
            return GeneratorCrashed(msg["detail"])
        return ShioriError(
            msg.get("detail") or "Generation failed.", code=msg.get("code") or "generation_failed"
        )

    def _send(self, msg: dict[str, Any]) -> None:
        conn = self._conn
        if conn is None:
            raise GeneratorUnavailable(self._unavailable_detail(), self._retry_after())
        data = json.dumps(msg, ensure_ascii=False).encode()
        try:
            with self._send_lock:
                conn.send_bytes(data)
        except (OSError, ValueError) as exc:  # the child just died; the supervisor reports it
            raise GeneratorCrashed(f"The answering model's process went away ({exc}).") from exc

    def _try_send(self, msg: dict[str, Any]) -> None:
        try:
            self._send(msg)
        except ShioriError:
            pass

    # ---- supervision ---------------------------------------------------------------------------------
    def _start(self) -> None:
        with self._changed:
            if self._thread is not None:
                return
            self._set_state("starting")
            self._thread = threading.Thread(target=self._supervise, name="generator-supervisor", daemon=True)
            self._thread.start()

    def _set_state(self, state: State, error: str | None = None) -> None:
        with self._changed:
            self.state = state
            if error is not None or state == "ready":
                self.last_error = error
            self._changed.notify_all()

    def _spawn(self, spec: dict[str, Any]) -> tuple[subprocess.Popen[bytes], Connection]:
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PROJECT_ROOT, env.get("PYTHONPATH")) if p)
        spec = {**spec, "log_level": logging.getLevelName(logging.getLogger().getEffectiveLevel())}
        fd = child.fileno()
        try:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "app.core.generation.child",
                    "--fd",
                    str(fd),
                    "--spec",
                    json.dumps(spec),
                ],
                pass_fds=(fd,),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            child.close()
        return proc, Connection(parent.detach())

    def _supervise(self) -> None:
        delay = self.backoff_s[0]
        while not self._closing.is_set():
            spec = self.levels[self.level]
            try:
                proc, conn = self._spawn(spec)
            except OSError as exc:  # no Python to start, out of processes or memory
                logger.exception("cannot start the generator process")
                self._set_state("failed", f"The generator process could not be started: {exc}")
                return
            self._proc, self.pid = proc, proc.pid
            started = time.monotonic()
            crashed = ""
            first = self._wait_first(proc, conn)
            if self._closing.is_set():
                conn.close()
                return
            if first is not None and first["type"] == "ready":
                self.info = {**first.get("info", {}), "level": self.level, "config": _public(spec)}
                self._model_id = first.get("model_id") or self._model_id
                self._conn = conn
                logger.info(
                    "generator ready pid=%s level=%s config=%s load_s=%.1f",
                    proc.pid,
                    self.level,
                    json.dumps(_public(spec)),
                    time.monotonic() - started,
                )
                self._set_state("ready")
                self._read(conn)
                self._conn = None
                conn.close()
                code = _reap(proc)
                if self._closing.is_set():
                    return
                detail = f"the generator process {describe_exit(code)}"
                error = detail
                self.crashes += 1
                crashed = f"The answering model crashed ({detail}); it is restarting. Ask again shortly."
                if time.monotonic() - started >= self.stable_after_s:
                    delay = self.backoff_s[0]
                logger.error("generator crashed pid=%s %s; restarting in %.0f s", proc.pid, detail, delay)
                if self.on_crash is not None:
                    self.on_crash(detail)
            else:
                conn.close()
                code = _reap(proc)
                if self._closing.is_set():
                    return
                if first is not None and first.get("code") == "model_unavailable":
                    self._set_state("failed", first["detail"])
                    logger.error("generator cannot start: %s", first["detail"])
                    return
                why = first["detail"] if first is not None else f"the process {describe_exit(code)}"
                detail = f"start-up check failed ({why}) with {json.dumps(_public(spec))}"
                if self.level + 1 < len(self.levels):
                    self.level += 1
                    logger.error(
                        "generator %s; retrying with the safer %s",
                        detail,
                        json.dumps(_public(self.levels[self.level])),
                    )
                    delay = 0.0
                else:
                    logger.error(
                        "generator %s; no safer configuration left, retrying in %.0f s", detail, delay
                    )
                error = detail
            self.restarts += 1
            self._retry_at = time.monotonic() + delay
            self._set_state("restarting", error)
            if crashed:  # after the state says so: a caller retrying at once is told to wait
                self._fail_pending(crashed)
            if self._closing.wait(delay):
                return
            delay = min(self.backoff_s[1], max(self.backoff_s[0], delay * 2))

    def _wait_first(self, proc: subprocess.Popen[bytes], conn: Connection) -> dict[str, Any] | None:
        """The child's first message (ready or fatal), or None if it died or timed out first."""
        deadline = time.monotonic() + self.start_timeout_s
        while not self._closing.is_set() and time.monotonic() < deadline:
            try:
                if conn.poll(0.2):
                    msg: dict[str, Any] = json.loads(conn.recv_bytes())
                    return msg
            except (EOFError, OSError):
                return None
            if proc.poll() is not None and not conn.poll(0):
                return None
        proc.kill()
        return None

    def _read(self, conn: Connection) -> None:
        while True:
            try:
                msg = json.loads(conn.recv_bytes())
            except (EOFError, OSError):
                return
            with self._pending_lock:
                q = self._pending.get(msg.get("id") or "")
            if q is not None:
                q.put(msg)

    def _fail_pending(self, detail: str) -> None:
        with self._pending_lock:
            pending = list(self._pending.values())
        for q in pending:
            q.put({"type": "crashed", "detail": detail})


def _reap(proc: subprocess.Popen[bytes]) -> int | None:
    try:
        return proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=10)


def _public(spec: dict[str, Any]) -> dict[str, Any]:
    """What to log of a spec: the knobs, not the fake backend's script."""
    return {k: v for k, v in spec.items() if k not in ("script", "path", "log_level")}
