"""Answering speed and the TTFT levers, against raw llama-cpp-python on the identical prompt.

For each seed-corpus question: the service streams an answer (default settings, llama.cpp's prefix
cache warm with the system prompt, as in a running server); then the cache is cleared and the same
rendered prompt goes straight to llama-cpp-python. Reports TTFT and decode tokens/s of both, the ratio,
the time to the `sources` event, and TTFT + answer correctness for each lever setting. Prints JSON.

    python bench/answer.py [--levers] [--odds] [--compare JSON] [--questions N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, SHARED, add_texts, build_container, drain, make_settings

from app.core.generation.llama_cpp import LlamaCppGenerator
from app.core.prompting import detect_language
from app.services.answer_events import DoneEvent, SourcesEvent, TokenEvent
from app.services.answering import AskRequest

# (question, a string the right answer contains) — facts stated in the seed documents; None: the seeds
# do not say (they give GPT-3's training tokens, never its parameter count), so Shiori should abstain.
QUESTIONS: list[tuple[str, str | None]] = [
    ("Transformerは何年に提案されましたか？", "2017"),
    ("In what year was the Transformer architecture introduced?", "2017"),
    ("GPT-3の学習データに含まれる総トークン数はどれくらいですか？", "4900億"),
    ("Transformerを提案した論文のタイトルは何ですか？", "Attention"),
    ("What does BERT stand for?", "Bidirectional"),
    ("大規模言語モデルの事前学習では何を予測するように学習しますか？", "トークン"),
    ("GPT-3のパラメータ数はいくつですか？", None),
]


def is_correct(expected: str | None, run: dict[str, Any]) -> bool:
    return bool(run.get("abstained")) if expected is None else expected in run["answer"]


def service_run(container: Any, question: str) -> dict[str, Any]:
    t0 = time.perf_counter()
    sources_ms = None
    answer = ""
    done: dict[str, Any] = {}
    assert container.answers is not None
    for ev in container.answers.stream(AskRequest(question)):
        if isinstance(ev, SourcesEvent) and sources_ms is None:
            sources_ms = (time.perf_counter() - t0) * 1000
        elif isinstance(ev, TokenEvent):
            answer += ev.text
        elif isinstance(ev, DoneEvent):
            done = ev.model_dump()
    return {"answer": answer, "sources_ms": sources_ms, **done}


def raw_run(gen: LlamaCppGenerator, container: Any, question: str) -> dict[str, Any]:
    """The identical prompt the service would build, straight into llama-cpp-python, cold cache."""
    assert container.answers is not None
    svc = container.answers
    result = svc.retriever.search(question, "default", container.settings.answer.k)
    from app.core.prompting import build_messages, detect_language, pack_sources

    lang = detect_language(question)
    packed = pack_sources(
        question,
        result.passages,
        gen.count_tokens,
        budget=container.settings.answer.context_tokens,
        lang=lang,
    )
    prompt = gen.render(build_messages(question, packed.sources, lang))
    llm = gen._ensure()
    llm.reset()
    t0 = time.perf_counter()
    first = None
    text = ""
    for chunk in llm.create_completion(
        prompt=prompt,
        max_tokens=container.settings.generator.max_tokens,
        temperature=0.0,
        repeat_penalty=container.settings.generator.repeat_penalty,
        stop=["<|im_end|>", "<|endoftext|>"],
        stream=True,
    ):
        if first is None:
            first = time.perf_counter() - t0
        text += chunk["choices"][0]["text"]
    total = time.perf_counter() - t0
    tokens = gen.count_tokens(text)
    prompt_tokens = len(llm.tokenize(prompt.encode(), add_bos=False, special=True))
    return {
        "ttft_ms": (first or total) * 1000,
        "tokens": tokens,
        "tokens_per_s": (tokens - 1) / (total - (first or 0)) if tokens > 1 else None,
        "prompt_tokens": prompt_tokens,
        "answer": text,
    }


def med(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return round(statistics.median(vals), 1) if vals else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=len(QUESTIONS))
    ap.add_argument("--levers", action="store_true", help="also measure TTFT/quality per lever setting")
    ap.add_argument(
        "--odds", action="store_true", help="also TTFT with the refusal odds read and not read (answer.*)"
    )
    ap.add_argument(
        "--compare",
        default=None,
        help="answer settings to set against the defaults, as JSON (e.g. '{\"examples\": false}'): TTFT "
        "and correctness both ways, prefix cache warm and cold",
    )
    args = ap.parse_args()
    questions = QUESTIONS[: args.questions]
    gguf = REPO / "data/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    gen = LlamaCppGenerator(gguf)
    gen.warm_up()
    settings = make_settings(Path(tempfile.mkdtemp(prefix="shiori-bench-")), answer={"abstain_below": -1.0})
    settings.generator.gguf_path = gguf
    container = build_container(settings, generator=gen, with_generator=True)
    add_texts(
        container,
        "default",
        [(p.name, p.read_bytes()) for p in sorted((SHARED / "corpus/seeds").glob("*.txt"))],
    )
    drain(container)
    assert container.registry is not None
    container.registry.sync()
    # Warm-up with a question not measured: loads the system prompt into the prefix cache, as in a
    # running server, without caching a measured question's whole prompt.
    service_run(container, "言語モデルとは何ですか？")

    rows = []
    for q, expected in questions:
        svc = service_run(container, q)
        raw = raw_run(gen, container, q)
        rows.append({"question": q, "service": svc, "raw": raw, "correct": is_correct(expected, svc)})
    report: dict[str, Any] = {
        "questions": len(rows),
        "service_ttft_ms_median": med([r["service"]["ttft_ms"] for r in rows]),
        "raw_ttft_ms_median": med([r["raw"]["ttft_ms"] for r in rows]),
        "service_tokens_per_s_median": med([r["service"]["tokens_per_s"] for r in rows]),
        "raw_tokens_per_s_median": med([r["raw"]["tokens_per_s"] for r in rows]),
        "sources_event_ms_median": med([r["service"]["sources_ms"] for r in rows]),
        "retrieval_ms_median": med([r["service"]["retrieval_ms"] for r in rows]),
        "prompt_tokens_median": med([r["raw"]["prompt_tokens"] for r in rows]),
        "correct": sum(r["correct"] for r in rows),
    }
    svc_tps, raw_tps = report["service_tokens_per_s_median"], report["raw_tokens_per_s_median"]
    report["tokens_per_s_ratio"] = round(svc_tps / raw_tps, 3) if svc_tps and raw_tps else None
    report["ttft_vs_raw_prefill_ratio"] = (
        round(report["service_ttft_ms_median"] / report["raw_ttft_ms_median"], 3)
        if report["service_ttft_ms_median"] and report["raw_ttft_ms_median"]
        else None
    )
    report["per_question"] = [
        {
            "q": r["question"],
            "correct": r["correct"],
            "svc_ttft_ms": round(r["service"]["ttft_ms"] or 0),
            "raw_ttft_ms": round(r["raw"]["ttft_ms"]),
            "svc_tps": r["service"]["tokens_per_s"],
            "raw_tps": round(r["raw"]["tokens_per_s"] or 0, 2),
            "answer": r["service"]["answer"][:160],
        }
        for r in rows
    ]
    if args.levers:
        report["levers"] = levers(container, gen, questions)
    if args.odds:
        report["refusal_odds"] = odds(container, gen, questions)
    if args.compare:
        report["compare"] = compare(container, gen, questions, json.loads(args.compare))
    print(json.dumps(report, indent=2, ensure_ascii=False))
    container.close()


WARM_UP = {"ja": "言語モデルとは何ですか？", "en": "What is a language model?"}


def compare(
    container: Any, gen: LlamaCppGenerator, questions: list[tuple[str, str | None]], other: dict[str, Any]
) -> dict[str, Any]:
    """TTFT and correctness with the default answer settings against ``other``, each question both
    ways, alternating which goes first. Warm: a question in the same language was answered just before
    with the same settings, so the fixed prefix (system prompt, examples) is cached, as in a running
    server. Cold: the prefix cache is empty (a restart, or the other language's prefix in the cache)."""
    cfg = container.settings.answer
    default = {k: getattr(cfg, k) for k in other}
    variants = {"default": default, "other": other}
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {v: {"warm": [], "cold": []} for v in variants}
    for i, (q, expected) in enumerate(questions):
        for name in ("default", "other") if i % 2 == 0 else ("other", "default"):
            for k, v in variants[name].items():
                setattr(cfg, k, v)
            gen._ensure().reset()
            cold = service_run(container, q)
            service_run(container, WARM_UP[detect_language(q)])
            warm = service_run(container, q)
            for kind, r in (("cold", cold), ("warm", warm)):
                runs[name][kind].append({**r, "correct": is_correct(expected, r)})
    for k, v in default.items():
        setattr(cfg, k, v)

    def stats(rs: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "ttft_ms_median": med([r["ttft_ms"] for r in rs]),
            "correct": f"{sum(r['correct'] for r in rs)}/{len(rs)}",
            "second_look_ran": sum(1 for r in rs if r.get("second_look")),
            "prompt_tokens_median": med([r["prompt_tokens"] for r in rs]),
        }

    out: dict[str, Any] = {"default": default, "other": other}
    for kind in ("warm", "cold"):
        d, o = stats(runs["default"][kind]), stats(runs["other"][kind])
        ratio = round(d["ttft_ms_median"] / o["ttft_ms_median"], 3) if o["ttft_ms_median"] else None
        out[kind] = {"default": d, "other": o, "ttft_ratio_default_vs_other": ratio}
    out["answers"] = [
        {"q": q, "default": d["answer"][:120], "other": o["answer"][:120]}
        for (q, _), d, o in zip(questions, runs["default"]["warm"], runs["other"]["warm"], strict=True)
    ]
    return out


def odds(container: Any, gen: LlamaCppGenerator, questions: list[tuple[str, str | None]]) -> dict[str, Any]:
    """TTFT with the refusal odds read first (and acted on, with the configured thresholds) against the
    same question without, both from an empty prefix cache, alternating which goes first."""
    cfg = container.settings.answer
    default = cfg.read_refusal_odds, cfg.refuse_above, cfg.insist_below
    runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for i, (q, expected) in enumerate(questions * 2):
        for read in (True, False) if i % 2 == 0 else (False, True):
            cfg.read_refusal_odds = read
            cfg.refuse_above, cfg.insist_below = default[1:] if read else (None, None)
            gen._ensure().reset()
            r = service_run(container, q)
            runs[read].append({**r, "correct": is_correct(expected, r)})
    cfg.read_refusal_odds, cfg.refuse_above, cfg.insist_below = default
    on, off = med([r["ttft_ms"] for r in runs[True]]), med([r["ttft_ms"] for r in runs[False]])
    return {
        "thresholds": {"refuse_above": default[1], "insist_below": default[2]},
        "ttft_ms_median_with_odds": on,
        "ttft_ms_median_without": off,
        "ttft_ratio": round(on / off, 3) if on and off else None,
        "correct_with_odds": f"{sum(r['correct'] for r in runs[True])}/{len(runs[True])}",
        "correct_without": f"{sum(r['correct'] for r in runs[False])}/{len(runs[False])}",
    }


def levers(
    container: Any, gen: LlamaCppGenerator, questions: list[tuple[str, str | None]]
) -> list[dict[str, Any]]:
    """TTFT and correctness with each lever moved away from the default, one at a time."""
    cfg = container.settings.answer
    default = (cfg.context_tokens, cfg.select_sentences, True)
    settings = [
        default,
        (default[0], False, True),  # no sentence selection: whole passages
        (default[0], default[1], False),  # no prefix cache: every prompt evaluated from scratch
        *((b, default[1], True) for b in (300, 450, 600, 900, 1500) if b != default[0]),  # the budget
        (1500, False, False),  # no lever at all
    ]
    out = []
    for budget, select, cache in settings:
        cfg.context_tokens, cfg.select_sentences = budget, select
        ttfts: list[float | None] = []
        correct = 0
        for q, expected in questions:
            if not cache:
                gen._ensure().reset()
            r = service_run(container, q)
            ttfts.append(r["ttft_ms"])
            correct += is_correct(expected, r)
        out.append(
            {
                "context_tokens": budget,
                "select_sentences": select,
                "prefix_cache": cache,
                "ttft_ms_median": med(ttfts),
                "correct": f"{correct}/{len(questions)}",
            }
        )
    cfg.context_tokens, cfg.select_sentences = default[0], default[1]
    return out


if __name__ == "__main__":
    main()
