"""End-to-end ingestion throughput against a raw SentenceTransformer.encode of the same chunks.

Runs the real worker on the seed corpus (extract, check, normalise, chunk, embed, write in one
transaction), then encodes exactly the chunk texts it stored with the bare model, in the same run and
process, and reports the ratio (target ≥ 0.8). Prints JSON.

    python bench/ingest.py [--repeat N] [--files PATH ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from _common import SHARED, add_texts, build_container, drain, make_settings, session_scope
from sqlalchemy import func, select

from app.db import models as m


def main() -> None:
    ap = argparse.ArgumentParser()
    default_files = [
        *sorted((SHARED / "corpus/seeds").glob("*.txt")),
        SHARED / "corpus/pdf/good/en_gov_report_dmca-summary_18p.pdf",
        SHARED / "corpus/pdf/good/ja_gov_notice_mhlw-tsuchi.pdf",
    ]
    ap.add_argument("--files", nargs="*", type=Path, default=default_files)
    ap.add_argument("--repeat", type=int, default=2, help="alternate e2e and raw runs this many times")
    args = ap.parse_args()

    results = []
    for _ in range(args.repeat):
        container = build_container(make_settings(Path(tempfile.mkdtemp(prefix="shiori-bench-"))))
        add_texts(container, "bench", [(f.name, f.read_bytes()) for f in args.files])
        e2e_s = drain(container)
        with session_scope(container.factory) as s:
            texts = list(s.scalars(select(m.Chunk.text).order_by(m.Chunk.id)))
            pages = int(s.scalar(select(func.coalesce(func.sum(m.Document.pages), 0))) or 0)
            failed = s.scalar(select(func.count()).where(m.Document.status != m.DocumentStatus.ready))
        model = container.embedder.model  # type: ignore[attr-defined]
        prefix = container.settings.embedding.passage_prefix
        t0 = time.perf_counter()
        model.encode(
            [prefix + t for t in texts],
            batch_size=container.settings.embedding.batch_size,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        raw_s = time.perf_counter() - t0
        results.append(
            {"e2e_s": e2e_s, "raw_encode_s": raw_s, "chunks": len(texts), "pages": pages, "not_ready": failed}
        )
        container.close()

    best_e2e = min(r["e2e_s"] for r in results)
    best_raw = min(r["raw_encode_s"] for r in results)
    chunks = results[0]["chunks"]
    print(
        json.dumps(
            {
                "files": [f.name for f in args.files],
                "chunks": chunks,
                "pages": results[0]["pages"],
                "e2e_chunks_per_s": round(chunks / best_e2e, 2),
                "e2e_pages_per_s": round(results[0]["pages"] / best_e2e, 2),
                "raw_encode_chunks_per_s": round(chunks / best_raw, 2),
                "ratio_e2e_vs_raw": round(best_raw / best_e2e, 3),
                "target_ratio": 0.8,
                "runs": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
