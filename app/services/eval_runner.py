"""`shiori eval`: ingest an evaluation set into a throwaway collection, run retrieval (and answering),
score it. The caller supplies the container, how to drain the ingestion queue and progress bars, so
this module stays free of the worker and of the terminal.
"""

from __future__ import annotations

import io
import logging
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from sqlalchemy import func, select

from app.core.settings import Settings
from app.db import models as m
from app.db.session import session_scope
from app.services import documents as docs
from app.services.eval_data import EvalDataset, EvalQuestion
from app.services.evaluation import (
    AnswerFn,
    AnswerOutcome,
    AnswerRecord,
    answer_metrics,
    dedupe,
    retrieval_metrics,
)
from app.services.library import Library
from app.services.retrieval import Retriever, SearchMode

logger = logging.getLogger(__name__)

T = TypeVar("T")
Progress = Callable[[Iterable[T], str, int], Iterable[T]]
PASSAGES_PER_QUESTION = 30  # passages fetched per question, so ten distinct documents can be ranked


def no_progress(items: Iterable[T], _desc: str, _total: int) -> Iterable[T]:
    return items


def throwaway_settings(settings: Settings, data_dir: Path) -> Settings:
    """The user's settings (models, search, answering) over a fresh data folder and SQLite database,
    so an evaluation never touches the real database, nor competes with a running server."""
    return settings.model_copy(
        update={
            "paths": settings.paths.model_copy(update={"data_dir": data_dir}),
            "db": settings.db.model_copy(update={"url": None}),
            "embedding": settings.embedding.model_copy(
                update={"model_path": settings.embedding_model_path.resolve()}
            ),
            "generator": settings.generator.model_copy(
                update={"gguf_path": settings.generator_gguf_path.resolve()}
            ),
            "worker": settings.worker.model_copy(update={"embedded": False}),
        }
    )


@dataclass
class Corpus:
    collection: str
    passage_docs: dict[str, int]  # EvalPassage key -> document id
    file_docs: dict[str, set[int]]  # file name -> document ids

    def gold(self, q: EvalQuestion) -> set[int]:
        out = {self.passage_docs[k] for k in q.gold_passages if k in self.passage_docs}
        for name in q.gold_documents:
            out |= self.file_docs.get(name, set())
        return out


def ingest(
    container: Any,
    collection: str,
    dataset: EvalDataset,
    files: Sequence[Path],
    drain: Callable[[int], None],
) -> Corpus:
    """Queue the dataset's passages (each one a text document) and ``files``, then ``drain(queued)``
    the queue. ``files`` and a pre-existing collection are how a user's own documents come in."""
    library: Library = container.library
    library.ensure_collection(collection)
    queued = 0

    def register(name: str, source: Path | BinaryIO) -> int:
        nonlocal queued
        added = library.add_file(collection, source, name)
        queued += not added.duplicate
        return added.document_id

    passage_docs = {
        p.key: register(f"{p.key}.txt", io.BytesIO(p.text.encode("utf-8"))) for p in dataset.passages
    }
    for f in files:
        register(f.name, f)
    if queued:
        drain(queued)
    return Corpus(collection, passage_docs, file_docs(container, collection))


def ingest_by_question(
    container: Any,
    dataset: EvalDataset,
    questions: Sequence[EvalQuestion],
    drain: Callable[[int], None],
    prefix: str = "q",
) -> dict[str, Corpus]:
    """Each question over a collection (``{prefix}{i}``) of just the passages of its ``context``: the
    way LIT-RAGBench is meant to be asked. Over one shared corpus its unanswerable twins (the same
    question without the answer's chunk) find the answer all the same. Use it when every question
    carries a context (``asks_by_question``)."""
    out: dict[str, Corpus] = {}
    queued = 0

    def count(n: int) -> None:  # queue every question's passages, then ingest them in one go
        nonlocal queued
        queued += n

    for i, q in enumerate(questions):
        own = EvalDataset(dataset.name, dataset.format, [p for p in dataset.passages if p.key in q.context])
        out[q.id] = ingest(container, f"{prefix}{i}", own, [], count)
    if queued:
        drain(queued)
    return out


def asks_by_question(questions: Sequence[EvalQuestion]) -> bool:
    """The set gives every question its own passages (LIT-RAGBench), so each is asked over those."""
    return bool(questions) and all(q.context for q in questions)


def corpus_of(corpus: Corpus | Mapping[str, Corpus], q: EvalQuestion) -> Corpus:
    """The corpus ``q`` is asked over: its own (``ingest_by_question``) or the one shared corpus."""
    return corpus if isinstance(corpus, Corpus) else corpus[q.id]


def file_docs(container: Any, collection: str) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    with session_scope(container.factory) as s:
        coll = docs.get_collection(s, collection)
        for doc_id, filename in s.execute(
            select(m.Document.id, m.Document.filename).where(m.Document.collection_id == coll.id)
        ):
            out.setdefault(filename, set()).add(doc_id)
    return out


def corpus_size(container: Any, collection: str) -> tuple[int, int]:
    """(ready documents, chunks) of the collection."""
    with session_scope(container.factory) as s:
        coll = docs.get_collection(s, collection)
        n_docs, n_chunks = s.execute(
            select(func.count(func.distinct(m.Document.id)), func.count(m.Chunk.id))
            .select_from(m.Document)
            .outerjoin(m.Chunk, m.Chunk.document_id == m.Document.id)
            .where(m.Document.collection_id == coll.id, m.Document.status == m.DocumentStatus.ready)
        ).one()
    return int(n_docs), int(n_chunks)


def evaluate_retrieval(
    retriever: Retriever,
    corpus: Corpus | Mapping[str, Corpus],
    questions: Sequence[EvalQuestion],
    mode: SearchMode,
    *,
    progress: Progress[EvalQuestion] = no_progress,
    label: str | None = None,
) -> dict[str, Any]:
    runs: list[tuple[Sequence[int], set[int]]] = []
    latencies: list[float] = []
    scored = [q for q in questions if corpus_of(corpus, q).gold(q)]
    warm: set[str] = set()
    for q in progress(scored, f"retrieval ({label or mode})", len(scored)):
        own = corpus_of(corpus, q)
        if own.collection not in warm:  # a collection's first search loads its index: not timed
            retriever.search(q.question, own.collection, 1, mode=mode)
            warm.add(own.collection)
        t0 = time.perf_counter()
        result = retriever.search(q.question, own.collection, PASSAGES_PER_QUESTION, mode=mode)
        latencies.append((time.perf_counter() - t0) * 1000)
        runs.append((dedupe(p.document_id for p in result.passages)[:10], own.gold(q)))
    out: dict[str, Any] = {"questions": len(runs), **retrieval_metrics(runs)}
    out["latency_ms"] = _latency(latencies)
    return out


def evaluate_answers(
    answer_fn: AnswerFn,
    container: Any,
    corpus: Corpus | Mapping[str, Corpus],
    questions: Sequence[EvalQuestion],
    *,
    progress: Progress[EvalQuestion] = no_progress,
) -> dict[str, Any]:
    records: list[AnswerRecord] = []
    latencies: list[float] = []
    for q in progress(questions, "answering", len(questions)):
        own = corpus_of(corpus, q)
        t0 = time.perf_counter()
        outcome = AnswerOutcome(*answer_fn(q.question, own.collection))
        latencies.append((time.perf_counter() - t0) * 1000)
        cited = _documents_of(container, list(outcome.cited_chunk_ids))
        records.append(
            AnswerRecord(
                outcome.answer,
                outcome.abstained,
                q.answers,
                q.answerable,
                tuple(cited),
                frozenset(own.gold(q)),
            )
        )
    return {**answer_metrics(records), "latency_ms": _latency(latencies)}


def _documents_of(container: Any, chunk_ids: list[int]) -> list[int]:
    if not chunk_ids:
        return []
    with session_scope(container.factory) as s:
        rows = s.execute(select(m.Chunk.id, m.Chunk.document_id).where(m.Chunk.id.in_(chunk_ids))).all()
    by_chunk = {int(chunk_id): int(doc_id) for chunk_id, doc_id in rows}
    return [by_chunk[c] for c in chunk_ids if c in by_chunk]


def _latency(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0}
    if len(values) == 1:
        return {"p50": round(values[0], 2), "p95": round(values[0], 2)}
    q = statistics.quantiles(values, n=20, method="inclusive")
    return {"p50": round(statistics.median(values), 2), "p95": round(q[18], 2)}
