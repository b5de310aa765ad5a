"""llama.cpp backend (llama-cpp-python): the bundled Qwen2.5 GGUF, or any local GGUF chat model.

The chat template comes from the GGUF's own metadata. The prompt is rendered and tokenised here and
sent as tokens, so the prompt we count for the context budget is exactly the prompt the model reads,
and llama.cpp's prefix cache reuses the evaluated system prompt across requests. The template's own
text is tokenised with special tokens, message contents without (`app.core.generation.control`): a
document or question can't open a new turn.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.core.errors import ModelUnavailable
from app.core.generation import GenerationOptions, Message
from app.core.generation.control import neutralize_messages, split_rendered

logger = logging.getLogger(__name__)


class LlamaCppGenerator:
    def __init__(
        self,
        path: Path,
        *,
        n_ctx: int = 4096,
        threads: int | None = None,
        batch_size: int = 512,
        extra_bufts: bool = True,
        prompt_lookup: int = 0,
    ) -> None:
        self.path = Path(path)
        self.n_ctx = n_ctx
        self.threads = threads or os.cpu_count() or 1
        self.batch_size = batch_size
        # llama.cpp's "extra buffer types" repack weights for CPU-specific kernels (AMX, AVX-512...).
        # Off is the safe fallback: the AMX one segfaulted on some CPUs (see ProcessGenerator).
        self.extra_bufts = extra_bufts
        # Prompt-lookup (n-gram) speculative decoding: draft this many tokens from the prompt; 0 = off.
        self.prompt_lookup = prompt_lookup
        self._llm: Any = None
        self._formatter: Any = None
        self._stop: list[str] = []
        self._load_lock = threading.Lock()
        # One llama context serves one sequence at a time; callers bound concurrency with slots,
        # this lock makes misuse safe rather than corrupting the KV cache.
        self._run_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.path.stem

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def warm_up(self) -> None:
        with self._load_lock:
            if self._llm is not None:
                return
            if not self.path.is_file():
                raise ModelUnavailable(
                    f"Generator model {self.path} does not exist. Run `shiori models prepare` to assemble "
                    "the bundled one, or set SHIORI_GENERATOR__GGUF_PATH to a local GGUF file."
                )
            try:
                from llama_cpp import Llama
                from llama_cpp.llama_chat_format import Jinja2ChatFormatter
            except ImportError as exc:
                raise ModelUnavailable(
                    "The llama_cpp backend needs llama-cpp-python: pip install llama-cpp-python"
                ) from exc
            logger.info(
                "loading generator path=%s threads=%s n_ctx=%s extra_bufts=%s prompt_lookup=%s",
                self.path,
                self.threads,
                self.n_ctx,
                self.extra_bufts,
                self.prompt_lookup,
            )
            kwargs: dict[str, Any] = {}
            if self.prompt_lookup:
                from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

                kwargs["draft_model"] = LlamaPromptLookupDecoding(num_pred_tokens=self.prompt_lookup)
                # Drafting scores every position: llama-cpp-python 0.3.36 sizes its score buffer from
                # the `logits_all` argument (n_batch rows otherwise), so a prompt longer than n_batch
                # fails without it. It costs n_ctx x vocabulary floats of memory (2.5 GB at 4096).
                kwargs["logits_all"] = True
            with _model_params(extra_bufts=self.extra_bufts):
                llm = Llama(
                    model_path=str(self.path),
                    n_ctx=self.n_ctx,
                    n_threads=self.threads,
                    n_threads_batch=self.threads,
                    n_batch=self.batch_size,
                    verbose=False,
                    **kwargs,
                )
            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise ModelUnavailable(f"{self.path} has no chat template in its metadata.")
            eos = llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "ignore")
            bos = (
                llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "ignore")
                if llm.token_bos() >= 0
                else ""
            )
            self._formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
            self._stop = [eos] if eos else []
            self._llm = llm

    def info(self) -> dict[str, Any]:
        """What `shiori doctor` and the start-up log report: the build's CPU features and our knobs."""
        import llama_cpp

        return {
            "backend": "llama_cpp",
            "llama_cpp_python": getattr(llama_cpp, "__version__", "?"),
            "system_info": llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip(),
            "extra_bufts": self.extra_bufts,
            "prompt_lookup": self.prompt_lookup,
            "threads": self.threads,
            "n_ctx": self.n_ctx,
        }

    def _ensure(self) -> Any:
        if self._llm is None:
            self.warm_up()
        return self._llm

    def render(self, messages: Sequence[Message]) -> str:
        self._ensure()
        result = self._formatter(messages=list(messages))
        if result.stop:
            extra = [result.stop] if isinstance(result.stop, str) else list(result.stop)
            self._stop = list(dict.fromkeys([*self._stop, *extra]))
        return str(result.prompt)

    def count_tokens(self, text: str) -> int:
        llm = self._ensure()
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def prompt_tokens(self, messages: Sequence[Message]) -> int:
        return len(self.encode(messages))

    def encode(self, messages: Sequence[Message]) -> list[int]:
        """The prompt's tokens: the template with special tokens, each content as plain text."""
        llm = self._ensure()
        pieces = split_rendered(self.render, messages)
        if pieces is None:  # the template rewrote a content: fall back to breaking control strings
            pieces = [(self.render(neutralize_messages(messages)), True)]
        tokens: list[int] = []
        for text, is_template in pieces:
            tokens += llm.tokenize(text.encode("utf-8"), add_bos=not tokens, special=is_template)
        return tokens

    def opening_logprob(self, messages: Sequence[Message], opening: str, tokens: int = 3) -> float | None:
        llm = self._ensure()
        prompt = self.encode(messages)
        wanted = llm.tokenize(opening.encode("utf-8"), add_bos=False, special=False)[:tokens]
        if not wanted:
            return None
        import numpy as np
        from llama_cpp import llama_get_logits_ith

        with self._run_lock:
            # Evaluate the prompt as create_completion would, keeping the prefix already in the KV
            # cache (the system prompt), then the opening's tokens one by one, reading the next-token
            # distribution before each.
            keep = 0
            for a, b in zip(llm._input_ids, prompt, strict=False):
                if a != b:
                    break
                keep += 1
            llm.n_tokens = min(keep, len(prompt) - 1)  # at least the last prompt token is evaluated
            llm.eval(prompt[llm.n_tokens :])
            total = 0.0
            for i, token in enumerate(wanted):
                logits = np.ctypeslib.as_array(llama_get_logits_ith(llm._ctx.ctx, -1), shape=(llm.n_vocab(),))
                top = float(logits.max())
                total += float(logits[token]) - top - float(np.log(np.exp(logits - top).sum()))
                if i + 1 < len(wanted):
                    llm.eval([token])
            # Back to the end of the prompt: the answer's stream finds it cached, and re-evaluates its
            # last token for the right logits (the context's now belong to the opening's tokens).
            llm.n_tokens = len(prompt)
            llm._requires_eval = True
        return total

    def stream(
        self, messages: Sequence[Message], options: GenerationOptions, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        llm = self._ensure()
        prompt = self.encode(messages)
        processors = None
        if options.avoid_opening:
            from llama_cpp import LogitsProcessorList

            banned = llm.tokenize(options.avoid_opening.encode("utf-8"), add_bos=False, special=False)[:1]
            processors = LogitsProcessorList([_ban_at(len(prompt), banned)])
        with self._run_lock:
            chunks = llm.create_completion(
                prompt=prompt,
                max_tokens=options.max_tokens,
                temperature=options.temperature,
                repeat_penalty=options.repeat_penalty,
                stop=[s for s in (*self._stop, *options.stop) if s],  # "" would match at once
                stream=True,
                logits_processor=processors,
            )
            try:
                for chunk in chunks:
                    if cancel is not None and cancel.is_set():
                        break
                    text = chunk["choices"][0].get("text") or ""
                    if text:
                        yield text
            finally:
                chunks.close()  # stops llama.cpp decoding at once


def _ban_at(position: int, tokens: Sequence[int]) -> Callable[[Any, Any], Any]:
    """A logits processor that rules ``tokens`` out at the answer's first token only."""

    def process(input_ids: Any, scores: Any) -> Any:
        if len(input_ids) == position:
            scores[list(tokens)] = -float("inf")
        return scores

    return process


_params_lock = threading.Lock()


@contextmanager
def _model_params(*, extra_bufts: bool) -> Iterator[None]:
    """`Llama()` has no argument for ``use_extra_bufts``: while it loads, make llama-cpp-python's
    default model parameters carry our choice."""
    if extra_bufts:
        yield
        return
    import llama_cpp.llama_cpp as lib

    with _params_lock:
        original = lib.llama_model_default_params

        def params() -> Any:
            p = original()
            p.use_extra_bufts = False
            return p

        lib.llama_model_default_params = params
        try:
            yield
        finally:
            lib.llama_model_default_params = original
