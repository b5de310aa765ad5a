"""openai backend: an external OpenAI-compatible chat server (llama.cpp server, vLLM, Ollama, TGI).

How a team with a GPU machine runs a larger model: the server generates, Shiori keeps retrieval,
prompt packing, citations and abstention. Nothing is loaded here, so nothing native runs in the API.

Token counts for the context budget come from the server's own tokenizer where it has an endpoint
for it (llama-cpp-python's ``/extras/tokenize/count``, llama.cpp's and vLLM's ``/tokenize``), else
from a local tokenizer file named in settings, else from a conservative estimate (logged).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

import httpx

from app.core.errors import GeneratorUnavailable, ModelUnavailable, ShioriError
from app.core.generation import GenerationOptions, Message
from app.core.generation.control import neutralize_messages
from app.core.settings import OpenAIGeneratorSettings

logger = logging.getLogger(__name__)

_RETRY_AFTER_S = 10


def estimate_tokens(text: str) -> int:
    """An upper-bound guess when no tokenizer is available: one token per CJK character, one per
    three other characters (real tokenizers do better on both)."""
    wide = sum(1 for ch in text if ord(ch) >= 0x2E80)
    return wide + (len(text) - wide + 2) // 3


class OpenAIGenerator:
    def __init__(self, cfg: OpenAIGeneratorSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.cfg = cfg
        self.base = cfg.base_url.rstrip("/")
        self.root = self.base[: -len("/v1")] if self.base.endswith("/v1") else self.base
        headers = {"Authorization": f"Bearer {cfg.api_key}"} if cfg.api_key else {}
        self.client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(cfg.read_timeout_s, connect=cfg.connect_timeout_s),
            transport=transport,
        )
        self._model = cfg.model
        self._count: Callable[[str], int] | None = None
        self.tokenizer_source = "unknown"
        self._lock = threading.Lock()
        self._reachable: bool | None = None  # None: not tried yet
        self.last_error: str | None = None
        self._last_probe = 0.0

    # ---- Generator protocol ----------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        return self._model or "openai"

    @property
    def loaded(self) -> bool:
        return self._reachable is True and self._count is not None

    def status(self) -> str:
        if self._reachable is None:
            return "lazy"
        return "loaded" if self._reachable else "unreachable"

    def warm_up(self) -> None:
        with self._lock:
            models = self._get("/models").get("data") or []
            names = [str(m.get("id")) for m in models if isinstance(m, dict)]
            if not self._model:
                if not names:
                    raise ModelUnavailable(f"The generator server at {self.base} lists no models.")
                self._model = names[0]
            if self._count is None:
                self._count = self._pick_counter()
            logger.info(
                "openai generator base=%s model=%s tokens=%s", self.base, self._model, self.tokenizer_source
            )

    def check_available(self) -> None:
        """Before a stream starts: a server that was unreachable is asked again (at most every 2 s);
        still down means 503 generator_unavailable with Retry-After, not an error mid-stream."""
        if self._reachable is True and self._count is not None:
            return
        if self._reachable is False and time.monotonic() - self._last_probe < 2.0:
            raise GeneratorUnavailable(self._down_detail(), _RETRY_AFTER_S)
        self.warm_up()

    def count_tokens(self, text: str) -> int:
        if self._count is None:
            self.warm_up()
        assert self._count is not None
        return self._count(text)

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        # The server applies its own chat template; ~4 tokens of role markers per message.
        return sum(self.count_tokens(m["content"]) + 4 for m in messages)

    def opening_logprob(self, messages: Sequence[Message], opening: str, tokens: int = 3) -> float | None:
        return None  # not read here: abstention then goes by the retrieval evidence and the answer

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        if not self._model:
            self.warm_up()
        body: dict[str, Any] = {
            "model": self._model,
            # The server renders and tokenises the template with special tokens: break up control
            # strings in the contents so a document can't open a turn (generation.control).
            "messages": neutralize_messages(messages),
            "stream": True,
            "max_tokens": options.max_tokens,
            "temperature": options.temperature,
            "repeat_penalty": options.repeat_penalty,  # llama.cpp's name; other servers ignore it
        }
        if options.stop:
            body["stop"] = list(options.stop)
        started = False
        try:
            with self.client.stream("POST", f"{self.base}/chat/completions", json=body) as resp:
                self._check_status(resp)
                self._reachable = True
                for line in resp.iter_lines():
                    if cancel is not None and cancel.is_set():
                        return  # leaving the block closes the connection: the server stops decoding
                    if not line.startswith("data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == "[DONE]":
                        return
                    chunk = json.loads(payload)
                    if "error" in chunk:
                        raise ShioriError(
                            f"The generator server failed: {chunk['error']}", code="generation_failed"
                        )
                    for choice in chunk.get("choices") or []:
                        text = (choice.get("delta") or {}).get("content") or ""
                        if text:
                            started = True
                            yield text
        except httpx.ConnectError as exc:
            self._mark_down(exc)
            raise GeneratorUnavailable(self._down_detail(), _RETRY_AFTER_S) from exc
        except httpx.TimeoutException as exc:
            raise ShioriError(
                f"The generator server sent nothing for {self.cfg.read_timeout_s:.0f} s; answer stopped.",
                code="timeout",
            ) from exc
        except (httpx.TransportError, json.JSONDecodeError) as exc:  # the server went away mid-answer
            self._mark_down(exc)
            where = "in the middle of the answer" if started else "before answering"
            raise GeneratorUnavailable(
                f"The generator server at {self.base} closed the connection {where} ({type(exc).__name__}).",
                _RETRY_AFTER_S,
            ) from exc

    def close(self) -> None:
        self.client.close()

    # ---- helpers -----------------------------------------------------------------------------------
    def _down_detail(self) -> str:
        why = f" ({self.last_error})" if self.last_error else ""
        return f"The generator server at {self.base} is not reachable{why}; search and uploads still work."

    def _mark_down(self, exc: Exception) -> None:
        self._reachable = False
        self._last_probe = time.monotonic()
        self.last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

    def _check_status(self, resp: httpx.Response) -> None:
        if resp.status_code < 400:
            return
        resp.read()
        detail = resp.text[:300]
        if resp.status_code in (401, 403):
            raise ModelUnavailable(f"The generator server refused the API key ({resp.status_code}): {detail}")
        if resp.status_code == 404:
            raise ModelUnavailable(
                f"The generator server has no model {self._model!r} or no such route: {detail}"
            )
        if resp.status_code >= 500 or resp.status_code == 429:
            raise GeneratorUnavailable(
                f"The generator server answered {resp.status_code}: {detail}", _RETRY_AFTER_S
            )
        raise ShioriError(
            f"The generator server answered {resp.status_code}: {detail}", code="generation_failed"
        )

    def _get(self, path: str) -> dict[str, Any]:
        self._last_probe = time.monotonic()
        try:
            resp = self.client.get(f"{self.base}{path}", timeout=self.cfg.connect_timeout_s * 2)
        except httpx.TransportError as exc:
            self._mark_down(exc)
            raise GeneratorUnavailable(self._down_detail(), _RETRY_AFTER_S) from exc
        self._check_status(resp)
        self._reachable = True
        self.last_error = None
        data: dict[str, Any] = resp.json()
        return data

    def _pick_counter(self) -> Callable[[str], int]:
        probes: list[tuple[str, str, Callable[[str], dict[str, Any]], Callable[[dict[str, Any]], int]]] = [
            (
                "server /extras/tokenize/count",
                f"{self.root}/extras/tokenize/count",
                lambda t: {"input": t, "model": self._model},
                lambda d: int(d["count"]),
            ),
            (
                "server /tokenize",
                f"{self.root}/tokenize",
                lambda t: {"content": t},
                lambda d: len(d["tokens"]),
            ),
            (
                "server /tokenize",
                f"{self.root}/tokenize",
                lambda t: {"model": self._model, "prompt": t, "add_special_tokens": False},
                lambda d: int(d.get("count", len(d["tokens"]))),
            ),
        ]
        for name, url, make, read in probes:
            try:
                resp = self.client.post(url, json=make("テスト test"), timeout=self.cfg.connect_timeout_s * 2)
                if resp.status_code == 200 and read(resp.json()) > 0:
                    self.tokenizer_source = name
                    return _cached(partial(self._remote_count, url, make, read))
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                continue
        if self.cfg.tokenizer_path is not None:
            count = _local_tokenizer(self.cfg.tokenizer_path)
            self.tokenizer_source = f"local {self.cfg.tokenizer_path}"
            return _cached(count)
        logger.warning(
            "the generator server at %s has no tokenize endpoint and generator.openai.tokenizer_path is "
            "not set: the context budget uses an estimate (set a tokenizer for exact packing)",
            self.base,
        )
        self.tokenizer_source = "estimate"
        return estimate_tokens

    def _remote_count(
        self,
        url: str,
        make: Callable[[str], dict[str, Any]],
        read: Callable[[dict[str, Any]], int],
        text: str,
    ) -> int:
        if not text:
            return 0
        try:
            resp = self.client.post(url, json=make(text))
        except httpx.TransportError as exc:
            self._mark_down(exc)
            raise GeneratorUnavailable(self._down_detail(), _RETRY_AFTER_S) from exc
        self._check_status(resp)
        return read(resp.json())


def _cached(fn: Callable[[str], int]) -> Callable[[str], int]:
    # Packing counts the same passages for every question about them: remember recent answers.
    return lru_cache(maxsize=4096)(fn)


def _local_tokenizer(path: Path) -> Callable[[str], int]:
    from tokenizers import Tokenizer

    file = path / "tokenizer.json" if path.is_dir() else path
    if not file.is_file():
        raise ModelUnavailable(f"generator.openai.tokenizer_path: no tokenizer.json at {path}")
    tok = Tokenizer.from_file(str(file))
    return lambda text: len(tok.encode(text, add_special_tokens=False).ids)
