"""Turn a follow-up question ("それはいつ？", "What about its size?") into a standalone search query.

Cheap rules first: a question that leans on earlier turns (demonstratives, pronouns, or too short
to search on its own) is searched together with the previous question. The model is not used here:
on this CPU a rewrite would cost seconds of prompt processing before retrieval even starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
