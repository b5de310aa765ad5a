"""Retrieval over OCR'd text against the same passages ingested as text, in one run. Prints JSON.

N JSQuAD-valid contexts (sampled with a fixed seed) go in twice: as text documents, and typeset on A4
pages at the OCR resolution (IPA Gothic, horizontal; optionally speckled and skewed like a scan), one
single-page PDF each, read by the worker's OCR. Every question about a sampled context is then searched
in both collections with the service's Retriever; R@1/R@5/MRR@10 are by document, as `shiori eval`
scores them. Also reports the CER of the OCR'd pages (as indexed) and OCR pages per minute.

    python bench/ocr_retrieval.py [--passages 300] [--noise 0.01 --skew 1.0]

Target (issue 12): hybrid R@1 on OCR'd text within 0.03 of the text ingest.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import SHARED, build_container, drain, make_settings, session_scope
from sqlalchemy import select

from app.db import models as m
from app.services.eval_data import EvalDataset, load_dataset
from app.services.eval_runner import Corpus, corpus_size, evaluate_retrieval, file_docs, ingest
from tests.support.page_images import cer, typeset
from tests.support.pdf_files import write_pdf


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passages", type=int, default=300)
    ap.add_argument(
        "--noise", type=float, default=0.0, help="speckle share of pixels (0.01: a 2000s scanner)"
    )
    ap.add_argument("--skew", type=float, default=0.0, help="degrees")
    args = ap.parse_args()

    full = load_dataset(SHARED / "eval/jsquad/valid-v1.3.json")
    passages = random.Random(0).sample(full.passages, args.passages)
    keys = {p.key for p in passages}
    questions = [q for q in full.questions if q.answerable and q.gold_passages <= keys and q.gold_passages]
    dataset = EvalDataset(full.name, full.format, passages, questions)

    data_dir = Path(tempfile.mkdtemp(prefix="shiori-bench-ocr-"))
    container = build_container(make_settings(data_dir))
    dpi = container.settings.ocr.dpi

    t0 = time.perf_counter()
    text_corpus = ingest(container, "text", dataset, [], lambda _n: drain(container))
    text_s = time.perf_counter() - t0

    pdf_dir = data_dir / "scans"
    pdf_dir.mkdir()
    typeset_texts: dict[str, str] = {}
    library = container.library
    library.ensure_collection("ocr")
    ocr_docs: dict[str, int] = {}
    for p in passages:
        image, fitted = typeset(p.text, dpi=dpi, noise=args.noise, skew_deg=args.skew, seed=int(p.key[1:]))
        typeset_texts[p.key] = fitted
        path = write_pdf(pdf_dir / f"{p.key}.pdf", [image])
        ocr_docs[p.key] = library.add_file("ocr", io.BytesIO(path.read_bytes()), path.name).document_id
    t0 = time.perf_counter()
    drain(container)
    ocr_s = time.perf_counter() - t0
    ocr_corpus = Corpus("ocr", ocr_docs, file_docs(container, "ocr"))

    assert container.registry is not None and container.retriever is not None
    container.registry.sync()
    retrieval: dict[str, Any] = {}
    for mode in ("hybrid", "dense", "keyword"):
        text_r = evaluate_retrieval(container.retriever, text_corpus, questions, mode)  # type: ignore[arg-type]
        ocr_r = evaluate_retrieval(container.retriever, ocr_corpus, questions, mode)  # type: ignore[arg-type]
        for r in (text_r, ocr_r):
            r.pop("latency_ms", None)
        retrieval[mode] = {
            "text": text_r,
            "ocr": ocr_r,
            "R@1_gap": round(text_r["R@1"] - ocr_r["R@1"], 3),
        }

    with session_scope(container.factory) as s:
        rows = s.execute(
            select(m.Document.id, m.Document.status, m.Page.text, m.Page.ocr)
            .outerjoin(m.Page, m.Page.document_id == m.Document.id)
            .where(m.Document.id.in_(list(ocr_docs.values())))
        ).all()
    by_doc = {doc_id: (status, text, ocr) for doc_id, status, text, ocr in rows}
    cers = [
        cer(typeset_texts[key], by_doc[doc_id][1] or "")
        for key, doc_id in ocr_docs.items()
        if by_doc[doc_id][0] == m.DocumentStatus.ready
    ]
    truncated = sum(typeset_texts[p.key].replace("\n", "") != p.text.replace("\n", "") for p in passages)
    n_docs, n_chunks = corpus_size(container, "ocr")
    print(
        json.dumps(
            {
                "dataset": full.name,
                "passages": len(passages),
                "questions": len(questions),
                "dpi": dpi,
                "noise": args.noise,
                "skew_deg": args.skew,
                "ocr_documents_ready": n_docs,
                "ocr_chunks": n_chunks,
                "text_chunks": corpus_size(container, "text")[1],
                "passages_cut_to_fit_a_page": truncated,
                "ocr_cer": {
                    "mean": round(statistics.mean(cers), 4) if cers else None,
                    "median": round(statistics.median(cers), 4) if cers else None,
                    "max": round(max(cers), 4) if cers else None,
                },
                "retrieval": retrieval,
                "ingest_seconds": {"text": round(text_s, 1), "ocr": round(ocr_s, 1)},
                "ocr_pages_per_min": round(len(passages) / ocr_s * 60, 1),
                "target": "hybrid R@1 gap <= 0.03",
            },
            indent=2,
            ensure_ascii=False,
        )
    )
    container.close()


if __name__ == "__main__":
    main()
