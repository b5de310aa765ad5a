"""`shiori doctor`: what a user runs first when answers are slow or broken.

Reports the CPU's features, the model files' checks, the generator as `shiori serve` would start it
(in its own process, with the start-up check and its fallback: what llama.cpp was built with and
what it chose), and measured prompt-processing and decode speed.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from typing import Any

from app.core.errors import ShioriError
from app.core.generation import GenerationOptions, Generator, Message, create_generator
from app.core.settings import Settings

# The x86 features llama.cpp's CPU kernels care about, in the order they were added to CPUs.
CPU_FEATURES = (
    "sse4_2",
    "avx",
    "f16c",
    "fma",
    "avx2",
    "bmi2",
    "avx_vnni",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
)

# A prompt about as long as a real one (the default context budget is 450 tokens of sources), and an
# instruction that makes the model write for a while.
_PASSAGE = (
    "栞（しおり）は、読みかけの本のページに挟んで、どこまで読んだかを示すための道具である。"
    "紙や布、金属などで作られ、日本では古くから使われてきた。"
)


def cpu_report() -> dict[str, Any]:
    flags: set[str] = set()
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "flags" and not flags:
                    flags = set(value.split())
                elif key.strip() == "model name":
                    model = value.strip()
    except OSError:
        pass
    return {
        "model": model,
        "cores": os.cpu_count(),
        "features": [f for f in CPU_FEATURES if f in flags],
        "missing": [f for f in CPU_FEATURES[:6] if flags and f not in flags],  # the AVX2 baseline
    }


def model_files_report(settings: Settings) -> list[dict[str, Any]]:
    from app.core.models import gguf
    from app.core.models.prepare import check_user_embedding_folder, check_user_gguf

    checks: list[tuple[str, str, Callable[[], None]]] = []
    emb = settings.embedding_model_path
    if settings.embedding.backend == "sbert":
        checks.append(("embedding", str(emb), lambda: check_user_embedding_folder(emb)))
    if settings.generator.backend == "llama_cpp":
        gguf_path = settings.generator_gguf_path
        bundled = settings.generator.gguf_path is None  # the pinned file: size, magic and sha256
        check_gguf = gguf.verify_gguf if bundled else check_user_gguf
        checks.append(("generator", str(gguf_path), lambda: check_gguf(gguf_path)))
    out = []
    for name, where, check in checks:
        try:
            check()
            out.append({"model": name, "path": where, "ok": True})
        except ShioriError as exc:
            out.append({"model": name, "path": where, "ok": False, "problem": exc.detail})
    return out


def measure_generator(gen: Generator, *, passages: int = 12, max_tokens: int = 64) -> dict[str, Any]:
    """Prompt-processing and decode speed, from one streamed answer: prompt tokens / time to the first
    token, and generated tokens after the first / the time they took."""
    messages: list[Message] = [
        {"role": "system", "content": "You are a helpful assistant."},
        {
            "role": "user",
            "content": _PASSAGE * passages
            + "\n\n上の文章を踏まえて、栞の歴史について詳しく説明してください。",
        },
    ]
    prompt_tokens = gen.prompt_tokens(messages)
    run = timed_stream(gen, messages, max_tokens)
    return {
        "prompt_tokens": prompt_tokens,
        "ttft_s": round(run["ttft_s"], 3),
        "prompt_tokens_per_s": round(prompt_tokens / run["ttft_s"], 1),
        "generated_tokens": run["tokens"],
        "decode_tokens_per_s": round(run["decode_tps"], 1) if run["decode_tps"] is not None else None,
    }


def timed_stream(gen: Generator, messages: list[Message], max_tokens: int) -> dict[str, Any]:
    """One greedy answer, timed: ``text``, ``ttft_s`` (to the first delta), ``tokens`` (in the
    generator's tokenizer) and ``decode_tps`` (tokens after the first / the time they took)."""
    t0 = time.perf_counter()
    first = last = None
    text = ""
    for delta in gen.stream(messages, GenerationOptions(max_tokens=max_tokens)):
        last = time.perf_counter()
        first = first or last
        text += delta
    if first is None or last is None:
        raise ShioriError("The generator produced no text.", code="generation_failed")
    tokens = gen.count_tokens(text)
    decode_s = last - first
    return {
        "text": text,
        "ttft_s": first - t0,
        "tokens": tokens,
        "decode_tps": (tokens - 1) / decode_s if tokens > 1 and decode_s > 0 else None,
    }


def run_doctor(settings: Settings, *, measure: bool = True) -> dict[str, Any]:
    report: dict[str, Any] = {
        "cpu": cpu_report(),
        "python": platform.python_version(),
        "models": model_files_report(settings),
        "generator": {"backend": settings.generator.backend},
    }
    g = report["generator"]
    gen = create_generator(settings)
    try:
        t0 = time.perf_counter()
        gen.warm_up()
        g["load_s"] = round(time.perf_counter() - t0, 1)
        g["model"] = gen.model_id
        info = getattr(gen, "info", None) or {}  # a process's report, or an in-process backend's method
        g.update(info() if callable(info) else info)
        for attr in ("tokenizer_source", "base"):
            if hasattr(gen, attr):
                g[attr] = getattr(gen, attr)
        g["ok"] = True
        if measure:
            g["speed"] = measure_generator(gen)
    except ShioriError as exc:
        g["ok"] = False
        g["problem"] = exc.detail
    finally:
        close = getattr(gen, "close", None)
        if close is not None:
            close()
    report["ok"] = bool(g["ok"]) and all(m["ok"] for m in report["models"]) and not report["cpu"]["missing"]
    return report
