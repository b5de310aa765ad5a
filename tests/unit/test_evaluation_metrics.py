"""Evaluation metrics: retrieval ranks, answer EM/F1 per language, citations, abstention."""

from __future__ import annotations

import math

import pytest

from app.services.evaluation import (
    AnswerRecord,
    answer_metrics,
    citation_precision,
    contains_answer,
    dedupe,
    exact_match,
    f1_score,
    markdown_report,
    mrr_at,
    ndcg_at,
    normalize_answer,
    recall_at,
    retrieval_metrics,
)

pytestmark = pytest.mark.unit


def test_ranks_are_by_document() -> None:
    assert dedupe([5, 5, 3, 5, 9]) == [5, 3, 9]
    ranked = [7, 3, 9]
    assert recall_at(ranked, {3}, 1) == 0.0 and recall_at(ranked, {3}, 5) == 1.0
    assert recall_at(ranked, {3, 4}, 5) == 0.5  # two gold documents, one found
    assert mrr_at(ranked, {9}) == pytest.approx(1 / 3) and mrr_at(ranked, {1}) == 0.0
    assert mrr_at(list(range(20)), {15}) == 0.0  # beyond @10
    assert ndcg_at([3, 7], {3}) == 1.0
    assert ndcg_at([7, 3], {3}) == pytest.approx(1 / math.log2(3))
    assert ndcg_at([7, 3, 4], {3, 4}) == pytest.approx((1 / math.log2(3) + 1 / 2) / (1 + 1 / math.log2(3)))


def test_retrieval_metrics_average_over_questions() -> None:
    out = retrieval_metrics([([1, 2], {1}), ([2, 1], {1})])
    assert out == {
        "R@1": 0.5,
        "R@5": 1.0,
        "R@10": 1.0,
        "MRR@10": 0.75,
        "nDCG@10": pytest.approx(0.8155, abs=1e-4),
    }
    assert retrieval_metrics([]) == {}


def test_english_answers_use_squad_token_f1() -> None:
    assert normalize_answer("The  Eiffel Tower!") == "eiffel tower"
    assert exact_match("the eiffel tower", ["Eiffel Tower"]) == 1.0
    assert f1_score("Eiffel Tower in Paris", ["the Eiffel Tower"]) == pytest.approx(2 * 0.5 * 1 / 1.5)
    assert f1_score("nothing", ["Eiffel Tower"]) == 0.0
    assert f1_score("Paris", ["London", "Paris"]) == 1.0  # best reference wins


def test_japanese_answers_use_character_f1() -> None:
    assert normalize_answer("小笠原 諸島。") == "小笠原諸島"
    assert exact_match("小笠原諸島", ["小笠原諸島"]) == 1.0
    # 5 reference characters, prediction 小笠原 (3 chars): P=1, R=0.6.
    assert f1_score("小笠原", ["小笠原諸島"]) == pytest.approx(0.75)
    assert f1_score("ＡＢＣ株式会社", ["ABC株式会社"]) == 1.0  # NFKC
    assert contains_answer("答えは小笠原諸島です。", ["小笠原諸島"]) == 1.0


def test_citation_precision_and_answer_metrics() -> None:
    assert citation_precision([1, 2, 2], {2}) == pytest.approx(2 / 3)
    assert citation_precision([], {2}) is None
    records = [
        AnswerRecord("Paris", False, ("Paris",), True, (1,), frozenset({1})),
        AnswerRecord("", True, ("London",), True, (), frozenset({2})),  # abstained wrongly
        AnswerRecord("", True, (), False, (), frozenset()),  # abstained rightly
        AnswerRecord("Rome", False, (), False, (3,), frozenset()),  # should have abstained
    ]
    out = answer_metrics(records)
    assert out["EM"] == 0.5 and out["F1"] == 0.5
    assert out["citation_precision"] == 1.0  # only answered questions with gold documents count
    assert out["abstention_accuracy"] == 0.5
    assert out["abstained_when_unanswerable"] == 0.5 and out["answered_when_answerable"] == 0.5


def test_markdown_report_has_a_row_per_retriever() -> None:
    report = {
        "dataset": "x",
        "questions": 2,
        "documents": 3,
        "retrieval": {
            m: {
                "R@1": 0.5,
                "R@5": 1.0,
                "R@10": 1.0,
                "MRR@10": 0.75,
                "nDCG@10": 0.8,
                "latency_ms": {"p50": 3.0},
            }
            for m in ("dense", "hybrid")
        },
        "answers": {"questions": 2, "EM": 0.5, "F1": None},
    }
    table = markdown_report(report)
    assert "| hybrid | 0.500 | 1.000 | 1.000 | 0.750 | 0.800 | 3.0 |" in table
    assert "| EM | F1 |" in table and "| 0.500 | – |" in table
