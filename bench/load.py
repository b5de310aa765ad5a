"""Load: concurrent search clients and streaming ask clients against one real `shiori serve`.

Starts the server in a subprocess on a throwaway data folder (real embedding model, real generator by
default), ingests the seed corpus through the API, then for --duration seconds runs --search-clients
clients searching back to back and --ask-clients clients asking streamed questions (a client told 429
waits Retry-After and asks again), --rounds times on the same server (figures from the last round; the
server's RSS after each, so growth can be told from warm-up). Reports latency percentiles, responses
by status, request errors, requests that hung past --timeout, and the server's RSS before and after.
Prints JSON on stdout.

    python bench/load.py                                   # 50 search + 10 ask clients, 60 s
    python bench/load.py --duration 5 --search-clients 5 --ask-clients 1    # a smoke run
    python bench/load.py --generator fake                  # the plumbing, without the model

Traffic goes only to 127.0.0.1, and every loop stops at the deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _common import REPO, SHARED, percentile

from tests.support.server import ShioriServer  # noqa: E402  (_common puts the repo on the path)

SEARCH_QUERIES = [
    "大規模言語モデルとは何ですか",
    "Transformerの注意機構",
    "Can machines think?",
    "スケーリング則について教えて",
    "What is in-context learning?",
    "事前学習と微調整の違い",
    "トークナイザーの役割",
    "How are language models evaluated?",
]
ASK_QUESTIONS = [
    "大規模言語モデルとは何ですか？",
    "Transformerを提案した論文は何ですか？",
    "What did Alan Turing propose to consider?",
    "スケーリング則とは何ですか？",
]


@dataclass
class Stats:
    latencies_ms: list[float] = field(default_factory=list)
    ttft_s: list[float] = field(default_factory=list)
    tokens_per_s: list[float] = field(default_factory=list)
    status: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)  # exceptions, by type
    error_events: Counter[str] = field(default_factory=Counter)  # SSE `error` events, by code
    hung: int = 0


def rss_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss": fields.get("VmRSS", 0.0), "peak": fields.get("VmHWM", 0.0)}


def summary(values: list[float], digits: int = 1) -> dict[str, float]:
    if not values:
        return {}
    return {
        "p50": round(percentile(values, 50), digits),
        "p95": round(percentile(values, 95), digits),
        "p99": round(percentile(values, 99), digits),
        "max": round(max(values), digits),
    }


# ---- the server ---------------------------------------------------------------------------------------
class Server(ShioriServer):
    """The shared `shiori serve` harness (tests/support/server.py) with the bench's models and limits."""

    def __init__(self, args: argparse.Namespace, data_dir: Path) -> None:
        models = REPO / "data" / "models"
        env = {
            "SHIORI_EMBEDDING__MODEL_PATH": str(models / "multilingual-e5-small"),
            "SHIORI_GENERATOR__GGUF_PATH": str(models / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"),
            "SHIORI_GENERATOR__BACKEND": args.generator,
            "SHIORI_LIMITS__RATE_PER_MINUTE": str(args.rate_per_minute),
            "SHIORI_ANSWER__SLOTS": str(args.slots),
            "SHIORI_ANSWER__QUEUE": str(args.queue),
        }
        if args.generator == "fake":
            env["SHIORI_GENERATOR__FAKE_DELAY_S"] = "0.04"  # ~25 tokens/s, like the real model
        super().__init__(data_dir, data_dir / "server.log", env)
        self.headers: dict[str, str] = {}

    def create_key(self) -> None:
        """Auth on: every request is checked against a key (as on a network); a writer key, since the
        bench uploads the corpus too."""
        self.env["SHIORI_AUTH__MODE"] = "required"
        out = subprocess.run(
            [sys.executable, "-m", "app.cli", "keys", "create", "--role", "writer", "--json"],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        self.headers = {"Authorization": f"Bearer {json.loads(out.stdout)['key']}"}

    def start_serving(self, need_generator: bool) -> None:
        try:
            self.start(timeout=600, need_generator=need_generator)
        except RuntimeError as exc:
            raise SystemExit(str(exc)) from exc


def ingest(server: Server) -> int:
    paths = sorted((SHARED / "corpus" / "seeds").glob("*.txt"))
    files = [("files", (p.name, p.read_bytes(), "text/plain")) for p in paths]
    r = httpx.post(
        f"{server.url}/api/v1/collections/default/documents", files=files, headers=server.headers, timeout=120
    )
    r.raise_for_status()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        docs = httpx.get(
            f"{server.url}/api/v1/collections/default/documents", headers=server.headers, timeout=30
        ).json()
        if all(d["status"] in ("ready", "failed") for d in docs):
            break
        time.sleep(1)
    while httpx.get(f"{server.url}/readyz", timeout=10).json()["indexed_chunks"] == 0:
        time.sleep(0.5)
    return int(httpx.get(f"{server.url}/readyz", timeout=10).json()["indexed_chunks"])


# ---- the clients --------------------------------------------------------------------------------------
async def search_client(
    client: httpx.AsyncClient, n: int, deadline: float, stats: Stats, limit_s: float
) -> None:
    i = n
    while time.monotonic() < deadline:
        query = SEARCH_QUERIES[i % len(SEARCH_QUERIES)]
        i += 1
        t0 = time.perf_counter()
        try:
            r = await asyncio.wait_for(client.post("/api/v1/search", json={"query": query, "k": 5}), limit_s)
            stats.status[str(r.status_code)] += 1
            if r.status_code == 200:
                stats.latencies_ms.append((time.perf_counter() - t0) * 1000)
            elif r.status_code == 429:
                await asyncio.sleep(float(r.headers.get("retry-after", "1")))
        except TimeoutError:
            stats.hung += 1
        except httpx.HTTPError as exc:
            stats.errors[type(exc).__name__] += 1


async def ask_once(client: httpx.AsyncClient, question: str, stats: Stats) -> float | None:
    """One streamed question. Returns the Retry-After seconds on 429, else None."""
    t0 = time.perf_counter()
    first: float | None = None
    event = ""
    async with client.stream("POST", "/api/v1/ask", json={"question": question, "stream": True}) as r:
        stats.status[str(r.status_code)] += 1
        if r.status_code != 200:
            await r.aread()
            return float(r.headers.get("retry-after", "1")) if r.status_code == 429 else 1.0
        async for line in r.aiter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                if event == "token" and first is None:
                    first = time.perf_counter() - t0
                elif event == "error":
                    stats.error_events[json.loads(line[6:]).get("code", "?")] += 1
                elif event == "done":
                    done = json.loads(line[6:])
                    if done.get("tokens_per_s"):
                        stats.tokens_per_s.append(float(done["tokens_per_s"]))
    stats.latencies_ms.append((time.perf_counter() - t0) * 1000)
    if first is not None:
        stats.ttft_s.append(first)
    return None


async def ask_client(
    client: httpx.AsyncClient, n: int, deadline: float, stats: Stats, limit_s: float
) -> None:
    i = n
    while time.monotonic() < deadline:
        question = ASK_QUESTIONS[i % len(ASK_QUESTIONS)]
        i += 1
        try:
            wait = await asyncio.wait_for(ask_once(client, question, stats), limit_s)
        except TimeoutError:
            stats.hung += 1
            continue
        except httpx.HTTPError as exc:
            stats.errors[type(exc).__name__] += 1
            wait = 1.0
        if wait is not None:
            await asyncio.sleep(min(wait, max(0.0, deadline - time.monotonic())))


async def run_load(
    server: Server, args: argparse.Namespace, sample_rss: list[float]
) -> tuple[Stats, Stats, float]:
    search, ask = Stats(), Stats()
    limits = httpx.Limits(max_connections=args.search_clients + args.ask_clients + 10)
    async with httpx.AsyncClient(
        base_url=server.url, headers=server.headers, limits=limits, timeout=httpx.Timeout(args.timeout)
    ) as client:
        t0 = time.monotonic()
        deadline = t0 + args.duration
        assert server.proc is not None
        pid = server.proc.pid

        async def sample() -> None:
            while time.monotonic() < deadline:
                sample_rss.append(rss_mb(pid)["rss"])
                await asyncio.sleep(1)

        tasks = [search_client(client, n, deadline, search, args.timeout) for n in range(args.search_clients)]
        tasks += [ask_client(client, n, deadline, ask, args.timeout) for n in range(args.ask_clients)]
        await asyncio.gather(sample(), *tasks)
        elapsed = time.monotonic() - t0  # includes in-flight asks finishing after the deadline
    return search, ask, elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--search-clients", type=int, default=50)
    p.add_argument("--ask-clients", type=int, default=10)
    p.add_argument("--generator", choices=["llama_cpp", "fake"], default="llama_cpp")
    p.add_argument("--timeout", type=float, default=300.0, help="a request running longer counts as hung")
    p.add_argument("--rate-per-minute", type=int, default=0, help="the server's per-caller limit (0 = off)")
    p.add_argument("--slots", type=int, default=1, help="concurrent generations")
    p.add_argument("--queue", type=int, default=4, help="questions waiting for a slot before 429")
    p.add_argument("--auth", action="store_true", help="require an API key (checked on every request)")
    p.add_argument(
        "--rounds", type=int, default=2, help="repeat the load on the same server; figures from the last"
    )
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="shiori-load-") as tmp:
        server = Server(args, Path(tmp))
        if args.auth:
            server.create_key()
        print("starting the server…", file=sys.stderr)
        server.start_serving(need_generator=args.ask_clients > 0)
        try:
            chunks = ingest(server)
            assert server.proc is not None
            # Warm up (first-call allocations would otherwise count as growth).
            for q in SEARCH_QUERIES:
                httpx.post(
                    f"{server.url}/api/v1/search", json={"query": q}, headers=server.headers, timeout=60
                )
            before = rss_mb(server.proc.pid)
            samples: list[float] = []
            after_rounds: list[float] = []
            for n in range(1, args.rounds + 1):
                print(f"{chunks} passages indexed; round {n}: load for {args.duration:g} s…", file=sys.stderr)
                search, ask, elapsed = asyncio.run(run_load(server, args, samples))
                time.sleep(2)
                after = rss_mb(server.proc.pid)
                after_rounds.append(after["rss"])
            alive = (
                server.proc.poll() is None
                and httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
            )
        finally:
            server.stop()

    ok_search = search.status.get("200", 0)
    result: dict[str, Any] = {
        "config": {
            "duration_s": args.duration,
            "rounds": args.rounds,
            "search_clients": args.search_clients,
            "ask_clients": args.ask_clients,
            "generator": args.generator,
            "slots": args.slots,
            "queue": args.queue,
            "rate_per_minute": args.rate_per_minute,
            "auth": args.auth,
            "indexed_passages": chunks,
            "cpus": os.cpu_count(),
        },
        "elapsed_s": round(elapsed, 1),
        "search": {
            "ok": ok_search,
            "per_s": round(ok_search / args.duration, 1),
            "latency_ms": summary(search.latencies_ms),
            "status": dict(search.status),
            "errors": dict(search.errors),
            "hung": search.hung,
        },
        "ask": {
            "completed": len(ask.latencies_ms),
            "ttft_s": summary(ask.ttft_s, 2),
            "total_s": summary([v / 1000 for v in ask.latencies_ms], 2),
            "tokens_per_s": summary(ask.tokens_per_s),
            "status": dict(ask.status),
            "error_events": dict(ask.error_events),
            "errors": dict(ask.errors),
            "hung": ask.hung,
        },
        "server_rss_mb": {
            "before": before["rss"],
            "after": after["rss"],
            # The first round pages in the model and grows the allocator's per-thread arenas; memory
            # is flat when the later rounds end where the first did.
            "after_each_round": after_rounds,
            "max_during": max(samples, default=before["rss"]),
            "peak_ever": after["peak"],
        },
        "server_alive_after": alive,
    }
    unexpected: Counter[str] = Counter()
    for part in (search, ask):
        unexpected.update({s: n for s, n in part.status.items() if s not in ("200", "429")})
    result["unexpected_statuses"] = dict(unexpected)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
