"""Text generation: one small protocol (`stream`), a factory that picks the backend, and a fake."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict

if TYPE_CHECKING:
    from app.core.settings import Settings


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 512
    temperature: float = 0.0  # greedy: answers grounded in sources should not be creative
    repeat_penalty: float = 1.1  # keeps greedy decoding of a small model out of loops
    stop: tuple[str, ...] = ()
    # The answer must not open with this text's first token (the refusal, when the evidence says the
    # answer is there). Backends that cannot steer the first token ignore it.
    avoid_opening: str = ""


class Generator(Protocol):
    """A decoder-only chat model that streams text deltas."""

    @property
    def model_id(self) -> str: ...

    def warm_up(self) -> None:
        """Load the model (idempotent). Called once at start-up, or lazily on first use."""
        ...

    @property
    def loaded(self) -> bool: ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in the generator's own tokenizer (for packing the context budget)."""
        ...

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        """Tokens of the whole prompt after the chat template is applied."""
        ...

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        """Yield text deltas. Stops early (within a token) once ``cancel`` is set."""
        ...

    def opening_logprob(self, messages: Sequence[Message], opening: str, tokens: int = 3) -> float | None:
        """Log-probability that the model's answer to ``messages`` opens with the first ``tokens``
        tokens of ``opening`` (the refusal text, say), read from its next-token distributions; None
        where the backend cannot tell. A stream of the same messages right after reuses the evaluated
        prompt."""
        ...


def create_generator(settings: Settings) -> Generator:
    cfg = settings.generator
    isolate = cfg.isolate if cfg.isolate is not None else cfg.backend in ("llama_cpp", "transformers")
    if cfg.backend == "openai":
        from app.core.generation.openai_backend import OpenAIGenerator

        return OpenAIGenerator(cfg.openai)
    spec = generator_spec(settings)
    if isolate:
        from app.core.generation.process import ProcessGenerator

        # The start-up check's fallback: llama.cpp without extra buffer types (CPU-specific repacked
        # kernels, where the AMX one crashed).
        fallbacks = [{"extra_bufts": False}] if spec["backend"] == "llama_cpp" and spec["extra_bufts"] else []
        return ProcessGenerator(spec, fallbacks=fallbacks, start_timeout_s=cfg.start_timeout_s)
    from app.core.generation.child import build

    return build(spec)


def generator_spec(settings: Settings) -> dict[str, Any]:
    """What the generator process needs to build its backend (JSON: it crosses a process boundary)."""
    cfg = settings.generator
    if cfg.backend == "fake":
        return {
            "backend": "fake",
            "script": cfg.fake_script,
            "replies": cfg.fake_replies,
            "delay_s": cfg.fake_delay_s,
        }
    if cfg.backend == "llama_cpp":
        return {
            "backend": "llama_cpp",
            "path": str(settings.generator_gguf_path),
            "n_ctx": cfg.n_ctx,
            "threads": cfg.threads,
            "n_batch": cfg.n_batch,
            "extra_bufts": cfg.extra_bufts,
            "prompt_lookup": cfg.prompt_lookup,
        }
    if cfg.backend == "transformers":
        if cfg.model_path is None:
            raise ValueError("generator.model_path is required for the transformers backend")
        return {
            "backend": "transformers",
            "path": str(cfg.model_path),
            "gguf_file": cfg.gguf_file,
            "threads": cfg.threads,
        }
    raise ValueError(f"unknown generator backend {cfg.backend!r}")
