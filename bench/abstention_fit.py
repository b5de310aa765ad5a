"""Fit answer.refuse_above and answer.insist_below (#15, item 3) from two answer_quality runs per set.

    python bench/answer_quality.py --dataset lit --questions 0 --rows lit_A.json
    python bench/answer_quality.py --dataset lit --questions 0 --insist-below 1.01 --rows lit_B.json
    (the same for jsquad --questions 100)
    python bench/abstention_fit.py --set lit lit_A.json lit_B.json --set jsquad jsq_A.json jsq_B.json

(`--insist-below none,1.01 --rows R.json` makes both runs in one process: then `R.json#0 R.json#1`.
`--without-gold --rows N.json` asks the same JSQuAD questions without their gold passage: join it to
the answerable run as one set, `--set jsquad jsq.json#0+N.json jsq.json#1+-`.)

Run A lets the model decide; run B always rules the refusal's first token out. Each row holds the
model's probability of opening with the refusal (read before it wrote), so every policy's outcome is
known per question: P >= refuse_above abstains, P < insist_below takes run B's answer, anything else
run A's. One pair of thresholds for all sets (none per dataset): by default the one that answers the
most answerable questions (mean over sets) while every set's share of unanswerable questions abstained
on stays within --max-abstention-loss (0.02) of the model alone's; with -1, the one that maximises
mean abstention accuracy (`--objective abstention_accuracy` maximises it within the same limit). Ties go
to the policy closest to the model alone. Cross-validation: the
questions of every set split into 5 folds; thresholds fitted on 4 folds of every set are scored on
the fifth. `--leave-set-out` fits on all sets but one and scores that one, for each in turn;
`--validate NAME A B` scores a set never fitted on. Prints JSON.

`--evidence` fits what `answer.decide_by=evidence` compares instead of the odds alone: a logistic
model of P(unanswerable) from the odds, the best passage's dense similarity and the share of the
question's content units the shown sources hold (rows of `bench/answer_quality.py`), fitted on the
sets that have unanswerable questions (ridge-penalised, standardised features, each weight held to
the sign it must have). The thresholds are
then fitted on that probability as above; cross-validation refits the logistic model on each fold's
training questions too. The printed `evidence_model` is what `app/core/abstention.py` holds.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import REPO  # noqa: F401  (puts the repository on sys.path)

from app.core.abstention import Evidence, EvidenceModel

SIGNS = (-1, -1, 1)  # dense, coverage, odds: the direction each may push P(unanswerable)
REFUSE = [None, *[round(0.5 + 0.05 * i, 2) for i in range(10)], 0.99]
INSIST = [None, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5]


def read_rows(spec: str) -> list[dict[str, Any]]:
    """The rows of one run: ``FILE`` (its first run), ``FILE#K`` (run K of a sweep), several joined
    by ``+`` (one set made of two runs, e.g. JSQuAD's questions with and without their gold passage)."""
    rows: list[dict[str, Any]] = []
    for part in spec.split("+"):
        path, _, k = part.partition("#")
        rows += json.loads(Path(path).read_text(encoding="utf-8"))[int(k or 0)]
    return rows


def load(spec_a: str, spec_b: str) -> list[dict[str, Any]]:
    """Rows of run A (the model decides) paired with run B (refusal ruled out). Where there was no B
    run for a run (``-`` in its place), an answerable question keeps its own reply and an unanswerable
    one counts as answered when insisted on: the worst case for a policy that insists."""
    a_parts, b_parts = spec_a.split("+"), spec_b.split("+")
    if len(b_parts) != len(a_parts):
        raise SystemExit(f"{spec_a} and {spec_b}: as many B runs as A runs (- for none)")
    pairs: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for pa, pb in zip(a_parts, b_parts, strict=True):
        xs = read_rows(pa)  # each run's file read once
        pairs += zip(xs, [None] * len(xs) if pb == "-" else read_rows(pb), strict=True)
    rows = []
    for x, y in pairs:
        if y is None:
            y = x if x["answerable"] else {**x, "abstained": False, "contains": False}
        assert x["q"] == y["q"], (x["q"], y["q"])
        lp = x["refusal_logprob"]
        rows.append(
            {
                "p": math.exp(lp) if lp is not None else None,
                "answerable": x["answerable"],
                # as the service reads it: missing evidence leaves the question to the model
                "evidence": None
                if None in (lp, x.get("best_score"), x.get("coverage_all"))
                else (x["best_score"], x["coverage_all"], math.exp(lp)),
                "A": (bool(x["abstained"]), bool(x["contains"])),
                "B": (bool(y["abstained"]), bool(y["contains"])),
            }
        )
    return rows


def outcome(row: dict[str, Any], refuse: float | None, insist: float | None) -> tuple[bool, bool]:
    p = row["p"]
    if p is not None and refuse is not None and p >= refuse:
        return True, False
    if p is not None and insist is not None and p < insist:
        return row["B"]
    return row["A"]


def scores(rows: list[dict[str, Any]], refuse: float | None, insist: float | None) -> dict[str, float]:
    out = [(r, outcome(r, refuse, insist)) for r in rows]
    answerable = [(r, o) for r, o in out if r["answerable"]]
    unanswerable = [(r, o) for r, o in out if not r["answerable"]]
    return {
        "abstention_accuracy": sum(o[0] != r["answerable"] for r, o in out) / len(out),
        "answered_when_answerable": sum(not o[0] for _, o in answerable) / len(answerable)
        if answerable
        else math.nan,
        "abstained_when_unanswerable": (
            sum(o[0] for _, o in unanswerable) / len(unanswerable) if unanswerable else math.nan
        ),
        "contains_answer": sum(o[1] for _, o in answerable) / len(answerable) if answerable else math.nan,
    }


@dataclass(frozen=True)
class Rule:
    """What a fit maximises (the mean over sets of `measure`), and how much of the model's own
    abstention on unanswerable questions any set may lose (`max_loss`; None: no limit)."""

    measure: str = "answered_when_answerable"
    max_loss: float | None = 0.02

    def describe(self) -> str:
        limit = (
            ""
            if self.max_loss is None
            else f", abstention on unanswerable within {self.max_loss} of the model"
        )
        return f"mean {self.measure}{limit}"


def fit(sets: dict[str, list[dict[str, Any]]], rule: Rule) -> tuple[float | None, float | None, float]:
    """The thresholds with the best mean over sets of `rule.measure` among those that keep every
    set's share of unanswerable questions abstained on within `rule.max_loss` of the model alone's:
    by default the most answerable questions answered, since answering more must not cost the
    honesty that says "not in the documents"."""
    floor = {n: scores(rows, None, None)["abstained_when_unanswerable"] for n, rows in sets.items()}
    best: tuple[float, int, float | None, float | None] | None = None
    for refuse in REFUSE:
        for insist in INSIST:
            if refuse is not None and insist is not None and insist >= refuse:
                continue
            results = {n: scores(rows, refuse, insist) for n, rows in sets.items()}
            if rule.max_loss is not None and any(
                not math.isnan(floor[n])
                and r["abstained_when_unanswerable"] < floor[n] - rule.max_loss - 1e-9
                for n, r in results.items()
            ):
                continue
            measure = rule.measure
            value = statistics.mean(r[measure] for r in results.values() if not math.isnan(r[measure]))
            change = (refuse is not None) + (insist is not None)  # ties: the least change to the model
            key = (round(value, 6), -change)
            if best is None or key > (best[0], -best[1]):
                best = (round(value, 6), change, refuse, insist)
    assert best is not None
    return best[2], best[3], best[0]


def fit_evidence(sets: dict[str, list[dict[str, Any]]], l2: float = 1.0) -> EvidenceModel:
    """Logistic regression of unanswerable on (dense, coverage, odds), by gradient descent on
    standardised features with a ridge penalty, over the rows of the sets that hold both kinds of
    question; returned in the features' own units."""
    rows = [
        r
        for rs in sets.values()
        if any(not r["answerable"] for r in rs) and any(r["answerable"] for r in rs)
        for r in rs
        if r["evidence"] is not None
    ]
    if not rows:
        raise SystemExit("--evidence needs a set with both answerable and unanswerable questions")
    xs = [list(r["evidence"]) for r in rows]
    ys = [0.0 if r["answerable"] else 1.0 for r in rows]
    n, d = len(xs), len(xs[0])
    mu = [statistics.mean(x[j] for x in xs) for j in range(d)]
    sd = [statistics.pstdev(x[j] for x in xs) or 1.0 for j in range(d)]
    zs = [[(x[j] - mu[j]) / sd[j] for j in range(d)] for x in xs]
    w, b = [0.0] * d, 0.0
    for _ in range(3000):
        errs = [
            1 / (1 + math.exp(-(b + sum(wj * zj for wj, zj in zip(w, z, strict=True))))) - y
            for z, y in zip(zs, ys, strict=True)
        ]
        w = [
            wj - 0.5 * (sum(e * z[j] for e, z in zip(errs, zs, strict=True)) + l2 * wj) / n
            for j, wj in enumerate(w)
        ]
        # each piece of evidence may only push one way: a closer passage or more of the question's
        # words never make "unanswerable" likelier, the model's odds of refusing never less likely
        w = [min(wj, 0.0) if sign < 0 else max(wj, 0.0) for wj, sign in zip(w, SIGNS, strict=True)]
        b -= 0.5 * sum(errs) / n
    raw = [w[j] / sd[j] for j in range(d)]
    bias = b - sum(raw[j] * mu[j] for j in range(d))
    return EvidenceModel(bias=bias, dense=raw[0], coverage=raw[1], refusal=raw[2])


def with_evidence(
    sets: dict[str, list[dict[str, Any]]], model: EvidenceModel
) -> dict[str, list[dict[str, Any]]]:
    """The rows with "p" replaced by the model's P(unanswerable)."""
    return {
        n: [
            {**r, "p": None if r["evidence"] is None else model.unanswerable(Evidence(*r["evidence"]))}
            for r in rows
        ]
        for n, rows in sets.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", nargs=3, action="append", metavar=("NAME", "ROWS_A", "ROWS_B"), required=True)
    ap.add_argument(
        "--validate",
        nargs=3,
        action="append",
        default=[],
        metavar=("NAME", "ROWS_A", "ROWS_B"),
        help="a set scored with what the --set sets fitted, never used to fit",
    )
    ap.add_argument(
        "--leave-set-out",
        action="store_true",
        help="also fit on all --set sets but one and score that one, for each in turn",
    )
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument(
        "--max-abstention-loss",
        type=float,
        default=0.02,
        help="how much of the model's abstention on unanswerable questions a policy may give up; "
        "-1: none of this, maximise mean abstention accuracy instead",
    )
    ap.add_argument(
        "--objective",
        choices=["answered_when_answerable", "abstention_accuracy"],
        default=None,
        help="what the thresholds maximise (mean over sets), within --max-abstention-loss",
    )
    ap.add_argument("--splits", type=int, default=1, help="repeat the cross-validation over this many splits")
    ap.add_argument("--evidence", action="store_true", help="fit answer.decide_by=evidence (see above)")
    args = ap.parse_args()
    sets = {name: load(a, b) for name, a, b in args.set}
    validate = {name: load(a, b) for name, a, b in args.validate}
    raw_sets = sets
    model = None
    if args.evidence:
        model = fit_evidence(sets)
        sets, validate = with_evidence(sets, model), with_evidence(validate, model)

    max_loss = None if args.max_abstention_loss < 0 else args.max_abstention_loss
    # -1 alone keeps its old meaning: the best mean abstention accuracy, no limit
    objective = args.objective or ("abstention_accuracy" if max_loss is None else "answered_when_answerable")
    rule = Rule(objective, max_loss)
    refuse, insist, value = fit(sets, rule)
    report: dict[str, Any] = {
        "fitted": {
            "objective": rule.describe(),
            "refuse_above": refuse,
            "insist_below": insist,
            "objective_value": round(value, 4),
        },
        "decide_by": "evidence" if model else "refusal_odds",
        "evidence_model": None if model is None else {k: round(v, 2) for k, v in vars(model).items()},
        "model_alone": {n: _round(scores(rows, None, None)) for n, rows in sets.items()},
        "fitted_policy": {n: _round(scores(rows, refuse, insist)) for n, rows in sets.items()},
        "always_insist": {n: _round(scores(rows, None, 1.01)) for n, rows in sets.items()},
    }
    if validate:
        report["validated"] = {
            n: {
                "model_alone": _round(scores(rows, None, None)),
                "fitted_policy": _round(scores(rows, refuse, insist)),
            }
            for n, rows in validate.items()
        }
    if args.leave_set_out:
        report["left_out_set"] = {n: leave_out(raw_sets, n, model is not None, rule) for n in raw_sets}
    held, chosen = cross_validate(sets, model is not None, rule, args.folds, seed=0)
    report["cross_validated"] = {"thresholds_per_fold": chosen, **held}
    if args.splits > 1:  # the held-out figures vary with how the questions fall into folds
        runs = [
            cross_validate(sets, model is not None, rule, args.folds, seed)[0] for seed in range(args.splits)
        ]
        report[f"cross_validated_{args.splits}_splits"] = {
            n: {
                measure: {
                    "mean": round(statistics.mean(v), 4),
                    "min": round(min(v), 4),
                    "max": round(max(v), 4),
                }
                for measure in runs[0][n]
                if None not in (v := [run[n][measure] for run in runs])
            }
            for n in sets
        }
    report["p_refusal_quantiles"] = {
        n: {
            side: _quantiles([r["p"] for r in rows if r["answerable"] == answerable and r["p"] is not None])
            for side, answerable in (("answerable", True), ("unanswerable", False))
        }
        for n, rows in sets.items()
    }
    print(json.dumps(report, indent=2))


def leave_out(sets: dict[str, list[dict[str, Any]]], name: str, evidence: bool, rule: Rule) -> dict[str, Any]:
    """Fit (the logistic model too, with `evidence`) on every set but `name`, then score `name`: how
    the fit carries to a set it never saw."""
    train = {n: rows for n, rows in sets.items() if n != name}
    held = {name: sets[name]}
    out: dict[str, Any] = {}
    if evidence:
        try:
            fold_model = fit_evidence(train)
        except SystemExit as exc:
            return {"skipped": str(exc)}
        train, held = with_evidence(train, fold_model), with_evidence(held, fold_model)
        out["evidence_model"] = {k: round(v, 2) for k, v in vars(fold_model).items()}
    refuse, insist, _ = fit(train, rule)
    return {
        **out,
        "refuse_above": refuse,
        "insist_below": insist,
        "model_alone": _round(scores(held[name], None, None)),
        "fitted_policy": _round(scores(held[name], refuse, insist)),
    }


def cross_validate(
    sets: dict[str, list[dict[str, Any]]], evidence: bool, rule: Rule, n_folds: int, seed: int
) -> tuple[dict[str, dict[str, float | None]], list[dict[str, float | None]]]:
    """Each set's questions split into folds (by `seed`); thresholds (and with `evidence` the logistic
    model) fitted on the other folds of every set decide the held-out fold. Held-out scores per set,
    and the thresholds of each fold."""
    rng = random.Random(seed)
    folds = {n: [i % n_folds for i in rng.sample(range(len(rows)), len(rows))] for n, rows in sets.items()}
    held: dict[str, list[tuple[dict[str, Any], tuple[bool, bool]]]] = {n: [] for n in sets}
    chosen = []
    for k in range(n_folds):
        train = {n: [r for r, f in zip(rows, folds[n], strict=True) if f != k] for n, rows in sets.items()}
        fold_sets = sets
        if evidence:  # the logistic model too is fitted on the training folds only
            fold_model = fit_evidence(train)
            train, fold_sets = with_evidence(train, fold_model), with_evidence(sets, fold_model)
        r_k, i_k, _ = fit(train, rule)
        chosen.append({"refuse_above": r_k, "insist_below": i_k})
        for n in sets:
            held[n].extend(
                (r, outcome(r, r_k, i_k)) for r, f in zip(fold_sets[n], folds[n], strict=True) if f == k
            )
    return {n: _round(_held_scores(pairs)) for n, pairs in held.items()}, chosen


def _held_scores(pairs: list[tuple[dict[str, Any], tuple[bool, bool]]]) -> dict[str, float]:
    """Scores of the held-out outcomes (each question decided by its own fold's thresholds)."""
    answerable = [o for r, o in pairs if r["answerable"]]
    unanswerable = [o for r, o in pairs if not r["answerable"]]
    return {
        "abstention_accuracy": sum(o[0] != r["answerable"] for r, o in pairs) / len(pairs),
        "answered_when_answerable": sum(not o[0] for o in answerable) / len(answerable)
        if answerable
        else math.nan,
        "abstained_when_unanswerable": sum(o[0] for o in unanswerable) / len(unanswerable)
        if unanswerable
        else math.nan,
        "contains_answer": sum(o[1] for o in answerable) / len(answerable) if answerable else math.nan,
    }


def _round(d: dict[str, float]) -> dict[str, float | None]:
    return {k: None if math.isnan(v) else round(v, 4) for k, v in d.items()}


def _quantiles(xs: list[float]) -> dict[str, float] | None:
    if not xs:
        return None
    xs = sorted(xs)
    return {f"p{q}": round(xs[int(q / 100 * (len(xs) - 1))], 4) for q in (10, 25, 50, 75, 90)}


if __name__ == "__main__":
    main()
