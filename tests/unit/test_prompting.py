"""Prompt packing: the budget holds, nothing is cut mid-sentence, what doesn't fit is reported, and every
piece shown to the model keeps offsets that slice the page text exactly."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.core.prompting import (
    SEP,
    SYSTEM_PROMPT,
    build_messages,
    detect_language,
    pack_sources,
    select_sentences,
)

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class P:
    chunk_id: int
    title: str
    page: int
    text: str
    char_start: int = 0


def count(text: str) -> int:  # a stand-in tokenizer: one token per 4 characters
    return max(1, len(text) // 4)


FILLER = "".join(f"この段落{i}は質問と関係のない話題について述べている。" for i in range(12))
TOWER = FILLER + "東京タワーは1958年に完成した。高さは333メートルである。" + FILLER
LONG = "".join(
    f"この長い段落{i}は質問と関係のない話題について、たいへん詳しく、長々と、何度も繰り返し述べている。"
    for i in range(8)
)
OTHER = LONG + "スカイツリーの高さは634メートルである。" + LONG


def test_sentences_that_bear_on_the_question_are_kept_with_their_neighbours() -> None:
    spans = select_sentences("東京タワーの高さは？", TOWER)
    shown = [TOWER[a:b] for a, b in spans]
    assert any("333メートル" in s for s in shown) and any("1958年" in s for s in shown)
    assert sum(b - a for a, b in spans) < len(TOWER) / 3
    tight = select_sentences("東京タワーの高さは？", TOWER, neighbours=0, tight=True)
    assert sum(b - a for a, b in tight) < sum(b - a for a, b in spans)
    assert select_sentences("無関係な質問", "短い。文章。", tight=True) == []


def test_packing_respects_the_budget_orders_by_relevance_and_reports_what_is_dropped() -> None:
    passages = [P(1, "tower", 3, TOWER, 100), P(2, "tree", 5, OTHER), P(3, "more", 1, FILLER * 3)]
    result = pack_sources("東京タワーの高さは？", passages, count, budget=80, lang="ja")
    assert result.tokens <= 80
    assert [s.passage.chunk_id for s in result.sources] == [1, 2][: len(result.sources)]
    assert [s.number for s in result.sources] == list(range(1, len(result.sources) + 1))
    assert result.dropped == [
        p.chunk_id for p in passages if p.chunk_id not in {s.passage.chunk_id for s in result.sources}
    ]
    assert "333メートル" in result.sources[0].text


def test_a_passage_that_does_not_fit_loosely_is_tried_with_its_best_sentences() -> None:
    question = "東京タワーとスカイツリーの高さは？"
    passages = [P(1, "tower", 1, TOWER), P(2, "tree", 1, OTHER)]
    loose_first = pack_sources(question, passages[:1], count, budget=10_000, lang="ja").tokens
    result = pack_sources(question, passages, count, budget=loose_first + 25, lang="ja")
    assert [s.passage.chunk_id for s in result.sources] == [1, 2] and result.dropped == []
    assert "634メートル" in result.sources[1].text and result.tokens <= loose_first + 25
    assert LONG[:20] not in result.sources[1].text  # only its best sentence: the loose cut did not fit


def test_shown_pieces_map_back_to_the_page_text() -> None:
    page = "前置き。" * 5 + TOWER
    start = page.index(TOWER)
    passage = P(7, "tower", 2, TOWER, start)
    (source,) = pack_sources("東京タワーの高さは？", [passage], count, budget=10_000, lang="ja").sources
    pieces = source.text.split(SEP)
    assert len(pieces) == len(source.spans)
    for piece, (a, b) in zip(pieces, source.spans, strict=True):
        assert page[a:b].strip() == piece


def test_without_selection_whole_passages_are_shown_or_dropped() -> None:
    passages = [P(1, "tower", 1, TOWER), P(2, "tree", 1, OTHER)]
    result = pack_sources(
        "東京タワーの高さは？", passages, count, budget=count(TOWER) + 30, lang="ja", select=False
    )
    assert [s.text for s in result.sources] == [TOWER] and result.dropped == [2]


def test_messages_are_in_the_question_language_with_numbered_sources() -> None:
    assert detect_language("東京タワーの高さは？") == "ja" and detect_language("How tall is it?") == "en"
    (source,) = pack_sources(
        "How tall?", [P(1, "Tower guide", 4, "It is 333 m tall.")], count, budget=100, lang="en"
    ).sources
    history = [{"role": "user", "content": "earlier"}, {"role": "assistant", "content": "reply"}]
    messages = build_messages("How tall?", [source], "en", history)  # type: ignore[arg-type]
    assert messages[0] == {"role": "system", "content": SYSTEM_PROMPT["en"]}  # first: the cached prefix
    assert messages[1:3] == history
    assert messages[-1]["content"].startswith("Sources:\n[1] Tower guide (p.4)\nIt is 333 m tall.")
    assert messages[-1]["content"].endswith("Question: How tall?")
