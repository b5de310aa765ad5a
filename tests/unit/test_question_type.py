"""An answer that gives no number to a question asking for one answers something else (#15, item 2: the
slide-text case, where copied words from the right slide came back verified)."""

from __future__ import annotations

import pytest

from app.core.citations import SourceRef, check_citations
from app.core.question_type import asks_for_number, gives_number

pytestmark = pytest.mark.unit

SLIDE = (
    "GPT-3の場合、データに含まれる総トークン数は約4900億。"
    "データとなる大量のテキスト(固定)。i番目のテキストにおける、t番目のトークンの確率。"
)
QUESTION = "GPT-3の学習データに含まれる総トークン数はどれくらいですか？"


def test_questions_that_ask_for_a_number() -> None:
    for q in (
        QUESTION,
        "Transformerは何年に提案されましたか？",
        "How many books can members borrow?",
        "In what year was the library founded?",
        "会員は何冊まで借りられますか？",
    ):
        assert asks_for_number(q), q
    for q in (
        "Transformerを提案した論文のタイトルは何ですか？",
        "When did it move?",
        "いつ完成しましたか？",
        "What does BERT stand for?",
    ):
        assert not asks_for_number(q), q


def test_numbers_in_any_script() -> None:
    assert gives_number("約4900億です。") and gives_number("三週間です。") and gives_number("eight books")
    assert gives_number("２０１７年") and not gives_number("データとなる大量のテキスト")


def test_copied_words_without_the_number_do_not_answer_the_question() -> None:
    copied = check_citations(
        "データとなる大量のテキスト(固定)です[1]。", [SourceRef(1, SLIDE)], question=QUESTION
    )
    assert copied.citations[0].status == "verified"  # every word is in the slide...
    assert copied.answers_question is False  # ...but it is no amount
    right = check_citations("総トークン数は約4900億です[1]。", [SourceRef(1, SLIDE)], question=QUESTION)
    assert right.answers_question is True
    refused = check_citations("資料には記載がありません。", [SourceRef(1, SLIDE)], question=QUESTION)
    assert refused.answers_question is True  # an abstention is not flagged as a wrong answer
    assert check_citations("データとなる大量のテキストです[1]。", [SourceRef(1, SLIDE)]).answers_question
