"""`shiori eval DATASET`: retrieval (and answer) quality on a QA set, as a Markdown table and JSON.

Kept apart from cli.py, which only registers it. Heavy imports happen inside the command.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.errors import ShioriError
from app.core.settings import Settings

if TYPE_CHECKING:
    from app.services.retrieval import SearchMode

MODES: tuple[SearchMode, ...] = ("dense", "keyword", "hybrid")


def add_eval_parser(sub: Any) -> None:
    s = sub.add_parser(
        "eval",
        help="measure retrieval (and answer) quality on a QA set",
        description="Ingests the set's passages (and --docs) into a throwaway database, searches every "
        "question and reports R@1/5/10, MRR@10 and nDCG@10 per retriever; with --answers also EM, F1, "
        "citation precision and abstention accuracy. Formats: SQuAD JSON (JSQuAD, XQuAD, your own), "
        "LIT-RAGBench JSONL, or JSONL lines {question, answers, gold_documents, context} (see README).",
    )
    s.add_argument("dataset", type=Path)
    s.add_argument("--format", choices=["squad", "litrag", "simple"], help="default: detected")
    s.add_argument("--docs", nargs="+", default=[], help="files or folders your questions are about")
    s.add_argument(
        "-c",
        "--collection",
        help="use this existing collection of your database instead (nothing is ingested; gold "
        "documents are matched by file name)",
    )
    s.add_argument("--mode", choices=[*MODES, "all"], default="all", help="retrievers to score (default all)")
    s.add_argument("--answers", action="store_true", help="also answer every question and score answers")
    s.add_argument("--limit", type=int, default=0, help="a random sample of N questions (seed 0); 0 = all")
    s.add_argument("--json", dest="json_out", help="write the JSON report to this file ('-': stdout)")
    s.add_argument("--markdown", type=Path, help="write the Markdown table to this file too")
    s.add_argument("--keep", type=Path, help="keep the throwaway data folder at this path")
    s.add_argument(
        "--shared-corpus",
        action="store_true",
        help="ask every question over all the set's passages together, even where the set gives each "
        "question its own (LIT-RAGBench, whose unanswerable twins then find the answer too)",
    )
    s.set_defaults(fn=cmd_eval)


def _progress(items: Any, desc: str, total: int) -> Any:
    from tqdm import tqdm

    return tqdm(items, desc=desc, total=total, unit="q", file=sys.stderr)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from app.cli import _expand
    from app.services.answering import make_eval_answer_fn
    from app.services.container import build_container
    from app.services.eval_data import load_dataset
    from app.services.eval_runner import (
        Corpus,
        asks_by_question,
        corpus_of,
        corpus_size,
        evaluate_answers,
        evaluate_retrieval,
        file_docs,
        ingest,
        ingest_by_question,
        throwaway_settings,
    )
    from app.services.evaluation import markdown_report

    dataset = load_dataset(args.dataset, args.format)
    questions = dataset.questions
    if args.limit and args.limit < len(questions):
        questions = random.Random(0).sample(questions, args.limit)
    if args.collection and dataset.passages:
        raise ShioriError(
            "This dataset brings its own passages; evaluate it without --collection.", code="invalid_input"
        )
    files = _expand(args.docs)

    tmp = None
    # LIT-RAGBench gives each question its own passages: each is asked over those alone.
    by_question = not (args.collection or files or args.shared_corpus) and asks_by_question(questions)
    corpus: Corpus | dict[str, Corpus]
    if args.collection:
        container = build_container(settings)
        corpus = Corpus(args.collection, {}, file_docs(container, args.collection))
    else:
        data_dir = args.keep or Path(tmp := tempfile.mkdtemp(prefix="shiori-eval-"))
        container = build_container(throwaway_settings(settings, data_dir))
        drain = lambda n: _drain(container, n)  # noqa: E731
        if by_question:
            corpus = ingest_by_question(container, dataset, questions, drain)
        else:
            corpus = ingest(container, "eval", dataset, files, drain)
    try:
        assert container.registry is not None and container.retriever is not None
        container.registry.sync()
        collections = {c.collection for c in ([corpus] if isinstance(corpus, Corpus) else corpus.values())}
        sizes = [corpus_size(container, c) for c in collections]
        n_docs, n_chunks = sum(d for d, _ in sizes), sum(c for _, c in sizes)
        modes: list[SearchMode] = list(MODES) if args.mode == "all" else [args.mode]
        if not container.registry.has_keyword:
            modes = [m for m in modes if m == "dense"]
        report: dict[str, Any] = {
            "dataset": dataset.name,
            "format": dataset.format,
            "documents": n_docs,
            "chunks": n_chunks,
            "corpus": "each question its own passages" if by_question else "one shared corpus",
            "questions": len(questions),
            "with_gold": sum(1 for q in questions if corpus_of(corpus, q).gold(q)),
            "search": container.settings.search.model_dump(),
            "retrieval": {
                mode: evaluate_retrieval(container.retriever, corpus, questions, mode, progress=_progress)
                for mode in modes
            },
        }
        if args.answers:
            answer_fn = make_eval_answer_fn(container)
            report["answers"] = evaluate_answers(answer_fn, container, corpus, questions, progress=_progress)
    finally:
        container.close()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    table = markdown_report(report)
    sys.stdout.write(table)  # this module is not cli.py, so ruff's T201 (no print) applies here
    if args.markdown:
        args.markdown.write_text(table, encoding="utf-8")
    if args.json_out == "-":
        sys.stdout.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    elif args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


def _drain(container: Any, total: int) -> None:
    """Ingest everything queued, in this process, with a progress bar."""
    from tqdm import tqdm

    from ingestion.worker import Worker

    worker = Worker(container.settings, container.factory, container.embedder)
    with tqdm(total=total, desc="ingesting", unit="doc", file=sys.stderr) as bar:
        while worker.run_once():
            bar.update(1)
