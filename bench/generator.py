"""The generator in its own process against llama-cpp-python in-process, and prompt-lookup decoding.
Prints JSON.

1. isolation: the seed questions' real prompts (retrieved and packed as the service does), streamed by
   the in-process backend and by the supervised process, interleaved question by question so both see
   the same prefix-cache state and the same machine load. Decode tokens/s ratio (target >= 0.97), the
   time-to-first-token overhead of the process hop on a fully cached prompt (one token to evaluate, so
   the difference is the hop itself; target <= 50 ms), the packing time (token counts cross the
   socket), and whether the greedy answers are identical.
2. prompt lookup: the same prompts with `generator.prompt_lookup` 0 and N (in-process), decode tokens/s
   and whether the greedy answers are identical.
3. memory: `shiori serve` with the default settings: RSS of the API process (no model) and of the
   generator process, after one answer.

    python bench/generator.py [--rounds 2] [--lookup 10] [--skip-memory]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, SHARED, add_texts, build_container, drain, make_settings

from app.core.generation import Message
from app.core.generation.llama_cpp import LlamaCppGenerator
from app.core.generation.process import ProcessGenerator
from app.core.prompting import build_messages, detect_language, pack_sources
from app.services.doctor import timed_stream
from bench.answer import QUESTIONS

GGUF = REPO / "data/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def run(gen: Any, messages: list[Message], max_tokens: int) -> dict[str, Any]:
    out = timed_stream(gen, messages, max_tokens)
    return {**out, "ttft_ms": out["ttft_s"] * 1000}


def med(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return round(statistics.median(vals), 2) if vals else None


def prompts(container: Any, gen: LlamaCppGenerator) -> list[tuple[str, list[Message]]]:
    out = []
    cfg = container.settings.answer
    for q, _ in QUESTIONS:
        result = container.retriever.search(q, "default", cfg.k)
        lang = detect_language(q)
        packed = pack_sources(q, result.passages, gen.count_tokens, budget=cfg.context_tokens, lang=lang)
        out.append((q, build_messages(q, packed.sources, lang)))
    return out


def pack_ms(container: Any, gen: Any, reps: int = 3) -> float:
    cfg = container.settings.answer
    times = []
    for _ in range(reps):
        for q, _ in QUESTIONS:
            passages = container.retriever.search(q, "default", cfg.k).passages
            t0 = time.perf_counter()
            pack_sources(q, passages, gen.count_tokens, budget=cfg.context_tokens, lang=detect_language(q))
            times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def isolation(container: Any, local: LlamaCppGenerator, rounds: int, max_tokens: int) -> dict[str, Any]:
    spec = {"backend": "llama_cpp", "path": str(GGUF), "n_ctx": local.n_ctx, "n_batch": local.batch_size}
    remote = ProcessGenerator({**spec, "threads": local.threads, "extra_bufts": True, "prompt_lookup": 0})
    remote.warm_up()
    try:
        items = prompts(container, local)
        rows: dict[str, list[dict[str, Any]]] = {"in_process": [], "process": []}
        same = 0
        for _ in range(rounds):
            for _, messages in items:
                a = run(local, messages, max_tokens)
                b = run(remote, messages, max_tokens)
                rows["in_process"].append(a)
                rows["process"].append(b)
                same += a["text"] == b["text"]
        # The hop: the same prompt twice in a row, so the second evaluates a single token.
        hop: dict[str, list[float]] = {"in_process": [], "process": []}
        for _, messages in items[:4]:
            for name, gen in (("in_process", local), ("process", remote)):
                run(gen, messages, 1)
                for _ in range(3):
                    hop[name].append(run(gen, messages, 1)["ttft_ms"])
        # Decode speed on long answers (the seed answers are 7-50 tokens: their rate is noisy).
        counting: list[Message] = [
            {"role": "user", "content": "1から60まで、数字を一行に一つずつ書いてください。"}
        ]
        long_rows: dict[str, list[float | None]] = {"in_process": [], "process": []}
        for _ in range(max(3, rounds * 2)):
            long_rows["in_process"].append(run(local, counting, 120)["decode_tps"])
            long_rows["process"].append(run(remote, counting, 120)["decode_tps"])
        long_tps = {k: med(v) for k, v in long_rows.items()}
        tps = {k: med([r["decode_tps"] for r in v]) for k, v in rows.items()}
        cached = {k: med(v) for k, v in hop.items()}
        packing = {"in_process": pack_ms(container, local), "process": pack_ms(container, remote)}
        return {
            "answers": len(rows["process"]),
            "identical_answers": same,
            "decode_tokens_per_s": tps,
            "decode_ratio_process_vs_in_process": round(tps["process"] / tps["in_process"], 3)
            if tps["process"] and tps["in_process"]
            else None,
            "decode_tokens_per_s_120_token_answers": long_tps,
            "decode_ratio_120_token_answers": round(long_tps["process"] / long_tps["in_process"], 3)
            if long_tps["process"] and long_tps["in_process"]
            else None,
            "ttft_ms_median": {k: med([r["ttft_ms"] for r in v]) for k, v in rows.items()},
            "ttft_ms_cached_prompt": cached,
            "hop_overhead_ms": round((cached["process"] or 0) - (cached["in_process"] or 0), 2),
            "pack_sources_ms": packing,
            "pack_overhead_ms": round(packing["process"] - packing["in_process"], 2),
        }
    finally:
        remote.close()


def prompt_lookup(container: Any, local: LlamaCppGenerator, n: int, max_tokens: int) -> dict[str, Any]:
    spec = LlamaCppGenerator(GGUF, threads=local.threads, prompt_lookup=n)
    spec.warm_up()
    items = prompts(container, local)
    rows = []
    for q, messages in items:
        local._ensure().reset()
        a = run(local, messages, max_tokens)
        spec._ensure().reset()
        b = run(spec, messages, max_tokens)
        rows.append({"q": q, "off": a, "on": b, "identical": a["text"] == b["text"]})
    off, on = med([r["off"]["decode_tps"] for r in rows]), med([r["on"]["decode_tps"] for r in rows])
    return {
        "num_pred_tokens": n,
        "identical_answers": f"{sum(r['identical'] for r in rows)}/{len(rows)}",
        "decode_tokens_per_s": {"off": off, "on": on},
        "decode_ratio_on_vs_off": round(on / off, 3) if on and off else None,
        "ttft_ms_median": {
            "off": med([r["off"]["ttft_ms"] for r in rows]),
            "on": med([r["on"]["ttft_ms"] for r in rows]),
        },
        "per_question": [
            {
                "q": r["q"],
                "identical": r["identical"],
                "tps_off": round(r["off"]["decode_tps"] or 0, 1),
                "tps_on": round(r["on"]["decode_tps"] or 0, 1),
                "tokens": r["off"]["tokens"],
            }
            for r in rows
        ],
    }


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def memory() -> dict[str, Any]:
    import httpx

    sys.path.insert(0, str(REPO))
    from tests.support.e2e import generator_pid
    from tests.support.server import free_port

    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="shiori-bench-mem-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIORI_")}
    env.update(
        {
            "SHIORI_PATHS__DATA_DIR": str(data),
            "SHIORI_EMBEDDING__MODEL_PATH": str(REPO / "data/models/multilingual-e5-small"),
            "SHIORI_GENERATOR__GGUF_PATH": str(GGUF),
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).json().get("generator") == "loaded":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            time.sleep(0.5)
        seed = sorted((SHARED / "corpus/seeds").glob("*.txt"))[0]
        httpx.post(
            f"{url}/api/v1/collections/default/documents", files=[("files", (seed.name, seed.read_bytes()))]
        )
        while httpx.get(f"{url}/api/v1/collections/default/documents").json()[0]["status"] != "ready":
            time.sleep(0.5)
        httpx.post(f"{url}/api/v1/ask", json={"question": QUESTIONS[0][0]}, timeout=300)
        child = generator_pid(proc.pid)
        return {
            "api_rss_mb": round(rss_kb(proc.pid) / 1024),
            "generator_rss_mb": round(rss_kb(child) / 1024) if child else None,
        }
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--lookup", type=int, default=10, help="num_pred_tokens for prompt lookup (0: skip)")
    ap.add_argument("--max-tokens", type=int, default=384)
    ap.add_argument("--skip-memory", action="store_true")
    ap.add_argument("--skip-isolation", action="store_true")
    args = ap.parse_args()
    local = LlamaCppGenerator(GGUF)
    local.warm_up()
    settings = make_settings(Path(tempfile.mkdtemp(prefix="shiori-bench-")), answer={"abstain_below": -1.0})
    container = build_container(settings, generator=local, with_generator=True)
    seeds = sorted((SHARED / "corpus/seeds").glob("*.txt"))
    add_texts(container, "default", [(p.name, p.read_bytes()) for p in seeds])
    drain(container)
    assert container.registry is not None
    container.registry.sync()
    report: dict[str, Any] = {"questions": len(QUESTIONS), "cpu_count": os.cpu_count()}
    if not args.skip_isolation:
        report["isolation"] = isolation(container, local, args.rounds, args.max_tokens)
        print(json.dumps(report["isolation"]), file=sys.stderr, flush=True)  # kept if a later part fails
    if args.lookup:
        report["prompt_lookup"] = prompt_lookup(container, local, args.lookup, args.max_tokens)
    container.close()
    if not args.skip_memory:
        report["memory"] = memory()
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
