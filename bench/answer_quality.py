"""Answer quality and answer timings on an evaluation set, through the service's own answering path.

Every passage of the set is ingested as its own document (the whole set, so retrieval is realistic),
then N sampled questions are answered with default settings and the real model. Reports exact match,
F1 (characters for Japanese, words for English), "contains the reference", citation precision and
abstention accuracy (the same scoring as `shiori eval --answers`), and per question the time to the
`sources` event, time to first token and the whole answer. Prints JSON.

    python bench/answer_quality.py [--dataset jsquad|xquad|lit|PATH] [--questions 100] [--data-dir DIR]
                                   [--context-tokens N[,N…]] [--no-select]

Several `--context-tokens` values (`300,500,900`) answer the same questions once per budget, with the
index and the model loaded once: the budget sweep behind the README's TTFT/quality trade-off.
`--examples off,1,2,on` does the same for the worked examples (none, the first N, all of them).

`--data-dir` reuses a folder that bench/retrieval.py (or an earlier run) already ingested.

LIT-RAGBench is asked as it is meant to be, each question over its own positive and negative chunks
(`--corpus auto`): it asks 54 of its questions twice, with the answer's chunk and without it
(A_negative_only), so over one shared corpus (`--corpus shared`) both copies find the answer and no
abstention policy can get more than about half of them right.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import REPO, SHARED, build_container, drain, make_settings, percentile

from app.core import prompting
from app.core.citations import SUPPORT_THRESHOLD
from app.core.second_look import names_two_things
from app.services.answer_events import CitationsEvent, DoneEvent, SourcesEvent
from app.services.answering import AskRequest
from app.services.eval_data import EvalDataset, EvalQuestion, load_dataset
from app.services.eval_runner import asks_by_question, corpus_size, ingest, ingest_by_question
from app.services.evaluation import AnswerRecord, answer_metrics, contains_answer

DATASETS = {
    "jsquad": SHARED / "eval/jsquad/valid-v1.3.json",
    "xquad": SHARED / "eval/xquad-en/xquad.en.json",
    "lit": SHARED / "eval/lit-ragbench/en.jsonl",
}
MARKER = re.compile(r"\s*\[\d+\]")


def ask(container: Any, question: str, collection: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    out: dict[str, Any] = {"answer": "", "sources_ms": None, "citations": []}
    assert container.answers is not None
    for ev in container.answers.stream(AskRequest(question, collection)):
        if isinstance(ev, SourcesEvent):
            out["sources_ms"] = (time.perf_counter() - t0) * 1000
            out["shown"] = [s.shown for s in ev.sources]
            out["source_docs"] = [s.document_id for s in ev.sources]
            out["scores"] = [round(s.score, 4) for s in ev.sources]
            out["more_queries"] = ev.more_queries
        elif isinstance(ev, CitationsEvent):
            out["answer"] = ev.answer
            out["citations"] = [c.model_dump() for c in ev.citations]
            out["sentences_supported"] = [x.supported for x in ev.sentences]
            out["answers_question"] = ev.answers_question
            out["revised_from"] = ev.revised_from
        elif isinstance(ev, DoneEvent):
            out.update(ev.model_dump())
    out["total_ms"] = (time.perf_counter() - t0) * 1000
    return out


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def summary(values: list[float | None]) -> dict[str, float] | None:
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {"p50": round(percentile(vals, 50), 1), "p95": round(percentile(vals, 95), 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="jsquad", help="jsquad, xquad, lit or a path")
    ap.add_argument("--questions", type=int, default=100, help="sample this many questions (0 = all)")
    ap.add_argument(
        "--sample-seed",
        type=int,
        default=0,
        help="which sample of --questions (0: the one every closing note before session 15 reports)",
    )
    ap.add_argument("--data-dir", type=Path, default=None, help="reuse an ingested data folder")
    ap.add_argument(
        "--context-tokens", default=None, help="override answer.context_tokens; a comma list sweeps budgets"
    )
    ap.add_argument("--no-select", action="store_true", help="whole passages (answer.select_sentences off)")
    ap.add_argument("--refuse-above", type=float, default=None, help="answer.refuse_above")
    ap.add_argument(
        "--insist-below",
        default=None,
        help="answer.insist_below (1.01: always); a comma list (none,1.01) answers the same questions each "
        "way: the two runs bench/abstention_fit.py reads, with the index and the model loaded once",
    )
    ap.add_argument(
        "--examples",
        default="off",
        help="answer.examples: off, on, or N (the first N worked examples); a comma list (off,2,on) "
        "answers the same questions each way",
    )
    ap.add_argument(
        "--layout",
        default="plain",
        help="where the question stands in the prompt: plain (after the sources), twice (before and "
        "after them), nearest (after them, the most relevant source last); a comma list compares",
    )
    ap.add_argument(
        "--recheck-off-question",
        default=None,
        help="answer.recheck_off_question: off, on, or off,on (the same questions each way)",
    )
    ap.add_argument("--second-look", default="off", help="answer.second_look: off, on, or off,on")
    ap.add_argument(
        "--second-look-below", type=float, default=None, help="answer.second_look_below (with --second-look)"
    )
    ap.add_argument(
        "--kinds", default=None, help="only questions of these kinds (LIT-RAGBench qa_type, comma list)"
    )
    ap.add_argument(
        "--only-two-things",
        action="store_true",
        help="only the questions the second look runs for by their words (names_two_things)",
    )
    ap.add_argument(
        "--corpus",
        default="auto",
        choices=["auto", "shared", "own"],
        help="own: each question over its own passages (auto: where the set gives them, LIT-RAGBench)",
    )
    ap.add_argument(
        "--without-gold",
        action="store_true",
        help="ask the sampled questions over the corpus without their gold passages, as unanswerable "
        "(questions whose reference stands in another passage of the same article are left out)",
    )
    ap.add_argument("--rows", type=Path, default=None, help="also write the per-question rows here (JSON)")
    args = ap.parse_args()

    path = DATASETS.get(args.dataset, Path(args.dataset))
    dataset = load_dataset(path)
    questions = dataset.questions
    if args.kinds:
        wanted = set(args.kinds.split(","))
        questions = [q for q in questions if wanted & set(q.kind)]
    if args.questions and args.questions < len(questions):
        questions = random.Random(args.sample_seed).sample(questions, args.questions)
    if args.only_two_things:  # after sampling: the same questions as a full run's
        questions = [q for q in questions if names_two_things(q.question)]
    left_out = 0
    if args.without_gold:
        dataset, questions, left_out = without_gold(dataset, questions)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="shiori-bench-"))
    settings = make_settings(data_dir)
    budgets = [int(b) for b in args.context_tokens.split(",")] if args.context_tokens else []
    settings.answer.select_sentences = not args.no_select
    settings.answer.read_refusal_odds = True  # recorded per question (bench/abstention_fit.py reads them)
    settings.answer.refuse_above = args.refuse_above
    insists = [None if v.strip() == "none" else float(v) for v in (args.insist_below or "none").split(",")]
    settings.generator.gguf_path = REPO / "data/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    container = build_container(settings, with_generator=True)
    assert container.generator is not None and container.registry is not None
    container.generator.warm_up()
    own = args.corpus == "own" or (args.corpus == "auto" and asks_by_question(questions))
    if own:  # each question over the passages the set gives it (LIT-RAGBench), one collection each
        own_corpora = ingest_by_question(container, dataset, questions, lambda _n: drain(container))
        corpora = {qid: (c.collection, c) for qid, c in own_corpora.items()}
        sizes = [corpus_size(container, c) for c, _ in corpora.values()]
        n_docs, n_chunks = sum(d for d, _ in sizes), sum(c for _, c in sizes)
    else:
        corpus = ingest(container, "bench", dataset, [], lambda _n: drain(container))
        corpora = {q.id: ("bench", corpus) for q in questions}
        n_docs, n_chunks = corpus_size(container, "bench")
    container.registry.sync()

    runs = []
    settings.answer.second_look_below = args.second_look_below
    off_question = args.recheck_off_question or ("on" if settings.answer.recheck_off_question else "off")
    ways = itertools.product(
        [v.strip() for v in args.layout.split(",")],
        [examples_shown(v) for v in args.examples.split(",")],
        [v.strip() == "on" for v in args.second_look.split(",")],
        [v.strip() == "on" for v in off_question.split(",")],
        budgets or [settings.answer.context_tokens],
        insists,
    )
    for layout, shown, look, off_q, budget, insist in ways:
        settings.answer.context_tokens = budget
        settings.answer.insist_below = insist
        settings.answer.examples = shown > 0
        settings.answer.second_look = look
        settings.answer.recheck_off_question = off_q
        with first_examples(shown), prompt_layout(layout):
            # warm-up: the system prompt (and the examples) enter the prefix cache
            ask(container, questions[0].question, corpora[questions[0].id][0])
            run = run_questions(container, corpora, questions)
            runs.append(
                {
                    "layout": layout,
                    "examples_shown": shown,
                    "insist_below": insist,
                    "recheck_off_question": off_q,
                    **run,
                }
            )
    report: dict[str, Any] = {
        "dataset": path.name,
        "documents": n_docs,
        "chunks": n_chunks,
        "search_mode": container.settings.search.mode,
        "sample_seed": args.sample_seed,
        "corpus": "each question its own passages" if own else "one shared corpus",
        **({"without_gold": {"asked": len(questions), "left_out": left_out}} if args.without_gold else {}),
        **runs[0],
    }
    if len(runs) > 1:
        report = {**{k: v for k, v in report.items() if k not in runs[0]}, "sweep": runs}
    if args.rows is not None:
        args.rows.write_text(json.dumps([run["per_question"] for run in runs], ensure_ascii=False, indent=1))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    container.close()


def without_gold(
    dataset: EvalDataset, questions: list[EvalQuestion]
) -> tuple[EvalDataset, list[EvalQuestion], int]:
    """The set's unanswerable twin: every asked question's gold passage leaves the corpus and the
    question counts as unanswerable, with its article's other passages left in as on-topic
    distractors (the way LIT-RAGBench builds its A_negative_only questions). A question whose
    reference still stands in one of its article's remaining passages may be answerable after all,
    so it is left out (counted)."""
    removed = {k for q in questions for k in q.gold_passages}
    kept = [p for p in dataset.passages if p.key not in removed]
    titles = {p.key: p.title for p in dataset.passages}
    by_title: dict[str, list[str]] = {}
    for p in kept:
        by_title.setdefault(p.title, []).append(p.text)
    asked = []
    for q in questions:
        siblings = {t for k in q.gold_passages for t in by_title.get(titles[k], [])}
        if q.gold_passages and not any(contains_answer(text, q.answers) for text in siblings):
            asked.append(dataclasses.replace(q, gold_passages=frozenset(), answerable=False))
    reduced = dataclasses.replace(dataset, name=f"{dataset.name}-without-gold", passages=kept)
    return reduced, asked, len(questions) - len(asked)


def citation_kinds(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Of answered questions' citations: how many of each status point at a gold document, and the
    precision of those Shiori presents as support (verified or inferred; a flagged one is shown as
    not supporting its sentence)."""
    kinds: dict[str, list[int]] = {}
    for r in rows:
        if r["abstained"]:
            continue
        for status, gold in zip(r["statuses"], r["cited_gold"], strict=True):
            kinds.setdefault(status, [0, 0])[0 if gold else 1] += 1
    shown = [v for k, v in kinds.items() if k != "unsupported"]
    right, total = sum(v[0] for v in shown), sum(v[0] + v[1] for v in shown)
    return {
        "gold_of_each_status": {k: {"gold": v[0], "other": v[1]} for k, v in sorted(kinds.items())},
        "precision_unflagged": round(right / total, 4) if total else None,
    }


def examples_shown(value: str) -> int:
    """off -> 0, on -> all of them, N -> the first N (in the prompt's order)."""
    value = value.strip()
    every = min(len(turns) for turns in prompting._EXAMPLES.values())
    if value in ("off", "on"):
        return every if value == "on" else 0
    if not value.isdigit() or not 0 <= int(value) <= every:
        raise SystemExit(f"--examples: off, on or a number 0..{every}, not {value!r}")
    return int(value)


@contextmanager
def first_examples(n: int) -> Iterator[None]:
    """Show only the first n worked examples while the block runs (a measurement switch: the service
    has only answer.examples on or off)."""
    kept = dict(prompting._EXAMPLES)
    prompting._EXAMPLES.update({lang: turns[:n] for lang, turns in kept.items()})
    try:
        yield
    finally:
        prompting._EXAMPLES.update(kept)


_BLOCK_START = re.compile(r"\n\n(?=\[\d+\] )")


@contextmanager
def prompt_layout(name: str) -> Iterator[None]:
    """Where the question stands in the user turn, for the worked examples too, while the block runs
    (a measurement switch). plain: after the sources; twice: before and after them; nearest: after
    them, the sources shown in reverse so the most relevant one is next to the question (numbers
    unchanged: [1] is still the most relevant)."""
    plain = prompting._user_turn

    def twice(blocks: str, question: str, lang: prompting.Lang) -> str:
        return f"{prompting._LABELS[lang][1]}: {question}\n\n{plain(blocks, question, lang)}"

    def nearest(blocks: str, question: str, lang: prompting.Lang) -> str:
        return plain("\n\n".join(reversed(_BLOCK_START.split(blocks))), question, lang)

    variants = {"plain": plain, "twice": twice, "nearest": nearest}
    if name not in variants:
        raise SystemExit(f"--layout: one of {', '.join(variants)}, not {name!r}")
    prompting._user_turn = variants[name]  # type: ignore[assignment]
    try:
        yield
    finally:
        prompting._user_turn = plain  # type: ignore[assignment]


def flag_rates(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How often an answer shows an unsupported citation, for answers that hold the reference (false
    alarms, mostly) and answered ones that don't (catches, where the answer is wrong); and how often a
    citation names missing numbers or names. The citation check's effect on real answers."""

    def share(group: list[dict[str, Any]], lexical: bool = False) -> float | None:
        flagged = [r for r in group if (r["lexical_flag"] if lexical else "unsupported" in r["statuses"])]
        return round(len(flagged) / len(group), 4) if group else None

    def shown(group: list[dict[str, Any]]) -> float | None:
        return round(sum(1 for r in group if any_flag(r)) / len(group), 4) if group else None

    def revised(group: list[dict[str, Any]]) -> float | None:
        return round(sum(1 for r in group if r.get("revised_from")) / len(group), 4) if group else None

    answered = [r for r in rows if not r["abstained"] and r["answerable"]]
    right = [r for r in answered if r["contains"]]
    wrong = [r for r in answered if not r["contains"]]
    invented = [r for r in rows if not r["abstained"] and not r["answerable"]]
    return {
        "answered": len(answered),
        "flagged_when_right": share(right),
        "flagged_when_wrong": share(wrong),
        # any flag the reader sees: an unsupported citation or sentence, or no number where one is asked
        "any_flag_when_right": shown(right),
        "any_flag_when_wrong": shown(wrong),
        # the UI's "Revised" note: the first answer was flagged and replaced (not a flag on this one)
        "revised_when_right": revised(right),
        "revised_when_wrong": revised(wrong),
        "answered_unanswerable": len(invented),
        "any_flag_when_unanswerable": shown(invented),
        "flagged_when_right_lexical_only": share(right, lexical=True),
        "flagged_when_wrong_lexical_only": share(wrong, lexical=True),
        "right": len(right),
        "wrong": len(wrong),
        "with_missing_terms": sum(1 for r in answered if r["missing"]),
    }


def any_flag(row: dict[str, Any]) -> bool:
    """Does the reader see a warning on this answer?"""
    unsupported = "unsupported" in row["statuses"] or not all(row.get("sentences_supported", []))
    return unsupported or not row.get("answers_question", True)


def recheck(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How often the check's flag sent an answer back to the model (answer.recheck), how often the
    second attempt replaced it, what that did to answers that hold the reference, and what it took
    (after the streamed answer: time to first token doesn't include it)."""
    ran = [r for r in rows if r.get("recheck_ms") is not None]
    revised = [r for r in ran if r.get("revised_from") is not None]
    answerable = [r for r in rows if r["answerable"]]
    return {
        "ran": len(ran),
        "revised": len(revised),
        "wrong_to_right": sum(
            1 for r in revised if r["answerable"] and r["contains"] and not r["first_contains"]
        ),
        "right_to_wrong": sum(
            1 for r in revised if r["answerable"] and r["first_contains"] and not r["contains"]
        ),
        "revised_and_wrong": sum(1 for r in revised if r["answerable"] and not r["contains"]),
        "revised_when_unanswerable": sum(1 for r in revised if not r["answerable"]),
        "contains_as_streamed": round(sum(r["first_contains"] for r in answerable) / len(answerable), 4)
        if answerable
        else None,
        "ms": summary([r["recheck_ms"] for r in ran]),
    }


def second_look(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How often the second round ran, what it cost, and whether every gold document reached the
    prompt (questions whose answer spans several passages need all of them)."""
    ran = [r for r in rows if r["second_look"]]
    with_gold = [r for r in rows if r["gold"]]
    return {
        "ran": len(ran),
        "of": len(rows),
        "ms": summary([r["second_look_ms"] for r in ran]),
        "all_gold_shown": sum(1 for r in with_gold if r["gold_shown"] == r["gold"]),
        "gold_shown": sum(r["gold_shown"] for r in with_gold),
        "gold": sum(r["gold"] for r in with_gold),
    }


def reading(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Where answerable questions were lost: the reference never reached the prompt (search and
    packing), or it did and the model declined or answered without it (reading)."""
    answerable = [r for r in rows if r["answerable"]]
    shown = [r for r in answerable if r["in_prompt"]]
    return {
        "answerable": len(answerable),
        "reference_in_prompt": len(shown),
        "declined_with_reference_in_prompt": sum(1 for r in shown if r["abstained"]),
        "answered_without_it_though_shown": sum(1 for r in shown if not r["abstained"] and not r["contains"]),
    }


def run_questions(container: Any, corpora: dict[str, Any], questions: list[Any]) -> dict[str, Any]:
    """Answer every question with the container's current settings; quality, timings, per question."""
    records, rows = [], []
    budget = container.settings.answer.context_tokens
    t0 = time.perf_counter()
    for i, q in enumerate(questions, 1):
        collection, corpus = corpora[q.id]
        r = ask(container, q.question, collection)
        answer = MARKER.sub("", r["answer"]).strip()
        cited_docs = tuple(c["document_id"] for c in r["citations"])
        gold = frozenset(corpus.gold(q))
        records.append(AnswerRecord(answer, bool(r["abstained"]), q.answers, q.answerable, cited_docs, gold))
        rows.append(
            {
                "q": q.question,
                "refs": list(q.answers)[:3],
                "answerable": q.answerable,
                "answer": answer[:200],
                "abstained": r["abstained"],
                "abstain_reason": r.get("abstain_reason"),
                "cited_gold": [d in gold for d in cited_docs],
                "source_gold": [d in gold for d in r.get("source_docs", [])],  # by source number - 1
                "statuses": [c["status"] for c in r["citations"]],
                "supports": [round(c["support"], 3) for c in r["citations"]],
                # what the support score alone (the check before key terms) flags, same answers
                "lexical_flag": any(
                    c["status"] != "inferred" and c["support"] < SUPPORT_THRESHOLD for c in r["citations"]
                ),
                "missing": sorted({m for c in r["citations"] for m in c.get("missing", [])}),
                "contains": bool(q.answerable and contains_answer(answer, q.answers)),
                # answer.recheck: the streamed answer, when a second attempt replaced it
                "revised_from": r.get("revised_from"),
                "first_contains": bool(
                    q.answerable
                    and contains_answer(MARKER.sub("", r.get("revised_from") or answer).strip(), q.answers)
                ),
                "recheck_ms": r.get("recheck_ms"),
                # the reference in an answer to a question asked without its gold passage (--without-gold)
                "contains_reference": bool(
                    q.answers and not r["abstained"] and contains_answer(answer, q.answers)
                ),
                # how many of the question's gold documents the model was shown
                "gold_shown": sum(1 for d in gold if d in r.get("source_docs", [])),
                "gold": len(gold),
                "best_score": r.get("best_score"),
                "second_look": r.get("second_look"),
                "more_queries": r.get("more_queries", []),
                "second_look_ms": r.get("second_look_ms"),
                # the reference stands in what the model was shown: a miss is the model's, not search's
                "in_prompt": bool(q.answerable and contains_answer(" ".join(r.get("shown", [])), q.answers)),
                "refusal_logprob": r.get("refusal_logprob"),
                # retrieval evidence for the abstention fit: fused scores of the shown sources, and the
                # share of the question's content units that the first / all shown sources hold
                "scores": r.get("scores", []),
                "coverage_top": rounded(prompting.question_coverage(q.question, r.get("shown", [])[:1])),
                "coverage_all": rounded(prompting.question_coverage(q.question, r.get("shown", []))),
                "kind": list(q.kind),
                # what the model was shown and which of it each citation names (by source number),
                # so checks on the answer can be measured again from the rows
                "shown": r.get("shown", []),
                "raw_answer": r["answer"],  # as checked, with its [n] markers
                "sentences_supported": r.get("sentences_supported", []),
                "answers_question": r.get("answers_question", True),
                "cited": [c["number"] for c in r["citations"]],
                "sources_ms": round(r["sources_ms"] or 0, 1),
                "ttft_ms": r.get("ttft_ms"),
                "total_ms": round(r["total_ms"]),
            }
        )
        elapsed = time.perf_counter() - t0
        a = container.settings.answer
        shown = len(prompting._EXAMPLES["en"]) if a.examples else 0
        label = f"budget {budget}, examples {shown}, second look {a.second_look}, insist {a.insist_below}"
        print(f"[{label}] {i}/{len(questions)} {elapsed:.0f}s", file=sys.stderr, flush=True)
    return {
        "answer_settings": container.settings.answer.model_dump(),
        "quality": answer_metrics(records),
        "sources_event_ms": summary([r["sources_ms"] for r in rows]),
        "ttft_ms": summary([r["ttft_ms"] for r in rows]),
        "answer_total_ms": summary([r["total_ms"] for r in rows]),
        "flags": flag_rates(rows),
        "citations": citation_kinds(rows),
        "reading": reading(rows),
        "second_look": second_look(rows),
        "recheck": recheck(rows),
        "abstain_reasons": {
            reason: sum(1 for r in rows if r["abstain_reason"] == reason)
            for reason in sorted({r["abstain_reason"] for r in rows if r["abstain_reason"]})
        },
        "per_question": rows,
    }


if __name__ == "__main__":
    main()
