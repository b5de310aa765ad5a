"""The model's odds of refusing, read from the real bundled model through llama.cpp (#15, item 3).

Reading them evaluates the prompt and a few tokens of the refusal, then winds back: the answer that
follows must be exactly the answer without the reading (the prompt is reused, not left corrupted), and
ruling the refusal's first token out must change how the answer opens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytest

from app.core.generation import GenerationOptions, Message
from app.core.prompting import ABSTAIN_TEXT, PackedSource, build_messages

pytestmark = pytest.mark.integration

LIBRARY = "The Harbor Library was founded in 1923 by the shipping merchant Eleanor Vance."


@dataclass(frozen=True)
class _Passage:
    chunk_id: int = 1
    title: str = "harbor-notes.txt"
    page: int = 1
    text: str = LIBRARY
    char_start: int = 0


def messages(question: str) -> list[Message]:
    """The service's own prompt (system instructions, the numbered source, the question)."""
    source = PackedSource(number=1, passage=_Passage(), text=LIBRARY, spans=((0, len(LIBRARY)),), tokens=20)
    return build_messages(question, [source], "en")


def answer(gen: Any, msgs: list[Message], **options: Any) -> str:
    return "".join(gen.stream(msgs, GenerationOptions(max_tokens=24, **options)))


def test_reading_the_odds_leaves_the_answer_unchanged(real_generator: Any) -> None:
    for question in ("When was the Harbor Library founded?", "Who is the mayor of Osaka?"):
        msgs = messages(question)
        plain = answer(real_generator, msgs)
        lp = real_generator.opening_logprob(msgs, ABSTAIN_TEXT["en"])
        assert lp is not None and lp <= 0.0
        assert answer(real_generator, msgs) == plain, question
        # The odds agree with what the greedy model then does.
        assert plain.startswith(ABSTAIN_TEXT["en"][:12]) == (math.exp(lp) > 0.5), (question, plain, lp)


def test_an_unlikely_refusal_is_read_low_and_a_likely_one_high(real_generator: Any) -> None:
    refusal = ABSTAIN_TEXT["en"]
    answerable = real_generator.opening_logprob(messages("When was the Harbor Library founded?"), refusal)
    unanswerable = real_generator.opening_logprob(messages("Who is the mayor of Osaka?"), refusal)
    assert unanswerable > answerable


def test_ruling_the_refusal_out_changes_how_the_answer_opens(real_generator: Any) -> None:
    msgs = messages("Who is the mayor of Osaka?")
    steered = answer(real_generator, msgs, avoid_opening=ABSTAIN_TEXT["en"])
    first = real_generator._ensure().tokenize(ABSTAIN_TEXT["en"].encode(), add_bos=False, special=False)[0]
    opened = real_generator._ensure().tokenize(steered.encode(), add_bos=False, special=False)[0]
    assert opened != first, steered
