"""A second look when the evidence is thin (#15 item 5): when to search again, and for what.

One retrieval round finds what the question's own words point at. Two kinds of question need more:
those that name two things (a comparison: 「AとBではどちらが…」, "Which is older, A or B?"; a chain:
"the wife of the actor who starred in…") and those whose first search came back weak. For them the
model writes up to two short search queries; each is searched, and the answer is written from the
union (`merge`), bounded to this one extra round.

Pure: the service (`app.services.answering`) runs the model and the searches.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Literal

from app.core.fusion import P
from app.core.generation import Message

Lang = Literal["ja", "en"]
Reason = Literal["compound", "weak_evidence"]

MAX_QUERIES = 2

# Two things side by side: a comparison, a choice between them, or several asked for at once.
_COMPARISON_JA = re.compile(
    r"どちら|どっち|違い|比べ|比較|差は|差が|共通|それぞれ|[^、。]+(?:と|か)[^、。]+(?:では|の(?:うち|中で))"
)
_COMPARISON_EN = re.compile(
    r"\b(?:compare[ds]?|comparison|difference between|differ|versus|vs\.?|both|either|neither|"
    r"respectively|each of)\b|"
    r"\b(?:which|who)\b[^?]*\b(?:more|less|fewer|higher|lower|larger|smaller|bigger|earlier|later|"
    r"older|newer|younger|longer|shorter|better|worse|first|last|most|least|\w+er)\b[^?]*\bor\b|"
    r"\bwhich of\b[^?]*\band\b",
    re.IGNORECASE,
)
# A chain: the thing asked about is named through another ("the wife of the actor who starred in…",
# 「映画に主演した俳優の妻」), so its passage need not share the question's words.
# Japanese: a relative clause, then two links (「主演した俳優の妻の生年」); one link is how most
# Japanese questions name their topic (「用いられている文字の構造」) and needs no second look.
_NOUN = r"[\u4e00-\u9fff\u30a1-\u30fa]{1,8}"
_CHAIN_JA = re.compile(rf"(?:した|する|している|された|れた|いる){_NOUN}の{_NOUN}の")
_CHAIN_EN = re.compile(r"\b(?:the|its|their|whose) [\w-]+(?: [\w-]+)? (?:who|that|whose)\b", re.IGNORECASE)

INSTRUCTION: dict[Lang, str] = {
    "ja": (
        "これは回答ではなく、資料を検索する準備の作業です。次の質問に答えるのに必要なことを、"
        "短い検索文に分けてください。1行に1つ、最大2行で、検索文だけを書いてください。\n\n"
        "例:\n質問: 富士山と浅間山ではどちらが高いですか？\n検索文:\n富士山の標高\n浅間山の標高\n\n"
        "質問: {question}\n検索文:"
    ),
    "en": (
        "This is not a question to answer yet: the sources will be searched for it first. Split what "
        "it needs into short search queries, one per line, at most two lines. Write only the queries."
        "\n\nExample:\nQuestion: Which is taller, Mount Fuji or Mount Asama?\nQueries:\n"
        "height of Mount Fuji\nheight of Mount Asama\n\nQuestion: {question}\nQueries:"
    ),
}

_BULLET = re.compile(
    r"^\s*(?:[-*・•]|\d+[.)．、]|[（(]?\d+[)）]|(?:検索文|クエリ|query|queries)\s*\d*\s*[:：])\s*",
    re.IGNORECASE,
)


def names_two_things(question: str) -> bool:
    """The question sets two things side by side, or reaches one through another (a chain)."""
    q = unicodedata.normalize("NFKC", question)
    return any(p.search(q) for p in (_COMPARISON_JA, _COMPARISON_EN, _CHAIN_JA, _CHAIN_EN))


def reason_to_look(question: str, best_score: float | None, weak_below: float | None) -> Reason | None:
    """Why a second round should run, or None: the question names two things, or the best dense score
    is under ``weak_below`` (None: only the question's words count)."""
    if names_two_things(question):
        return "compound"
    if weak_below is not None and best_score is not None and best_score < weak_below:
        return "weak_evidence"
    return None


def query_turn(question: str, lang: Lang) -> Message:
    """The request for search queries, as one more user turn after the answer's own fixed prefix (the
    system prompt and examples): llama.cpp's prefix cache then evaluates only this turn."""
    return {"role": "user", "content": INSTRUCTION[lang].format(question=question.strip())}


def parse_queries(text: str, question: str, max_chars: int) -> list[str]:
    """The model's lines as search queries: bullets and numbering stripped, the question itself, the
    refusal-like and empty lines dropped, duplicates removed, at most `MAX_QUERIES`."""
    out: list[str] = []
    seen = {_key(question)}
    for line in text.splitlines():
        q = _BULLET.sub("", line).strip().strip("「」\"'")
        q = re.sub(r"\s*\[\d+\]", "", q).strip()
        if len(q) < 2 or _key(q) in seen:
            continue
        seen.add(_key(q))
        out.append(q[:max_chars])
        if len(out) == MAX_QUERIES:
            break
    return out


def _key(text: str) -> str:
    return re.sub(r"[\s?？。.、,]", "", unicodedata.normalize("NFKC", text).lower())


def merge(first: Sequence[P], more: Sequence[Sequence[P]], k: int) -> list[P]:
    """The first round's passages and each extra query's, taken in turn (first round first) and without
    repeats, up to ``k`` + one per extra query: every query's best passage makes it into the list."""
    lists = [list(first), *(list(m) for m in more)]
    limit = k + sum(1 for m in more if m)
    out: list[P] = []
    seen: set[int] = set()
    for rank in range(max((len(x) for x in lists), default=0)):
        for lst in lists:
            if rank < len(lst) and lst[rank].chunk_id not in seen:
                seen.add(lst[rank].chunk_id)
                out.append(lst[rank])
                if len(out) == limit:
                    return out
    return out
