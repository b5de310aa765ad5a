"""Evaluation sets: SQuAD-format JSON (JSQuAD, XQuAD, SQuAD 2.0, your own), LIT-RAGBench-style JSONL and
a simple JSONL for your own questions. All become one shape: passages to ingest, questions with
reference answers and the passages or documents that hold the answer.

Simple JSONL, one question per line (every field but ``question`` optional)::

    {"question": "…", "answers": ["…", "…"], "gold_documents": ["handbook.pdf"], "context": "…"}

``answer`` (one string) may stand for ``answers``; ``gold_document`` for ``gold_documents`` (file
names of documents given with ``--docs`` or already in ``--collection``); ``context``/``contexts``
are passages that are added to the corpus and are the question's gold passages. A question with no
answers, or ``"unanswerable": true``, expects Shiori to abstain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from app.core.errors import InvalidInput

Format = Literal["squad", "litrag", "simple"]


@dataclass(frozen=True)
class EvalPassage:
    key: str  # unique within the dataset; becomes the file name it is ingested as
    text: str
    title: str = ""


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[str, ...]
    gold_passages: frozenset[str] = frozenset()  # EvalPassage keys
    gold_documents: frozenset[str] = frozenset()  # file names
    answerable: bool = True
    kind: tuple[str, ...] = ()  # e.g. LIT-RAGBench's qa_type
    # The passages the set gives this question alone (LIT-RAGBench: its positive and negative chunks).
    # Such a set is meant to be asked question by question over its own context: LIT-RAGBench asks 54
    # of its questions twice, once with the answer's chunk and once without (A_negative_only), so over
    # one shared corpus both copies find the answer. Empty: the whole corpus is the context.
    context: frozenset[str] = frozenset()

    @property
    def has_gold(self) -> bool:
        return bool(self.gold_passages or self.gold_documents)


@dataclass
class EvalDataset:
    name: str
    format: Format
    passages: list[EvalPassage] = field(default_factory=list)
    questions: list[EvalQuestion] = field(default_factory=list)


class _Passages:
    """Passages deduplicated by text (identical contexts are one document, as ingestion would make them)."""

    def __init__(self) -> None:
        self.items: list[EvalPassage] = []
        self._by_text: dict[str, str] = {}

    def add(self, text: str, title: str = "") -> str:
        text = text.strip()
        key = self._by_text.get(text)
        if key is None:
            key = self._by_text[text] = f"p{len(self.items):05d}"
            self.items.append(EvalPassage(key, text, title))
        return key


def detect_format(path: Path) -> Format:
    text = path.read_text(encoding="utf-8-sig")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:  # several JSON values: JSONL
        first = json.loads(text.lstrip().split("\n", 1)[0])
        return "litrag" if isinstance(first, dict) and "positive_chunk_list" in first else "simple"
    if isinstance(doc, dict) and "data" in doc:
        return "squad"
    return "litrag" if isinstance(doc, dict) and "positive_chunk_list" in doc else "simple"


def load_dataset(path: Path, fmt: Format | None = None) -> EvalDataset:
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", code="dataset_not_found")
    try:
        fmt = fmt or detect_format(path)
        if fmt == "squad":
            return load_squad(path)
        rows = [
            json.loads(line) for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()
        ]
        return load_litrag(path.stem, rows) if fmt == "litrag" else load_simple(path.stem, rows)
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"{path}: not a valid {fmt} dataset ({exc})", code="invalid_dataset") from exc


def load_squad(path: Path) -> EvalDataset:
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    passages = _Passages()
    questions: list[EvalQuestion] = []
    for article in data["data"]:
        title = str(article.get("title", ""))
        for para in article["paragraphs"]:
            context = para["context"]
            # JSQuAD prefixes each context with "<title> [SEP] ": metadata, not passage text.
            head, sep, body = context.partition(" [SEP] ")
            if sep and len(head) <= 200:
                title, context = head, body
            key = passages.add(context, title)
            for qa in para["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa.get("answers", [])))
                impossible = bool(qa.get("is_impossible", False)) or not answers
                questions.append(
                    EvalQuestion(
                        id=str(qa.get("id", len(questions))),
                        question=qa["question"],
                        answers=answers,
                        gold_passages=frozenset() if impossible else frozenset({key}),
                        answerable=not impossible,
                    )
                )
    return EvalDataset(path.stem, "squad", passages.items, questions)


def load_litrag(name: str, rows: list[dict[str, Any]]) -> EvalDataset:
    passages = _Passages()
    questions: list[EvalQuestion] = []
    for i, row in enumerate(rows):
        gold, context = set(), set()
        for chunk in row.get("positive_chunk_list", []):
            gold.add(passages.add(*_chunk_text(chunk)))
        for chunk in row.get("negative_chunk_list", []):
            context.add(passages.add(*_chunk_text(chunk)))
        kind = tuple(row.get("qa_type", []))
        # A_negative_only: no passage holds the answer; the right answer is to abstain.
        answerable = "A_negative_only" not in kind
        answer = row.get("answer")
        questions.append(
            EvalQuestion(
                id=str(row.get("id", i)),
                question=row["question"],
                answers=(str(answer),) if answer and answerable else (),
                gold_passages=frozenset(gold) if answerable else frozenset(),
                answerable=answerable,
                kind=kind,
                context=frozenset(gold | context),
            )
        )
    return EvalDataset(name, "litrag", passages.items, questions)


def _chunk_text(chunk: dict[str, Any] | str) -> tuple[str, str]:
    """(passage text, title) of a LIT-RAGBench chunk: `{title, content}` in en.jsonl, a plain string in
    ja.jsonl as published."""
    if isinstance(chunk, str):
        return chunk, ""
    title, content = str(chunk.get("title") or "").strip(), str(chunk["content"])
    return (f"{title}\n{content}" if title else content), title


def load_simple(name: str, rows: list[dict[str, Any]]) -> EvalDataset:
    passages = _Passages()
    questions: list[EvalQuestion] = []
    for i, row in enumerate(rows):
        answers = row.get("answers", row.get("answer", []))
        answers = (answers,) if isinstance(answers, str) else tuple(str(a) for a in answers)
        contexts = row.get("contexts", [row["context"]] if row.get("context") else [])
        docs = row.get("gold_documents", [row["gold_document"]] if row.get("gold_document") else [])
        answerable = bool(answers) and not row.get("unanswerable", False)
        questions.append(
            EvalQuestion(
                id=str(row.get("id", i)),
                question=str(row["question"]),
                answers=answers,
                gold_passages=frozenset(passages.add(c) for c in contexts),
                gold_documents=frozenset(str(d) for d in docs),
                answerable=answerable,
            )
        )
    return EvalDataset(name, "simple", passages.items, questions)
