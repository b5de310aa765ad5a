"""Replays scripted tokens: makes streaming, cancellation and citation handling testable without a model."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence

from app.core.generation import GenerationOptions, Message


class FakeGenerator:
    def __init__(
        self,
        script: Sequence[str] | None = None,
        delay_s: float = 0.0,
        *,
        replies: Sequence[Sequence[str]] | None = None,
        opening_logprob: float | None = None,
    ) -> None:
        # Default script: an answer that cites the first source.
        self.script = (
            list(script) if script else ["The ", "answer ", "is ", "in ", "the ", "source ", "[1]", "."]
        )
        # Or one script per call (the last one repeats): a first answer and a retry.
        self.replies = [list(r) for r in replies] if replies else None
        self.delay_s = delay_s
        self.opening = opening_logprob  # what opening_logprob answers: the model's refusal odds
        self.options: list[GenerationOptions] = []
        self.calls: list[list[Message]] = []
        self.tokens_emitted = 0

    @property
    def model_id(self) -> str:
        return "fake"

    @property
    def loaded(self) -> bool:
        return True

    def warm_up(self) -> None:
        return None

    def count_tokens(self, text: str) -> int:
        return max(1, len(text) // 3) if text else 0

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        return sum(self.count_tokens(m["content"]) + 4 for m in messages)

    def opening_logprob(self, messages: Sequence[Message], opening: str, tokens: int = 3) -> float | None:
        return self.opening

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        self.calls.append(list(messages))
        self.options.append(options)
        script = self.replies[min(len(self.calls), len(self.replies)) - 1] if self.replies else self.script
        for i, token in enumerate(script):
            if i >= options.max_tokens or (cancel is not None and cancel.is_set()):
                return
            if self.delay_s:
                time.sleep(self.delay_s)
            self.tokens_emitted += 1
            yield token
