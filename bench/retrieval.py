"""Dense retrieval quality and search latency on JSQuAD-valid, through Shiori's own code path.

Every context (title stripped) is ingested as its own document by the real worker (normalise, chunk,
embed), then every question is searched with the service's Retriever. Ranks are by document (a context
split into several chunks counts once, at its best chunk). Prints JSON.

    python bench/retrieval.py [--questions N] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from _common import SHARED, add_texts, build_container, drain, make_settings, percentile


def load_jsquad(path: Path) -> tuple[list[tuple[str, str]], list[tuple[str, int]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    contexts: list[tuple[str, str]] = []
    questions: list[tuple[str, int]] = []
    for article in data["data"]:
        for para in article["paragraphs"]:
            ctx = para["context"]
            title, _, body = ctx.partition(" [SEP] ")
            idx = len(contexts)
            contexts.append((title, body if body else ctx))
            questions.extend((qa["question"], idx) for qa in para["qas"])
    return contexts, questions


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, default=SHARED / "eval/jsquad/valid-v1.3.json")
    ap.add_argument("--questions", type=int, default=0, help="sample this many questions (0 = all)")
    ap.add_argument("--data-dir", type=Path, default=None)
    args = ap.parse_args()

    contexts, questions = load_jsquad(args.dataset)
    if args.questions:
        questions = random.Random(0).sample(questions, args.questions)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="shiori-bench-"))
    container = build_container(make_settings(data_dir))
    items = [(f"ctx-{i:05d}.txt", body.encode()) for i, (_, body) in enumerate(contexts)]
    doc_ids = add_texts(container, "jsquad", items)
    # Identical contexts are one document (dedup by sha256): rank by the document's first context.
    first_ctx: dict[int, int] = {}
    for i, doc_id in enumerate(doc_ids):
        first_ctx.setdefault(doc_id, i)
    canonical = [first_ctx[doc_id] for doc_id in doc_ids]
    ingest_s = drain(container)
    assert container.registry is not None and container.retriever is not None
    container.registry.sync()

    ranks: list[int | None] = []
    latencies: list[float] = []
    for q, gold_ctx in questions:
        gold = canonical[gold_ctx]
        t0 = time.perf_counter()
        result = container.retriever.search(q, "jsquad", k=30)
        latencies.append((time.perf_counter() - t0) * 1000)
        seen: list[int] = []
        for p in result.passages:
            ctx = first_ctx[p.document_id]
            if ctx not in seen:
                seen.append(ctx)
        ranks.append(seen.index(gold) + 1 if gold in seen else None)

    n = len(ranks)

    def recall(k: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= k) / n

    mrr10 = sum(1 / r for r in ranks if r is not None and r <= 10) / n
    print(
        json.dumps(
            {
                "dataset": str(args.dataset.name),
                "documents": len(contexts),
                "chunks": container.registry.total_chunks(),
                "questions": n,
                "retriever": "dense",
                "embedding_model": container.embedder.model_id,
                "R@1": round(recall(1), 4),
                "R@5": round(recall(5), 4),
                "R@10": round(recall(10), 4),
                "MRR@10": round(mrr10, 4),
                "search_latency_ms": {
                    "p50": round(percentile(latencies, 50), 2),
                    "p95": round(percentile(latencies, 95), 2),
                },
                "ingest_seconds": round(ingest_s, 1),
                "reference_plain_faiss": {"R@1": 0.808, "R@5": 0.936, "MRR@10": 0.863},
            },
            indent=2,
        )
    )
    container.close()


if __name__ == "__main__":
    main()
