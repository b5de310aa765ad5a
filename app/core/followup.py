"""Turn a follow-up question ("それはいつ？", "What about its size?") into a standalone search query.

Cheap rules first: a question that leans on earlier turns (demonstratives, pronouns, or too short
to search on its own) is searched together with the previous question. Joined, the two questions'
words pull search towards what the previous one asked; with answer.rewrite_followups the model
rewrites such a question into one that stands alone instead (`rewrite_turn`, `parse_rewrite`), at the
cost of a short generation before retrieval (bench/followups.py measures both).
"""

from __future__ import annotations

import re
import unicodedata
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


def search_queries(question: str, history: Sequence[Message], max_chars: int | None = None) -> list[str]:
    """What to search for: the question alone when it stands alone. A follow-up is searched joined
    with the previous question, and also on its own when it has words of its own to search on
    (``app.core.fusion.fuse_rankings`` puts the two lists together): joined, the previous question's
    words pull search towards the passage that answered it, while the follow-up's own words name what
    it asks now."""
    joined = standalone_query(question, history, max_chars)
    if joined == question or not joined.endswith(f" {question.strip()}"):
        return [joined]  # stands alone (or, too long to join, cut to max_chars)
    return [joined, question.strip()] if len(_words(question)) >= _OWN_WORDS else [joined]


# Content units (`_words`: kanji/katakana bigrams, Latin words) a follow-up needs to be searched on its
# own too: 「その高さは？」 and "When was it built?" have one, 「その電波塔の高さは？」 three.
_OWN_WORDS = 3


REWRITE: dict[Literal["ja", "en"], str] = {
    "ja": (
        "これは資料から答える質問ではありません。会話の続きの質問を、それだけで意味が通じる質問に"
        "直してください。「それ」「その」などは、指しているものの名前に置き換えます。直した質問だけを"
        "書いてください。\n"
        "例: 「富士山の高さは？」のあとの「それはどこにありますか？」→ 富士山はどこにありますか？\n\n"
        "「{previous}」のあとの「{question}」→"
    ),
    "en": (
        "This is not a question to answer from the sources: rewrite a follow-up question so that it "
        'makes sense on its own, replacing "it", "that" and the like with the name of what they refer '
        "to. Write only the rewritten question.\n"
        'Example: "Where is it?" after "How tall is Mount Fuji?" → Where is Mount Fuji?\n\n'
        '"{question}" after "{previous}" →'
    ),
}
_LABEL = re.compile(
    r"^\s*(?:書き直した質問|直した質問|質問|rewritten question|question|follow-up question)\s*[:：]\s*",
    re.IGNORECASE,
)


def previous_question(history: Sequence[Message]) -> str | None:
    previous = [m["content"].strip() for m in history if m["role"] == "user" and m["content"].strip()]
    return previous[-1] if previous else None


def rewrite_turn(question: str, previous: str, lang: Literal["ja", "en"]) -> Message:
    """The request to the model for a standalone question, as one user turn (after the answer prompt's
    fixed prefix, which the prefix cache already holds)."""
    text = REWRITE[lang].format(previous=previous.strip(), question=question.strip())
    return {"role": "user", "content": text}


def parse_rewrite(
    text: str, question: str, max_chars: int | None = None, *, previous: str = ""
) -> str | None:
    """The model's rewrite: its first non-empty line without a label or quotes; None when it wrote
    nothing usable: empty, the question or the previous question unchanged, a citation-marked answer
    rather than a question, or a line that lost most of the follow-up's own words (the small model
    sometimes answers, or repeats the previous question, instead of rewriting)."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = _LABEL.sub("", line).strip().lstrip("→").strip().strip("「」\"'")
    if len(line) < 2 or line in (question.strip(), previous.strip()) or re.search(r"\[\d+\]", line):
        return None
    own = _words(question)
    if own and len(own & _words(line)) < len(own) / 2:
        return None
    return line[:max_chars] if max_chars is not None else line


def _words(text: str) -> set[str]:
    """Content units outside the pronouns: bigrams of kanji/katakana runs, longer Latin words."""
    norm = unicodedata.normalize("NFKC", _JA_ANAPHORA.sub(" ", _EN_ANAPHORA.sub(" ", text))).lower()
    units = {w for w in re.findall(r"[a-z0-9]{3,}", norm) if w not in _STOP}
    for run in re.findall(f"[{KANJI_KATAKANA_BLOCKS}]+", norm):
        units.update(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
    return units


_STOP = frozenset(
    {"what", "who", "when", "where", "which", "how", "why", "does", "did", "was", "were", "the", "and"}
)
