"""Abstention as one decision (#15, item 3): the model's odds of opening with the refusal, read before
it writes, decide whether Shiori abstains at once, lets the model decide, or rules the refusal out."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.api.app import create_app
from app.core.abstention import FITTED, Evidence, EvidenceModel, decide, unanswerable_p
from app.core.generation.fake import FakeGenerator
from app.core.prompting import ABSTAIN_TEXT
from app.core.settings import Settings
from tests.support.http import ask_about_the_tower, started_clients

pytestmark = pytest.mark.unit

ANSWER = ["高さは", "333メートル", "です[1]。"]
ODDS_ALONE = {"decide_by": "refusal_odds", "refuse_above": None, "insist_below": None}


@pytest.fixture
def ask(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[Callable[..., Any]]:
    with started_clients() as start:

        def run(
            gen: FakeGenerator,
            question: str = "東京タワーの高さは？",
            embedding: dict[str, Any] | None = None,
            **answer: Any,
        ) -> list[tuple[str, Any]]:
            # the odds alone, both thresholds off, unless a test says otherwise (defaults=True: as shipped)
            pinned = {} if answer.pop("defaults", False) else dict(ODDS_ALONE)
            settings = make_settings(
                sqlite_url,
                worker={"embedded": True},
                answer={"abstain_below": -1.0, **pinned, **answer},
                **({"embedding": embedding} if embedding else {}),
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
    # each piece of evidence moves the score the way it should, the others held (the fit holds the
    # odds' weight at or above zero; it came out at zero: they do not carry across sets)
    e = Evidence(best_dense=0.87, coverage=0.6, refusal_p=0.3)
    base = FITTED.unanswerable(e)
    assert FITTED.unanswerable(Evidence(0.90, 0.6, 0.3)) < base
    assert FITTED.unanswerable(Evidence(0.87, 0.9, 0.3)) < base
    assert FITTED.unanswerable(Evidence(0.87, 0.6, 0.8)) >= base
    tilted = EvidenceModel(FITTED.bias, FITTED.dense, FITTED.coverage, refusal=2.0)
    assert tilted.unanswerable(Evidence(0.87, 0.6, 0.8)) > tilted.unanswerable(e)


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


def test_with_both_thresholds_off_the_odds_are_not_read(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(ANSWER, opening_logprob=math.log(0.95))
    events = ask(gen)
    assert [o.avoid_opening for o in gen.options] == [""]
    assert events[-1][1]["refusal_logprob"] is None and events[-1][1]["abstained"] is False


def test_as_shipped_the_evidence_decides(ask: Callable[..., Any]) -> None:
    defaults = Settings().answer
    assert (defaults.decide_by, defaults.refuse_above, defaults.insist_below) == ("evidence", 0.9, 0.4)
    # the fake embedder's similarity is far below e5's for a page that answers: weak evidence, so
    # Shiori abstains before the model writes, whatever the model's odds
    gen = FakeGenerator(ANSWER, opening_logprob=math.log(0.05))
    done = ask(gen, defaults=True)[-1][1]
    assert gen.calls == [] and done["abstained"] is True and done["abstain_reason"] == "model_declined"


def test_another_embedder_leaves_the_decision_to_the_model(ask: Callable[..., Any], tmp_path: Path) -> None:
    # The evidence model is fitted on the bundled e5's similarities; with a model of the user's own
    # (model_path; the fake backend ignores it) they mean something else, so the thresholds decide
    # nothing and the model writes (the odds are still read and sent).
    gen = FakeGenerator(ANSWER, opening_logprob=math.log(0.05))
    done = ask(gen, defaults=True, embedding={"backend": "fake", "model_path": str(tmp_path)})[-1][1]
    assert [o.avoid_opening for o in gen.options] == [""]
    assert done["abstained"] is False and done["refusal_logprob"] == pytest.approx(math.log(0.05), abs=1e-3)


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
