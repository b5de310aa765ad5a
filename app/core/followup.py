"""Turn a follow-up question ("それはいつ？", "What about its size?") into a standalone search query.

Cheap rules first: a question that leans on earlier turns (demonstratives, pronouns, or too short
to search on its own) is searched together with the previous question. Joined, the two questions'
words pull search towards what the previous one asked; with answer.rewrite_followups the model
rewrites such a question into one that stands alone instead (`rewrite_turn`, `parse_rewrite`), at the
cost of a short generation before retrieval (bench/followups.py measures both).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from app.core.generation import Message
from app.core.text import KANJI_KATAKANA_BLOCKS

_JA_ANAPHORA = re.compile(r"(それ|これ|あれ|その|この|あの|そこ|ここ|彼|彼女|同じ|前者|後者|上記|そう)")
_EN_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|he|she|his|her|there|same)\b", re.I
)
_CONTENT = re.compile(f"[{KANJI_KATAKANA_BLOCKS}A-Za-z0-9]")


def needs_context(question: str) -> bool:
    content = len(_CONTENT.findall(question))
    return bool(_JA_ANAPHORA.search(question) or _EN_ANAPHORA.search(question)) or content < 6


def standalone_query(question: str, history: Sequence[Message], max_chars: int | None = None) -> str:
    """The text to search for: the question itself, or joined with the previous user question. With
    ``max_chars``, the previous question is cut (from its start) so the joined query stays within it."""
    if not needs_context(question):
        return question
    previous = [m["content"] for m in history if m["role"] == "user" and m["content"].strip()]
    if not previous:
        return question
    question = question.strip()
    before = previous[-1].strip()
    if max_chars is not None:
        room = max_chars - len(question) - 1
        if room <= 0:
            return question[:max_chars]
        before = before[-room:]
    return f"{before} {question}"


REWRITE: dict[Literal["ja", "en"], str] = {
    "ja": (
        "次の「続きの質問」を、前の質問を読まなくても意味が分かる1つの質問に書き直してください。"
        "「それ」「その」などが指すものは具体的な言葉にしてください。書き直した質問だけを1行で書き、"
        "答えは書かないでください。\n前の質問: {previous}\n続きの質問: {question}"
    ),
    "en": (
        "Rewrite the follow-up question below so that it can be understood without the previous one: "
        'replace "it", "that" and the like with what they refer to. Write only the rewritten question, '
        "on one line, not the answer.\nPrevious question: {previous}\nFollow-up question: {question}"
    ),
}
_LABEL = re.compile(
    r"^\s*(?:書き直した質問|質問|rewritten question|question|follow-up question)\s*[:：]\s*", re.IGNORECASE
)


def previous_question(history: Sequence[Message]) -> str | None:
    previous = [m["content"].strip() for m in history if m["role"] == "user" and m["content"].strip()]
    return previous[-1] if previous else None


def rewrite_turn(question: str, previous: str, lang: Literal["ja", "en"]) -> Message:
    """The request to the model for a standalone question, as one user turn (after the answer prompt's
    fixed prefix, which the prefix cache already holds)."""
    text = REWRITE[lang].format(previous=previous.strip(), question=question.strip())
    return {"role": "user", "content": text}


def parse_rewrite(text: str, question: str, max_chars: int | None = None) -> str | None:
    """The model's rewrite: its first non-empty line without a label or quotes; None when it wrote
    nothing usable (empty, the question unchanged, or a citation-marked answer rather than a question)."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = _LABEL.sub("", line).strip().strip("「」\"'")
    if len(line) < 2 or line == question.strip() or re.search(r"\[\d+\]", line):
        return None
    return line[:max_chars] if max_chars is not None else line
