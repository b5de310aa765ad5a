"""Retrieval quality through Shiori's own code path: dense, keyword (BM25), hybrid and fusion variants,
all in one run over one ingested corpus. Prints JSON.

Every passage (JSQuAD: title stripped) is ingested as its own document by the real worker (normalise,
chunk, embed), the service's indexes are built from the database, then every question is searched
with the service's Retriever. Ranks are by document (a passage split into chunks counts once, at its
best chunk), as `shiori eval` scores them.

    python bench/retrieval.py [--dataset jsquad|xquad|lit|PATH] [--questions N] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import SHARED, build_container, drain, make_settings

from app.core.settings import SearchSettings
from app.services.eval_data import load_dataset
from app.services.eval_runner import corpus_size, evaluate_retrieval, ingest
from app.services.retrieval import Retriever

DATASETS = {
    "jsquad": SHARED / "eval/jsquad/valid-v1.3.json",
    "xquad": SHARED / "eval/xquad-en/xquad.en.json",
    "lit": SHARED / "eval/lit-ragbench/en.jsonl",
}
# The reference figures (JSQuAD-valid, measured outside the service).
REFERENCE_JSQUAD = {
    "bm25_unidic_lemmas": {"R@1": 0.874, "R@5": 0.962, "MRR@10": 0.912},
    "bm25_char_bigrams": {"R@1": 0.885, "R@5": 0.953, "MRR@10": 0.915},
    "dense_e5_small": {"R@1": 0.808, "R@5": 0.936, "MRR@10": 0.863},
    "rrf_equal": {"R@1": 0.863, "R@5": 0.960, "MRR@10": 0.908},
}


class RecordingEmbedder:
    """Embeds queries for real (timed runs) and keeps the vectors, so fusion variants can replay them."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cache: dict[str, Any] = {}
        self.replay = _Replay(self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed_query(self, text: str) -> Any:
        vec = self.cache[text] = self.inner.embed_query(text)
        return vec


class _Replay:
    def __init__(self, recorder: RecordingEmbedder) -> None:
        self.recorder = recorder

    def __getattr__(self, name: str) -> Any:
        return getattr(self.recorder.inner, name)

    def embed_query(self, text: str) -> Any:
        cached = self.recorder.cache.get(text)
        return cached if cached is not None else self.recorder.embed_query(text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="jsquad", help="jsquad, xquad, lit or a path")
    ap.add_argument("--questions", type=int, default=0, help="sample this many questions (0 = all)")
    ap.add_argument("--data-dir", type=Path, default=None, help="reuse an ingested data folder")
    args = ap.parse_args()

    path = DATASETS.get(args.dataset, Path(args.dataset))
    dataset = load_dataset(path)
    questions = dataset.questions
    if args.questions:
        questions = random.Random(0).sample(questions, args.questions)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="shiori-bench-"))
    container = build_container(make_settings(data_dir))
    t0 = time.perf_counter()
    corpus = ingest(container, "bench", dataset, [], lambda _n: drain(container))
    ingest_s = time.perf_counter() - t0
    assert container.registry is not None and container.retriever is not None
    container.registry.sync()
    n_docs, n_chunks = corpus_size(container, "bench")

    default = container.settings.search
    recorder = RecordingEmbedder(container.embedder)
    main_retriever = Retriever(container.factory, recorder, container.registry, settings=default)  # type: ignore[arg-type]

    def variant(**changes: Any) -> Retriever:
        # Variants reuse the query vectors the main runs computed (their latency is not reported).
        cfg = SearchSettings(**{**default.model_dump(), **changes})
        return Retriever(container.factory, recorder.replay, container.registry, settings=cfg)  # type: ignore[arg-type]

    runs: dict[str, tuple[Retriever, str]] = {
        "dense": (main_retriever, "dense"),
        "keyword": (main_retriever, "keyword"),
        "hybrid": (main_retriever, "hybrid"),
        "hybrid_rrf_equal": (variant(fusion="rrf", keyword_weight=0.5), "hybrid"),
        "hybrid_minmax": (variant(fusion="minmax"), "hybrid"),
        "hybrid_zscore_equal": (variant(fusion="zscore", keyword_weight=0.5), "hybrid"),
    }
    results = {
        name: evaluate_retrieval(retriever, corpus, questions, mode, label=name)  # type: ignore[arg-type]
        for name, (retriever, mode) in runs.items()
    }
    for name in runs:
        if name not in ("dense", "keyword", "hybrid"):
            del results[name]["latency_ms"]
    out: dict[str, Any] = {
        "dataset": path.name,
        "documents": n_docs,
        "chunks": n_chunks,
        "questions": results["dense"]["questions"],
        "embedding_model": container.embedder.model_id,
        "analyzer": container.registry.analyzer.analyzer_id if container.registry.analyzer else None,
        "default_search": default.model_dump(),
        "retrievers": results,
        "ingest_seconds": round(ingest_s, 1),
    }
    if args.dataset == "jsquad":
        out["reference_outside_service"] = REFERENCE_JSQUAD
    print(json.dumps(out, indent=2, ensure_ascii=False))
    container.close()


if __name__ == "__main__":
    main()
