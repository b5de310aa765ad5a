"""Evaluation metrics: retrieval (R@k, MRR@10, nDCG@10) and answers (EM, F1, containment, citation
precision, abstention accuracy). Pure functions; `eval_runner` feeds them.

Retrieval is scored by document: a passage ingested as one document but chunked in two counts once,
at its best chunk. R@k is the share of a question's gold documents found in the top k (for one gold
document: hit or miss). Answer F1 follows each language's convention: SQuAD's token F1 (lower-cased,
punctuation and articles dropped) for English, and character F1 (JSQuAD's, since Japanese has no
spaces) when the reference holds Japanese.
"""

from __future__ import annotations

import logging
import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from app.core.text import is_japanese, nfkc_lower

logger = logging.getLogger(__name__)

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


class AnswerOutcome(NamedTuple):
    answer: str
    abstained: bool
    cited_chunk_ids: Sequence[int]


# The hook `shiori eval --answers` calls for each question: (question, collection) -> outcome.
AnswerFn = Callable[[str, str], AnswerOutcome | tuple[str, bool, Sequence[int]]]


# ---- retrieval -----------------------------------------------------------------------------------
def dedupe(doc_ids: Iterable[int]) -> list[int]:
    """Documents in the order of their best passage."""
    return list(dict.fromkeys(doc_ids))


def recall_at(ranked: Sequence[int], gold: set[int], k: int) -> float:
    return len(gold.intersection(ranked[:k])) / len(gold) if gold else 0.0


def mrr_at(ranked: Sequence[int], gold: set[int], k: int = 10) -> float:
    for i, doc in enumerate(ranked[:k]):
        if doc in gold:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at(ranked: Sequence[int], gold: set[int], k: int = 10) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal if ideal else 0.0


def retrieval_metrics(runs: Sequence[tuple[Sequence[int], set[int]]]) -> dict[str, float]:
    """Mean R@1/5/10, MRR@10 and nDCG@10 over (ranked documents, gold documents) pairs."""
    n = len(runs)
    if not n:
        return {}
    out = {f"R@{k}": sum(recall_at(r, g, k) for r, g in runs) / n for k in (1, 5, 10)}
    out["MRR@10"] = sum(mrr_at(r, g) for r, g in runs) / n
    out["nDCG@10"] = sum(ndcg_at(r, g) for r, g in runs) / n
    return {k: round(v, 4) for k, v in out.items()}


# ---- answers -------------------------------------------------------------------------------------
def normalize_answer(text: str) -> str:
    """SQuAD's normalisation (lower case, no punctuation or articles, single spaces); for Japanese
    also NFKC and no spaces or punctuation, as JSQuAD's scorer does."""
    text = nfkc_lower(text)
    if is_japanese(text):
        return "".join(c for c in text if not c.isspace() and not unicodedata.category(c).startswith("P"))
    text = "".join(c for c in text if c not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _units(text: str) -> list[str]:
    norm = normalize_answer(text)
    return list(norm) if is_japanese(text) else norm.split()


def exact_match(prediction: str, references: Sequence[str]) -> float:
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(r) for r in references))


def f1_score(prediction: str, references: Sequence[str]) -> float:
    """Best F1 over the references: characters when the reference is Japanese, else words."""
    best = 0.0
    for ref in references:
        gold_units = _units(ref)
        pred_units = list(normalize_answer(prediction)) if is_japanese(ref) else _units(prediction)
        common = sum((Counter(gold_units) & Counter(pred_units)).values())
        if not gold_units or not pred_units or not common:
            continue
        precision, recall = common / len(pred_units), common / len(gold_units)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(prediction: str, references: Sequence[str]) -> float:
    """Whether a reference appears in the answer: fairer than EM to a model that answers in a sentence."""
    pred = normalize_answer(prediction)
    return float(any(normalize_answer(r) and normalize_answer(r) in pred for r in references))


def citation_precision(cited_docs: Sequence[int], gold: set[int]) -> float | None:
    """Share of cited passages that come from a gold document (None when nothing was cited)."""
    return sum(d in gold for d in cited_docs) / len(cited_docs) if cited_docs else None


class AnswerRecord(NamedTuple):
    answer: str
    abstained: bool
    references: tuple[str, ...]
    answerable: bool
    cited_docs: tuple[int, ...]
    gold_docs: frozenset[int]


def answer_metrics(records: Sequence[AnswerRecord]) -> dict[str, float | int | None]:
    """EM/F1/containment over answerable questions (an abstention scores 0), citation precision
    (micro-averaged over answered questions with gold documents), abstention accuracy over all."""
    answerable = [r for r in records if r.answerable and r.references]
    unanswerable = [r for r in records if not r.answerable]
    cited = [d in r.gold_docs for r in records if r.gold_docs and not r.abstained for d in r.cited_docs]

    def mean(values: Sequence[float]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    def score(fn: Callable[[str, Sequence[str]], float], r: AnswerRecord) -> float:
        return 0.0 if r.abstained else fn(r.answer, r.references)

    return {
        "questions": len(records),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "EM": mean([score(exact_match, r) for r in answerable]),
        "F1": mean([score(f1_score, r) for r in answerable]),
        "contains_answer": mean([score(contains_answer, r) for r in answerable]),
        "citation_precision": mean([float(c) for c in cited]),
        "abstention_accuracy": mean([float(r.abstained != r.answerable) for r in records]),
        "abstained_when_unanswerable": mean([float(r.abstained) for r in unanswerable]),
        "answered_when_answerable": mean([float(not r.abstained) for r in answerable]),
    }


# ---- report --------------------------------------------------------------------------------------
def markdown_report(report: dict[str, Any]) -> str:
    lines = [
        f"### {report['dataset']} — {report['questions']} questions, {report['documents']} documents",
        "",
    ]
    retrieval: dict[str, dict[str, Any]] = report.get("retrieval", {})
    if retrieval:
        cols = ["R@1", "R@5", "R@10", "MRR@10", "nDCG@10"]
        lines += [
            "| retriever | " + " | ".join(cols) + " | p50 ms |",
            "|---|" + "---|" * (len(cols) + 1),
        ]
        for name, m in retrieval.items():
            cells = [f"{m[c]:.3f}" if m.get(c) is not None else "–" for c in cols]
            lines.append(f"| {name} | " + " | ".join(cells) + f" | {m['latency_ms']['p50']:.1f} |")
    answers: dict[str, Any] | None = report.get("answers")
    if answers:
        keys = [k for k, v in answers.items() if k not in ("questions", "answerable", "unanswerable")]
        keys = [k for k in keys if not isinstance(answers[k], dict)]
        cells = ["–" if answers[k] is None else f"{answers[k]:.3f}" for k in keys]
        p50 = answers.get("latency_ms", {}).get("p50")
        lines += ["", "| " + " | ".join([*keys, "p50 ms"]) + " |", "|" + "---|" * (len(keys) + 1)]
        lines.append("| " + " | ".join([*cells, "–" if p50 is None else f"{p50:.0f}"]) + " |")
    return "\n".join(lines) + "\n"
