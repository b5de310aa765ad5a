"""The transformers backend's stream with a fake model and tokenizer (nothing loaded): a failure inside
``generate()``, which runs in its own thread, reaches whoever reads the stream."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from app.core.generation import GenerationOptions, Message
from app.core.generation.hf import TransformersGenerator

pytestmark = pytest.mark.unit

VOCAB = {1: "<prompt>", 4: "Tokyo ", 5: "Tower ", 6: "is ", 7: "red."}
MESSAGES: list[Message] = [{"role": "user", "content": "What color is Tokyo Tower?"}]


class FakeTokenizer:
    def apply_chat_template(self, messages: list[Message], **_: Any) -> str:
        return "<prompt>"

    def __call__(self, text: str, **_: Any) -> dict[str, Any]:
        return {"input_ids": torch.tensor([[1]])}

    def decode(self, ids: list[int], **_: Any) -> str:
        return "".join(VOCAB[i] for i in ids)


class FakeModel:
    """Streams ``tokens`` the way generate() does, then ends the stream or raises ``error``."""

    def __init__(self, tokens: list[int], error: Exception | None = None) -> None:
        self.tokens = tokens
        self.error = error

    def generate(self, *, input_ids: Any, streamer: Any, **_: Any) -> None:
        streamer.put(input_ids)  # the prompt first (the streamer skips it)
        for token in self.tokens:
            streamer.put(torch.tensor([token]))
        if self.error is not None:
            raise self.error
        streamer.end()


def generator_with(model: FakeModel, tmp_path: Path) -> TransformersGenerator:
    gen = TransformersGenerator(tmp_path)
    gen._model, gen._tokenizer = model, FakeTokenizer()  # as if warm_up() had loaded them
    return gen


def test_a_complete_generation_streams_every_token(tmp_path: Path) -> None:
    gen = generator_with(FakeModel([4, 5, 6, 7]), tmp_path)
    assert "".join(gen.stream(MESSAGES, GenerationOptions(max_tokens=8))) == "Tokyo Tower is red."


def test_a_failure_inside_generate_reaches_the_reader_instead_of_ending_the_answer(tmp_path: Path) -> None:
    gen = generator_with(FakeModel([4, 5], error=RuntimeError("out of memory")), tmp_path)
    received: list[str] = []
    with pytest.raises(RuntimeError, match="out of memory"):
        for text in gen.stream(MESSAGES, GenerationOptions(max_tokens=8)):
            received.append(text)
    assert received == ["Tokyo ", "Tower "]  # what came before the failure, and then the error
