"""A follow-up is searched joined with the previous question and, when it has words of its own, on
its own too, the two rankings fused: joined alone, the previous question's words pull search to the
passage that answered it (bench/followups.py: R@1 0.50 joined against 0.875 for the bare follow-up)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.core.followup import search_queries
from app.core.fusion import fuse_rankings
from app.core.generation import Message

pytestmark = pytest.mark.unit

HISTORY: list[Message] = [
    {"role": "user", "content": "東京タワーはいつ完成しましたか？"},
    {"role": "assistant", "content": "1958年です[1]。"},
]


def test_a_question_that_stands_alone_is_searched_as_written() -> None:
    alone = "東京タワーの高さは何メートルですか？"
    assert search_queries(alone, HISTORY) == [alone]
    assert search_queries("その高さは？", []) == ["その高さは？"]  # nothing to lean on


@pytest.mark.parametrize("question", ["それはいつ？", "その高さは？", "When was it built?"])
def test_a_follow_up_with_no_words_of_its_own_is_searched_joined_only(question: str) -> None:
    assert search_queries(question, HISTORY) == [f"東京タワーはいつ完成しましたか？ {question}"]


@pytest.mark.parametrize("question", ["その展望台の高さは何メートル？", "How tall is its observation deck?"])
def test_a_follow_up_with_words_of_its_own_is_searched_both_ways(question: str) -> None:
    assert search_queries(question, HISTORY) == [f"東京タワーはいつ完成しましたか？ {question}", question]


def test_a_follow_up_too_long_to_join_is_searched_cut() -> None:
    long = "その展望台" + "あ" * 120
    assert search_queries(long, HISTORY, max_chars=100) == [long[:100]]


@dataclass(frozen=True)
class P:
    chunk_id: int


def test_fusion_puts_what_both_searches_found_first_and_breaks_ties_by_list_order() -> None:
    joined = [P(1), P(2), P(3), P(4)]  # the previous question's passage first
    bare = [P(7), P(3), P(8)]
    fused = fuse_rankings([joined, bare], 4)
    assert [p.chunk_id for p in fused] == [3, 1, 7, 2]
    assert [p.chunk_id for p in fuse_rankings([bare, joined], 2)] == [3, 7]
    assert fuse_rankings([joined], 2) == joined[:2] and fuse_rankings([], 3) == []
