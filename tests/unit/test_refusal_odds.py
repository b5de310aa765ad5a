"""Abstention as one decision (#15, item 3): the model's odds of opening with the refusal, read before
it writes, decide whether Shiori abstains at once, lets the model decide, or rules the refusal out."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.api.app import create_app
from app.core.abstention import FITTED, Evidence, decide, unanswerable_p
from app.core.generation.fake import FakeGenerator
from app.core.prompting import ABSTAIN_TEXT
from app.core.settings import Settings
from tests.support.http import ask_about_the_tower, started_clients

pytestmark = pytest.mark.unit

ANSWER = ["高さは", "333メートル", "です[1]。"]


@pytest.fixture
def ask(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[Callable[..., Any]]:
    with started_clients() as start:

        def run(
            gen: FakeGenerator, question: str = "東京タワーの高さは？", **answer: Any
        ) -> list[tuple[str, Any]]:
            settings = make_settings(
                sqlite_url, worker={"embedded": True}, answer={"abstain_below": -1.0, **answer}
            )
            return ask_about_the_tower(start(create_app(settings, generator=gen)), question)

        yield run


def test_the_score_decides_between_refusing_insisting_and_the_model() -> None:
    assert decide(None, 0.5, 0.2) == "model"  # a backend that cannot tell
    assert decide(0.9, 0.8, 0.2) == "refuse"
    assert decide(0.1, 0.8, 0.2) == "insist"
    assert decide(0.5, 0.8, 0.2) == "model"
    assert decide(0.9, None, None) == "model"  # no thresholds: the model decides


def test_the_odds_alone_or_combined_with_what_retrieval_saw() -> None:
    lp = math.log(0.3)
    assert unanswerable_p("refusal_odds", lp, 0.5, 0.0) == pytest.approx(0.3)
    assert unanswerable_p("evidence", None, 0.9, 1.0) is None  # no odds, no decision
    assert unanswerable_p("evidence", lp, 0.9, None) is None  # no coverage (another language): none
    strong = unanswerable_p("evidence", lp, 0.92, 1.0)
    weak = unanswerable_p("evidence", lp, 0.84, 0.3)
    assert strong is not None and weak is not None and strong < 0.3 < weak
    # each piece of evidence moves the score the way it should, the others held
    e = Evidence(best_dense=0.87, coverage=0.6, refusal_p=0.3)
    base = FITTED.unanswerable(e)
    assert FITTED.unanswerable(Evidence(0.90, 0.6, 0.3)) < base
    assert FITTED.unanswerable(Evidence(0.87, 0.9, 0.3)) < base
    assert FITTED.unanswerable(Evidence(0.87, 0.6, 0.8)) > base


def test_likely_refusal_abstains_without_letting_the_model_write(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(ANSWER, opening_logprob=math.log(0.95))
    events = ask(gen, refuse_above=0.9)
    assert gen.calls == []  # nothing generated
    assert "".join(d["text"] for n, d in events if n == "token") == ABSTAIN_TEXT["ja"]
    done = events[-1][1]
    assert done["abstained"] is True and done["abstain_reason"] == "model_declined"
    assert done["refusal_logprob"] == pytest.approx(math.log(0.95), abs=1e-3)


def test_unlikely_refusal_rules_the_refusal_out(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(ANSWER, opening_logprob=math.log(0.05))
    events = ask(gen, refuse_above=0.9, insist_below=0.2)
    assert [o.avoid_opening for o in gen.options] == [ABSTAIN_TEXT["ja"]]
    assert "".join(d["text"] for n, d in events if n == "token") == "".join(ANSWER)
    assert events[-1][1]["abstained"] is False


def test_in_between_the_model_decides_and_the_odds_are_reported(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(ANSWER, opening_logprob=math.log(0.5))
    events = ask(gen, refuse_above=0.9, insist_below=0.2)
    assert [o.avoid_opening for o in gen.options] == [""]
    done = events[-1][1]
    assert done["abstained"] is False and done["refusal_logprob"] == pytest.approx(math.log(0.5), abs=1e-3)


def test_by_default_the_odds_are_not_read(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(ANSWER, opening_logprob=math.log(0.95))
    events = ask(gen)
    assert [o.avoid_opening for o in gen.options] == [""]
    assert events[-1][1]["refusal_logprob"] is None and events[-1][1]["abstained"] is False


def test_by_evidence_weak_retrieval_outweighs_low_odds(ask: Callable[..., Any]) -> None:
    # Odds of 0.05 alone would rule the refusal out (see above); the fake embedder's best similarity
    # is far below e5's for a passage that answers, so the evidence says unanswerable and Shiori
    # abstains without letting the model write.
    gen = FakeGenerator(ANSWER, opening_logprob=math.log(0.05))
    events = ask(gen, decide_by="evidence", refuse_above=0.9, insist_below=0.2)
    done = events[-1][1]
    assert FITTED.unanswerable(Evidence(done["best_score"], 1.0, 0.05)) >= 0.9
    assert gen.calls == [] and done["abstained"] is True and done["abstain_reason"] == "model_declined"


def test_by_evidence_a_question_in_another_language_is_left_to_the_model(ask: Callable[..., Any]) -> None:
    # The same weak evidence and odds as above, but an English question over the Japanese page: the
    # question's words cannot stand in the page, so there is no coverage and no decision; the model
    # writes, refusal allowed (the case `shiori ask` found refused although the page answers it).
    gen = FakeGenerator(ANSWER, opening_logprob=math.log(0.05))
    events = ask(gen, "How tall is Tokyo Tower?", decide_by="evidence", refuse_above=0.9, insist_below=0.2)
    done = events[-1][1]
    assert [o.avoid_opening for o in gen.options] == [""]
    assert done["abstained"] is False and done["refusal_logprob"] == pytest.approx(math.log(0.05), abs=1e-3)
