"""Abstention as one decision (#15, item 3): how likely a question is unanswerable from its sources.

Before the model writes, two scores can say so. `refusal_odds`: the model's own probability of
opening with the refusal. `evidence`: that probability combined with what retrieval saw (the best
passage's dense similarity, and the share of the question's content units that the shown sources
hold) in a logistic model fitted on the visible sets (`bench/abstention_fit.py --evidence`). Either
score is compared with `answer.refuse_above` (abstain at once) and `answer.insist_below` (rule the
refusal's first token out, so the model answers); in between the model's greedy answer decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Decision = Literal["refuse", "insist", "model"]
DecideBy = Literal["refusal_odds", "evidence"]


@dataclass(frozen=True)
class Evidence:
    best_dense: float  # the best passage's dense similarity to the question (what abstain_below compares)
    coverage: float  # share of the question's content units that the shown sources hold (0..1)
    refusal_p: float  # the model's probability of opening with the refusal, read before it writes


@dataclass(frozen=True)
class EvidenceModel:
    """P(unanswerable) = sigmoid(bias + dense * best_dense + coverage * coverage + refusal * refusal_p)."""

    bias: float
    dense: float
    coverage: float
    refusal: float

    def unanswerable(self, e: Evidence) -> float:
        z = self.bias + self.dense * e.best_dense + self.coverage * e.coverage + self.refusal * e.refusal_p
        return 1.0 / (1.0 + math.exp(-z))


# Fitted by `bench/abstention_fit.py --evidence` (README, Abstention) on the two visible sets with
# unanswerable questions, with the two worked examples, the bundled e5 embedder and 1.5B model:
# LIT-RAGBench-en (all 114, each question over its own passages) and JSQuAD-valid (100 questions,
# asked once with their paragraph and once without it, 59 of them: `answer_quality.py --without-gold`).
# The odds' weight came out at zero (held to be >= 0): the model is sure of itself on JSQuAD's
# unanswerable questions (median odds 0.03) and unsure on LIT's answerable ones, so only retrieval's
# evidence carries across sets. Another embedder's similarities are on another scale: the service
# then leaves the decision to the model.
FITTED = EvidenceModel(bias=28.76, dense=-30.36, coverage=-3.56, refusal=0.0)


def unanswerable_p(
    decide_by: DecideBy,
    refusal_logprob: float | None,
    best_dense: float | None,
    coverage: float | None,
    model: EvidenceModel | None = FITTED,
) -> float | None:
    """The score the thresholds compare; None (the model decides) when the backend cannot read the
    model's odds, or, deciding by evidence, when some of it is missing (no coverage: the question has
    no content words, or its sources are in another language) or there is no model fitted for the
    embedder in use (``model`` None)."""
    if refusal_logprob is None:
        return None
    p = math.exp(refusal_logprob)
    if decide_by == "refusal_odds":
        return p
    if best_dense is None or coverage is None or model is None:
        return None
    return model.unanswerable(Evidence(best_dense, coverage, p))


def decide(p: float | None, refuse_above: float | None, insist_below: float | None) -> Decision:
    """Abstain at once ("refuse"), answer with the refusal ruled out ("insist"), or let the model's
    greedy answer decide ("model")."""
    if p is None:
        return "model"
    if refuse_above is not None and p >= refuse_above:
        return "refuse"
    if insist_below is not None and p < insist_below:
        return "insist"
    return "model"
