"""Prompt building: instructions in the question's language, numbered sources packed to a token budget.

The system prompt is fixed per language and comes first, so llama.cpp's prefix cache reuses its
evaluated tokens across questions. Sources follow, most relevant first; whatever does not fit the
budget is reported as dropped, never silently cut. With sentence selection on, each passage is
trimmed to the sentences that share words with the question (and their neighbours), keeping their
offsets so citations still resolve to the page text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from app.core.chunking import sentence_spans
from app.core.generation import Message
from app.core.text import KANJI_KATAKANA_BLOCKS, is_japanese, nfkc_lower

Lang = Literal["ja", "en"]

ABSTAIN_TEXT: dict[Lang, str] = {
    "ja": "資料には記載がありません。",
    "en": "The documents do not contain this.",
}

SYSTEM_PROMPT: dict[Lang, str] = {
    "ja": (
        "あなたは与えられた資料だけに基づいて質問に答えるアシスタントです。\n"
        "- 資料に書かれていることだけを使い、日本語で簡潔に答えてください。\n"
        "- 各文の末尾に、根拠にした資料の番号を [1] のように付けてください。\n"
        f"- 資料に答えが書かれていない場合は「{ABSTAIN_TEXT['ja']}」とだけ答えてください。"
    ),
    "en": (
        "You answer questions using only the numbered sources you are given.\n"
        "- Use only what the sources say, and answer concisely in English.\n"
        "- End each sentence with the number of the source that supports it, like [1].\n"
        f'- If the sources do not contain the answer, reply only "{ABSTAIN_TEXT["en"]}"'
    ),
}

# Added to the question when the first answer said nothing but citation markers (or nothing at all).
RETRY_NOTE: dict[Lang, str] = {
    "ja": (
        "（前の回答は出典番号だけでした。資料の内容を使って、文章で答えてください。"
        f"答えが資料にない場合は「{ABSTAIN_TEXT['ja']}」と答えてください。）"
    ),
    "en": (
        "(The previous answer was only a source number. Answer in words, using what the sources say. "
        f'If they do not contain the answer, reply "{ABSTAIN_TEXT["en"]}")'
    ),
}

_LABELS: dict[Lang, tuple[str, str, str]] = {
    "ja": ("資料", "質問", "p."),
    "en": ("Sources", "Question", "p."),
}

# Worked examples shown to the model before the conversation (answer.examples), as earlier turns:
# 1. a question answered in a sentence that opens with the fact, citing the source that holds it (the
#    second: the model must pick the number, not copy "[1]");
# 2. one the sources don't answer although they speak of its topic (the cafeteria's hours, not its
#    prices: on-topic passages are what tempt a small model), declined;
# A third, a broad question ("what are the rules for…") answered at length, was tried and dropped: it
# tipped the model towards answering everything (LIT-RAGBench abstention accuracy 0.775 -> 0.725-0.75,
# JSQuAD citation precision 0.79 -> 0.71 when it cited both its sources; README, Answer quality).
# They sit right after the fixed system prompt, so llama.cpp's prefix cache holds them too and they
# cost little time per question once evaluated (JSQuAD TTFT p50 6.6 s -> 7.0 s). Made-up documents, on
# purpose nothing from an evaluation set.
_EXAMPLES: dict[Lang, tuple[tuple[str, str, str], ...]] = {
    "ja": (
        (
            "[1] 就業規則 (p.12)\n年次有給休暇を取得するときは、原則として5日前までに所属長に申請する。\n\n"
            "[2] 就業規則 (p.11)\n年次有給休暇は、入社から6か月継続して勤務し、所定労働日の8割以上出勤した"
            "社員に10日付与する。その後は勤続1年ごとに付与日数を増やす。",
            "入社して半年たつと、有給休暇は何日もらえますか？",
            "10日付与されます[2]。",
        ),
        (
            "[1] 福利厚生ガイド (p.3)\n社員食堂は平日の11時30分から14時まで利用できる。メニューは週替わりで、"
            "毎週月曜日に社内ポータルに掲載する。\n\n"
            "[2] 就業規則 (p.20)\n出張の旅費は、出張報告書の提出後に精算する。",
            "社員食堂の料金はいくらですか？",
            ABSTAIN_TEXT["ja"],
        ),
    ),
    "en": (
        (
            "[1] Employee handbook (p.12)\nPaid leave must be requested from your manager at least five "
            "days in advance.\n\n"
            "[2] Employee handbook (p.11)\nEmployees who have worked for six months and attended at least "
            "80% of working days are granted 10 days of paid leave. The number of days grows with each "
            "further year of service.",
            "How many days of paid leave do I get after six months?",
            "You are granted 10 days [2].",
        ),
        (
            "[1] Benefits guide (p.3)\nThe staff cafeteria is open on weekdays from 11:30 to 14:00. The "
            "menu changes weekly and is posted on the intranet every Monday.\n\n"
            "[2] Employee handbook (p.20)\nTravel expenses are settled after the trip report is submitted.",
            "How much does a meal in the staff cafeteria cost?",
            ABSTAIN_TEXT["en"],
        ),
    ),
}


def detect_language(text: str) -> Lang:
    """Japanese if the text has any kana or kanji, else English."""
    return "ja" if is_japanese(text) else "en"


class PassageLike(Protocol):
    @property
    def chunk_id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def page(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def char_start(self) -> int: ...


@dataclass(frozen=True)
class PackedSource:
    number: int  # 1-based, as shown to the model
    passage: PassageLike
    text: str  # what the model sees (the passage, or its selected sentences joined)
    # (start, end) offsets in the page text of each piece of `text`, in order; pieces are joined by
    # " … " in `text`, so piece i starts at sum(len(piece_j) + len(SEP)) for j < i.
    spans: tuple[tuple[int, int], ...]
    tokens: int


@dataclass(frozen=True)
class PackResult:
    sources: list[PackedSource]
    dropped: list[int]  # chunk ids that did not fit the budget
    tokens: int


SEP = " … "
_OVERLAP_RUN = re.compile(f"[{KANJI_KATAKANA_BLOCKS}]+")


def _units(text: str) -> set[str]:
    """Content units for overlap: character bigrams of CJK runs, lowercase words otherwise."""
    norm = nfkc_lower(text)
    units: set[str] = set()
    for run in _OVERLAP_RUN.findall(norm):
        units.update(run[i : i + 2] for i in range(max(len(run) - 1, 1)))
    units.update(w for w in re.findall(r"[a-z0-9]+", norm) if len(w) > 2 or w.isdigit())
    return units


def question_coverage(question: str, texts: Sequence[str]) -> float | None:
    """Share of the question's content units (as sentence selection counts them) that the texts hold;
    None when the question has none or there is no text. Evidence for the abstention decision."""
    wanted = _units(question)
    if not wanted or not texts:
        return None
    return len(wanted & _units(" ".join(texts))) / len(wanted)


def most_covered(question: str, sources: Sequence[PackedSource]) -> PackedSource:
    """The source whose shown text holds the largest share of the question's content units (the first
    in search order on a tie, and when the question has none)."""
    if not sources:
        raise ValueError("no sources")
    shares = _shares(question, sources)
    return max(sources, key=lambda s: shares[s.number])  # max keeps the first of equals


def coverage_gap(question: str, sources: Sequence[PackedSource], cited: set[int]) -> float:
    """How much larger a share of the question's content units the best shown source holds than the
    best of the ``cited`` ones (0 when a cited source is the best, or nothing is cited): an answer
    taken from a passage that speaks less of the question than another one the model was shown."""
    shares = _shares(question, sources)
    named = [shares[n] for n in cited if n in shares]
    return max(shares.values(), default=0.0) - max(named) if named else 0.0


def _shares(question: str, sources: Sequence[PackedSource]) -> dict[int, float]:
    """Each source's share of the question's content units, by source number."""
    return {s.number: question_coverage(question, [s.text]) or 0.0 for s in sources}


def select_sentences(
    question: str, text: str, *, neighbours: int = 1, min_keep: int = 1, tight: bool = False
) -> list[tuple[int, int]]:
    """Offsets (in ``text``) of the sentences that bear on the question, plus ``neighbours`` around each.

    Sentences are scored by the question's content units they contain; those scoring at least half
    the best (``tight``: only the best) are kept in document order. Falls back to the whole text when
    nothing matches (``tight``: to nothing, so a passage that says nothing of the question costs no
    tokens).
    """
    spans = sentence_spans(text)
    if len(spans) <= 2 and not tight:
        return [(0, len(text))] if text.strip() else []
    q = _units(question)
    scores = [len(q & _units(text[a:b])) for a, b in spans]
    best = max(scores, default=0)
    if best == 0:
        return [] if tight else [(spans[0][0], spans[-1][1])]
    keep: set[int] = set()
    for i, s in enumerate(scores):
        if s >= (best if tight else max(1, best // 2)):
            keep.update(range(max(0, i - neighbours), min(len(spans), i + neighbours + 1)))
    if len(keep) < min_keep:
        keep.update(range(min_keep))
    merged: list[tuple[int, int]] = []
    for i in sorted(keep):
        a, b = spans[i]
        if merged and i - 1 in keep and merged[-1][1] <= a:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _source_block(number: int, title: str, page: int, text: str, lang: Lang) -> str:
    return f"[{number}] {title} ({_LABELS[lang][2]}{page})\n{text}"


def pack_sources(
    question: str,
    passages: Sequence[PassageLike],
    count_tokens: Callable[[str], int],
    *,
    budget: int,
    lang: Lang,
    select: bool = True,
) -> PackResult:
    """Number the passages and fit them into ``budget`` tokens, most relevant first.

    Nothing is truncated mid-sentence. With selection on, each passage is cut to the sentences that
    bear on the question and their neighbours; one that doesn't fit so is tried once more with only
    its best sentences, so a small budget still holds several sources. A passage that fits neither
    way is dropped (and reported).
    """
    out: list[PackedSource] = []
    dropped: list[int] = []
    used = 0
    for p in passages:
        if select:
            candidates = [
                select_sentences(question, p.text),
                select_sentences(question, p.text, neighbours=0, tight=True),
            ]
        else:
            candidates = [[(0, len(p.text))]]
        for pieces in candidates:
            if not pieces:
                continue
            text = SEP.join(p.text[a:b].strip() for a, b in pieces)
            cost = count_tokens(_source_block(len(out) + 1, p.title, p.page, text, lang)) + 2
            if used + cost <= budget:
                spans = tuple((p.char_start + a, p.char_start + b) for a, b in pieces)
                out.append(PackedSource(len(out) + 1, p, text, spans, cost))
                used += cost
                break
        else:
            dropped.append(p.chunk_id)
    return PackResult(out, dropped, used)


def with_retry_note(messages: Sequence[Message], lang: Lang) -> list[Message]:
    """The same prompt, its last (user) message followed by `RETRY_NOTE`."""
    out = list(messages)
    last = out[-1]
    out[-1] = {"role": last["role"], "content": f"{last['content']}\n\n{RETRY_NOTE[lang]}"}
    return out


def _user_turn(blocks: str, question: str, lang: Lang) -> str:
    label_sources, label_question, _page = _LABELS[lang]
    return f"{label_sources}:\n{blocks}\n\n{label_question}: {question}"


def example_turns(lang: Lang) -> list[Message]:
    """The worked examples as earlier turns of the conversation (fixed per language)."""
    turns: list[Message] = []
    for blocks, question, answer in _EXAMPLES[lang]:
        turns.append({"role": "user", "content": _user_turn(blocks, question, lang)})
        turns.append({"role": "assistant", "content": answer})
    return turns


def fixed_prefix(lang: Lang, *, examples: bool) -> list[Message]:
    """What every prompt in ``lang`` opens with: the system prompt, then the examples (if on)."""
    messages: list[Message] = [{"role": "system", "content": SYSTEM_PROMPT[lang]}]
    if examples:
        messages.extend(example_turns(lang))
    return messages


def build_messages(
    question: str,
    sources: Sequence[PackedSource],
    lang: Lang,
    history: Sequence[Message] = (),
    *,
    examples: bool = False,
) -> list[Message]:
    blocks = "\n\n".join(
        _source_block(s.number, s.passage.title, s.passage.page, s.text, lang) for s in sources
    )
    user = _user_turn(blocks, question, lang)
    messages = fixed_prefix(lang, examples=examples)
    messages.extend(history)
    messages.append({"role": "user", "content": user})
    return messages
