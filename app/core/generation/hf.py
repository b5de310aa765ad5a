"""transformers backend: any local Hugging Face causal-LM folder (or a GGUF in it via ``gguf_file``).

Generation runs in a worker thread feeding a TextIteratorStreamer (an exception there is raised to
the reader when the stream ends); cancellation goes through a StoppingCriteria that checks the cancel
event between tokens. bf16 where the CPU supports it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from app.core.errors import ModelUnavailable
from app.core.generation import GenerationOptions, Message
from app.core.generation.control import neutralize_messages

logger = logging.getLogger(__name__)


def _cpu_has_bf16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = fh.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class TransformersGenerator:
    def __init__(self, path: Path, *, gguf_file: str | None = None, threads: int | None = None) -> None:
        self.path = Path(path)
        self.gguf_file = gguf_file
        self.threads = threads
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.gguf_file or self.path.name

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dtype(self) -> Any:
        """The torch dtype the model runs in (bfloat16 on CPUs with native support), once loaded."""
        return None if self._model is None else self._model.dtype

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            if not self.path.is_dir():
                raise ModelUnavailable(f"Generator model folder {self.path} does not exist.")
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            if self.threads:
                torch.set_num_threads(self.threads)
            dtype = torch.bfloat16 if _cpu_has_bf16() else torch.float32
            kwargs: dict[str, Any] = {"local_files_only": True}
            if self.gguf_file:
                kwargs["gguf_file"] = self.gguf_file
            logger.info("loading generator path=%s gguf=%s dtype=%s", self.path, self.gguf_file, dtype)
            self._tokenizer = AutoTokenizer.from_pretrained(str(self.path), **kwargs)
            model: Any = AutoModelForCausalLM.from_pretrained(str(self.path), dtype=dtype, **kwargs)
            self._model = model.eval()

    def _ensure(self) -> tuple[Any, Any]:
        if self._model is None:
            self.warm_up()
        return self._model, self._tokenizer

    def count_tokens(self, text: str) -> int:
        _, tok = self._ensure()
        return len(tok(text, add_special_tokens=False)["input_ids"])

    def _ids(self, messages: Sequence[Message]) -> Any:
        _, tok = self._ensure()
        # Render to text, then tokenise: what apply_chat_template returns when it tokenises changed
        # between transformers versions (a tensor, then a BatchEncoding).
        # The tokenizer matches special tokens anywhere in the text: contents go in with their
        # control strings broken up, so a document can't open a turn (generation.control).
        safe = neutralize_messages(messages)
        text = tok.apply_chat_template(safe, add_generation_prompt=True, tokenize=False)
        return tok(text, add_special_tokens=False, return_tensors="pt")["input_ids"]

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        return int(self._ids(messages).shape[-1])

    def opening_logprob(self, messages: Sequence[Message], opening: str, tokens: int = 3) -> float | None:
        return None  # not read here: abstention then goes by the retrieval evidence and the answer

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        model, tok = self._ensure()
        halt = threading.Event()

        class _Stop(StoppingCriteria):
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return halt.is_set() or (cancel is not None and cancel.is_set())

        ids = self._ids(messages)
        streamer: Any = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True)
        kwargs: dict[str, Any] = {
            "input_ids": ids,
            "attention_mask": torch.ones_like(ids),
            "max_new_tokens": options.max_tokens,
            "repetition_penalty": options.repeat_penalty,
            "do_sample": options.temperature > 0,
            "streamer": streamer,
            "stopping_criteria": StoppingCriteriaList([_Stop()]),
        }
        if options.temperature > 0:
            kwargs["temperature"] = options.temperature

        failure: list[Exception] = []

        def run() -> None:
            try:
                with self._run_lock, torch.inference_mode():
                    model.generate(**kwargs)
            except Exception as exc:
                failure.append(exc)  # before end(): the reader checks it once the stream ends
                streamer.end()  # unblock the reader instead of leaving it waiting forever

        thread = threading.Thread(target=run, name="hf-generate", daemon=True)
        thread.start()
        try:
            for text in streamer:
                if text:
                    yield text
                if cancel is not None and cancel.is_set():
                    return
            if failure:  # a failed generate() is an error, never a complete (truncated) answer
                raise failure[0]
        finally:
            halt.set()  # the generate() thread stops at its next token
            thread.join(timeout=60)
