"""Search latency at 100k chunks (synthetic vectors), warm, including query embedding and hydration.

Fills one collection with N synthetic chunks (random unit vectors, short texts) directly in the
database, lets the service build its index from it, then times Retriever.search with the real
embedding model on real questions. Also times the query embedding alone in the same run. Prints JSON.

    python bench/search_latency.py [--chunks 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import SHARED, build_container, make_settings, percentile, session_scope
from sqlalchemy import insert

from app.db import models as m
from app.services import documents as docs


def fill(container, n_chunks: int, per_doc: int = 100) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    dim = container.embedder.dim
    with session_scope(container.factory, write=True) as s:
        coll = docs.get_or_create_collection(s, "big")
        s.flush()
        coll_id = coll.id
    for start in range(0, n_chunks, 10_000):
        with session_scope(container.factory, write=True) as s:
            n = min(10_000, n_chunks - start)
            doc_rows = []
            for d in range(n // per_doc):
                doc = m.Document(
                    collection_id=coll_id,
                    filename=f"synthetic-{start + d * per_doc}.txt",
                    size_bytes=1,
                    sha256=rng.bytes(32).hex(),
                    storage_path="none",
                    status=m.DocumentStatus.ready,
                    pages=per_doc,
                    chunk_count=per_doc,
                )
                doc_rows.append(doc)
            s.add_all(doc_rows)
            s.flush()
            vecs = rng.standard_normal((n, dim)).astype(np.float32)
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
            rows = []
            for i in range(n):
                doc = doc_rows[i // per_doc]
                rows.append(
                    {
                        "document_id": doc.id,
                        "ordinal": i % per_doc,
                        "page_start": i % per_doc + 1,
                        "page_end": i % per_doc + 1,
                        "char_start": 0,
                        "char_end": 20,
                        "text": f"synthetic passage {start + i}",
                        "token_count": 5,
                        "embedding": vecs[i].astype("<f4").tobytes(),
                    }
                )
            s.execute(insert(m.Chunk), rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()

    container = build_container(make_settings(Path(tempfile.mkdtemp(prefix="shiori-bench-"))))
    t0 = time.perf_counter()
    fill(container, args.chunks)
    fill_s = time.perf_counter() - t0
    assert container.registry is not None and container.retriever is not None
    t0 = time.perf_counter()
    container.registry.sync()
    sync_s = time.perf_counter() - t0

    data = json.loads((SHARED / "eval/jsquad/valid-v1.3.json").read_text(encoding="utf-8"))
    questions = [qa["question"] for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]]
    questions = questions[: args.queries]
    for q in questions[:10]:  # warm up
        container.retriever.search(q, "big", k=10)
    total, embed_only = [], []
    for q in questions:
        t0 = time.perf_counter()
        container.embedder.embed_query(q)
        embed_only.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        container.retriever.search(q, "big", k=10)
        total.append((time.perf_counter() - t0) * 1000)
    print(
        json.dumps(
            {
                "chunks": container.registry.total_chunks(),
                "queries": len(questions),
                "search_ms": {"p50": round(percentile(total, 50), 2), "p95": round(percentile(total, 95), 2)},
                "query_embedding_ms": {
                    "p50": round(percentile(embed_only, 50), 2),
                    "p95": round(percentile(embed_only, 95), 2),
                },
                "ratio_search_vs_embedding_p50": round(percentile(total, 50) / percentile(embed_only, 50), 2),
                "target_p50_ms": 100,
                "index_build_from_db_s": round(sync_s, 2),
                "db_fill_s": round(fill_s, 2),
            },
            indent=2,
        )
    )
    container.close()


if __name__ == "__main__":
    main()
