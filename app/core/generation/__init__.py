"""Text generation: one small protocol (`stream`), a factory that picks the backend, and a fake."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TypedDict

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


def create_generator(settings: Settings) -> Generator:
    cfg = settings.generator
    if cfg.backend == "fake":
        from app.core.generation.fake import FakeGenerator

        return FakeGenerator(script=cfg.fake_script, delay_s=cfg.fake_delay_s)
    if cfg.backend == "llama_cpp":
        from app.core.generation.llama_cpp import LlamaCppGenerator

        return LlamaCppGenerator(
            settings.generator_gguf_path, n_ctx=cfg.n_ctx, threads=cfg.threads, batch_size=cfg.n_batch
        )
    if cfg.backend == "transformers":
        from app.core.generation.hf import TransformersGenerator

        if cfg.model_path is None:
            raise ValueError("generator.model_path is required for the transformers backend")
        return TransformersGenerator(cfg.model_path, gguf_file=cfg.gguf_file, threads=cfg.threads)
    raise ValueError(f"unknown generator backend {cfg.backend!r}")
