"""Search latency at 100k chunks, warm, per mode (dense, keyword, hybrid) in the same run.

Fills one collection with N synthetic chunks directly in the database: random unit vectors (dense cost
doesn't depend on what they encode) and texts stitched from random JSQuAD sentences (so BM25 sees a
real Japanese vocabulary and real posting-list lengths). The service then builds its indexes from the
database (vectors read, every text tokenised) and each real JSQuAD question is searched in each mode,
modes interleaved so they share conditions. Also times the query embedding alone, the keyword
snapshot round trip and a restart from snapshots. Prints JSON.

    python bench/search_latency.py [--chunks 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import SHARED, build_container, make_settings, percentile, session_scope
from sqlalchemy import insert

from app.db import models as m
from app.services import documents as docs
from app.services.indexing import create_registry

MODES = ("dense", "keyword", "hybrid")


def jsquad() -> tuple[list[str], list[str]]:
    data = json.loads((SHARED / "eval/jsquad/valid-v1.3.json").read_text(encoding="utf-8"))
    sentences, questions = [], []
    for a in data["data"]:
        for p in a["paragraphs"]:
            body = p["context"].partition(" [SEP] ")[2] or p["context"]
            sentences.extend(s for s in re.split(r"(?<=。)", body) if len(s) > 5)
            questions.extend(qa["question"] for qa in p["qas"])
    return sentences, questions


def fill(container, n_chunks: int, sentences: list[str], per_doc: int = 100) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    pick = random.Random(0)
    dim = container.embedder.dim
    with session_scope(container.factory, write=True) as s:
        coll = docs.get_or_create_collection(s, "big")
        s.flush()
        coll_id = coll.id
    for start in range(0, n_chunks, 10_000):
        with session_scope(container.factory, write=True) as s:
            n = min(10_000, n_chunks - start)
            doc_rows = [
                m.Document(
                    collection_id=coll_id,
                    filename=f"synthetic-{start + d * per_doc}.txt",
                    size_bytes=1,
                    sha256=rng.bytes(32).hex(),
                    storage_path="none",
                    status=m.DocumentStatus.ready,
                    pages=per_doc,
                    chunk_count=per_doc,
                )
                for d in range(n // per_doc)
            ]
            s.add_all(doc_rows)
            s.flush()
            vecs = rng.standard_normal((n, dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            rows = []
            for i in range(n):
                # ~3-4 sentences, about the size of a real 256-token chunk
                text = "".join(pick.choices(sentences, k=pick.randint(2, 5)))
                rows.append(
                    {
                        "document_id": doc_rows[i // per_doc].id,
                        "ordinal": i % per_doc,
                        "page_start": i % per_doc + 1,
                        "page_end": i % per_doc + 1,
                        "char_start": 0,
                        "char_end": len(text),
                        "text": text,
                        "token_count": len(text) // 2,
                        "embedding": vecs[i].astype("<f4").tobytes(),
                    }
                )
            s.execute(insert(m.Chunk), rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()

    sentences, questions = jsquad()
    container = build_container(make_settings(Path(tempfile.mkdtemp(prefix="shiori-bench-"))))
    t0 = time.perf_counter()
    fill(container, args.chunks, sentences)
    fill_s = time.perf_counter() - t0
    assert container.registry is not None and container.retriever is not None
    t0 = time.perf_counter()
    container.registry.sync()  # reads every vector and tokenises every text
    sync_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    container.registry.save_snapshots(force=True)
    save_s = time.perf_counter() - t0
    # A restart: a fresh registry loads the snapshot, then syncs (nothing to re-tokenise).
    t0 = time.perf_counter()
    fresh = create_registry(container.settings, container.factory, container.embedder)
    fresh.load_snapshots()
    fresh.sync()
    restart_s = time.perf_counter() - t0
    snapshot_mb = sum(p.stat().st_size for p in container.settings.paths.index_dir.glob("*.npz")) / 2**20
    del fresh

    questions = random.Random(1).sample(questions, args.queries)
    retriever = container.retriever
    for q in questions[:10]:  # warm up
        for mode in MODES:
            retriever.search(q, "big", k=10, mode=mode)
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    embed_only: list[float] = []
    for q in questions:
        t0 = time.perf_counter()
        container.embedder.embed_query(q)
        embed_only.append((time.perf_counter() - t0) * 1000)
        for mode in MODES:
            t0 = time.perf_counter()
            retriever.search(q, "big", k=10, mode=mode)
            times[mode].append((time.perf_counter() - t0) * 1000)

    def summary(values: list[float]) -> dict[str, float]:
        return {"p50": round(percentile(values, 50), 2), "p95": round(percentile(values, 95), 2)}

    print(
        json.dumps(
            {
                "chunks": container.registry.total_chunks(),
                "queries": len(questions),
                "search_ms": {mode: summary(v) for mode, v in times.items()},
                "query_embedding_ms": summary(embed_only),
                "ratio_p50_hybrid_vs_dense": round(
                    percentile(times["hybrid"], 50) / percentile(times["dense"], 50), 3
                ),
                "target_ratio_max": 1.5,
                "index_build_from_db_s": round(sync_s, 2),
                "snapshot_save_s": round(save_s, 2),
                "snapshot_mb": round(snapshot_mb, 1),
                "restart_from_snapshot_s": round(restart_s, 2),
                "db_fill_s": round(fill_s, 2),
            },
            indent=2,
        )
    )
    container.close()


if __name__ == "__main__":
    main()
