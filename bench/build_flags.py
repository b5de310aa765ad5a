"""llama.cpp build candidates: prompt-processing and decode tokens/s of each, in the same run. Prints JSON.

Each candidate is llama-cpp-python (the version in requirements/llama.lock) compiled with other CMake
flags. `--build` compiles the missing ones into --wheels (a few minutes each; runtime dispatch builds
every CPU variant and takes much longer); then each candidate runs in its own subprocess (its own
shared libraries) with llama.cpp's extra buffer types on and off, interleaved over --rounds rounds so
that drift on a shared machine hits every candidate alike.

    python bench/build_flags.py --build --wheels /tmp/llama-wheels
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GGUF = REPO / "data/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

CANDIDATES = {
    # What `pip install llama-cpp-python` did before: tuned to the build machine (AMX kernels on AMX hosts).
    "native": "-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF",
    # The pinned build (requirements/llama-cmake-args).
    "avx2": (REPO / "requirements/llama-cmake-args").read_text().strip(),
    # Every CPU variant as a loadable backend; the best one for this CPU is picked at run time.
    "dispatch": "-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DLLAVA_BUILD=OFF",
}

# Runs inside the candidate's subprocess: PYTHONPATH puts that candidate's llama_cpp first.
PROBE = r"""
import json, sys, time
import llama_cpp
import llama_cpp.llama_cpp as lib
from llama_cpp import Llama
gguf, extra, prompt_repeat, decode = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3]), int(sys.argv[4])
# A runtime-dispatch build's wheel puts its CPU variants (libggml-cpu-haswell.so, ...) in
# site-packages/bin, and ggml looks for them beside the executable (python) and in the working
# directory, so llama-cpp-python alone finds no CPU backend: load them by hand.
import ctypes, glob, os
pkg = os.path.dirname(llama_cpp.__file__)
variants = os.path.join(os.path.dirname(pkg), "bin")
if glob.glob(os.path.join(variants, "libggml-cpu-*.so")):
    ggml = ctypes.CDLL(os.path.join(pkg, "lib", "libggml.so"))
    ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    ggml.ggml_backend_load_all_from_path(variants.encode())
orig = lib.llama_model_default_params
def params():
    p = orig(); p.use_extra_bufts = extra; return p
lib.llama_model_default_params = params
t = time.perf_counter()
threads = os.cpu_count()  # as Shiori runs it (llama-cpp-python's default decodes on half the cores)
llm = Llama(
    model_path=gguf, n_ctx=2048, n_batch=512, n_threads=threads, n_threads_batch=threads, verbose=False
)
load_s = time.perf_counter() - t
passage = ("栞（しおり）は、読みかけの本のページに挟んで、どこまで読んだかを示すための道具である。"
           "紙や布、金属などで作られ、日本では古くから使われてきた。")
prompt = ("<|im_start|>user\n" + passage * prompt_repeat + "\n栞の歴史を詳しく説明してください。<|im_end|>\n"
          "<|im_start|>assistant\n")
n_prompt = len(llm.tokenize(prompt.encode(), add_bos=False, special=True))
no_eos = {llm.token_eos(): -1e9}
runs = []
for _ in range(2):
    llm.reset()
    t0 = time.perf_counter(); first = None; n = 0
    stream = llm.create_completion(
        prompt=prompt, max_tokens=decode, temperature=0.0, logit_bias=no_eos, stream=True
    )
    for chunk in stream:
        n += 1
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    runs.append({"prompt_tps": n_prompt / (first - t0), "decode_tps": (n - 1) / (end - first)})
print(json.dumps({"load_s": load_s, "prompt_tokens": n_prompt, "runs": runs,
                  "system_info": llama_cpp.llama_print_system_info().decode().strip()}))
"""


def build(name: str, wheels: Path) -> Path:
    out = wheels / name
    found = sorted(out.glob("llama_cpp_python-*.whl"))
    if found:
        return found[-1]
    out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CMAKE_ARGS": CANDIDATES[name],
        "CMAKE_BUILD_PARALLEL_LEVEL": str(os.cpu_count() or 2),
    }
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-cache-dir", "--require-hashes"]
        + ["-r", str(REPO / "requirements/llama.lock"), "-w", str(out)],
        env=env,
        check=True,
    )
    print(f"built {name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return sorted(out.glob("llama_cpp_python-*.whl"))[-1]


def unpack(wheel: Path) -> Path:
    target = wheel.parent / "unpacked"
    if not (target / "llama_cpp").is_dir():
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(target)
    return target


def probe(site: Path, extra: bool, prompt_repeat: int, decode: int) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    # The dispatch build's CPU variants need libggml-base.so.0 but carry no RPATH to llama_cpp/lib.
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        p for p in (str(site / "llama_cpp/lib"), env.get("LD_LIBRARY_PATH")) if p
    )
    r = subprocess.run(
        [sys.executable, "-c", PROBE, str(GGUF), "1" if extra else "0", str(prompt_repeat), str(decode)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if r.returncode != 0:
        return {"crashed": r.returncode, "stderr": r.stderr[-500:]}
    result: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--wheels", type=Path, default=Path("/tmp/llama-wheels"))
    ap.add_argument("--build", action="store_true", help="compile the candidates that are missing")
    ap.add_argument("--candidates", default=",".join(CANDIDATES))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--prompt-repeat", type=int, default=12, help="~50 tokens each")
    ap.add_argument("--decode", type=int, default=96)
    args = ap.parse_args()
    names = args.candidates.split(",")
    sites = {}
    for name in names:
        if args.build:
            build(name, args.wheels)
        wheel = sorted((args.wheels / name).glob("llama_cpp_python-*.whl"))
        if not wheel:
            sys.exit(f"no wheel for {name} under {args.wheels}; run with --build")
        sites[name] = unpack(wheel[-1])
    samples: dict[str, list[dict[str, Any]]] = {}
    info: dict[str, Any] = {}
    for _ in range(args.rounds):
        for name in names:
            for extra in (True, False):
                key = f"{name}, extra buffer types {'on' if extra else 'off'}"
                res = probe(sites[name], extra, args.prompt_repeat, args.decode)
                if "crashed" in res:
                    info[key] = res
                    continue
                info[name] = res["system_info"]
                samples.setdefault(key, []).extend(res["runs"])
                info["prompt_tokens"] = res["prompt_tokens"]
    table = []
    base = samples.get("avx2, extra buffer types on")
    base_prompt = statistics.median(r["prompt_tps"] for r in base) if base else None
    base_decode = statistics.median(r["decode_tps"] for r in base) if base else None
    for key, runs in samples.items():
        p = statistics.median(r["prompt_tps"] for r in runs)
        d = statistics.median(r["decode_tps"] for r in runs)
        table.append(
            {
                "candidate": key,
                "prompt_tokens_per_s": round(p, 1),
                "decode_tokens_per_s": round(d, 1),
                "prompt_vs_avx2": round(p / base_prompt, 3) if base_prompt else None,
                "decode_vs_avx2": round(d / base_decode, 3) if base_decode else None,
                "runs": len(runs),
            }
        )
    print(
        json.dumps(
            {"cpu": platform.processor() or _cpu_model(), "table": table, "info": info},
            ensure_ascii=False,
            indent=2,
        )
    )


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


if __name__ == "__main__":
    main()
