"""Follow-up questions: searching for the rules' joined query against the model's standalone rewrite.

Follow-ups are built from an evaluation set: a question that names its article's title ("梅雨とは何季の
一種か?") loses the title to a pronoun (「それとは何季の一種か?」, "its", "it"), and another question of
the same article that names the title is put before it as the conversation's previous turn. Each
follow-up is searched four ways, the same index, the same hybrid search:

- original: the question as written (the ceiling);
- bare: the follow-up alone (what search would do without the conversation);
- joined: `standalone_query`, the follow-up joined with the previous question (the rules until now);
- rules: `search_queries` + `AnswerService.search_all` (the default): the joined query, and the
  follow-up on its own where it has words of its own, the two lists fused by rank;
- model: the bundled model's rewrite (`AnswerService.rewrite_followup`, the code
  answer.rewrite_followups runs), falling back to the rules' query when it writes nothing usable.

Reports recall@1 and @5 of the question's own passage per way, how often the rules saw a follow-up,
how often the rewrite was usable, and what it costs (ms per rewrite, p50/p95). Prints JSON.

    python bench/followups.py [--dataset jsquad|xquad] [--questions 100] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO, SHARED, build_container, drain, make_settings, percentile

from app.core.followup import needs_context, search_queries, standalone_query
from app.core.generation import Message
from app.core.prompting import detect_language
from app.services.eval_data import EvalDataset, EvalQuestion, load_dataset
from app.services.eval_runner import ingest

DATASETS = {"jsquad": SHARED / "eval/jsquad/valid-v1.3.json", "xquad": SHARED / "eval/xquad-en/xquad.en.json"}
WAYS = ("original", "bare", "joined", "rules", "model")


_PARTICLE = "(?:の|は|が|を|に|で|と|へ|も|より|から|や|について|とは)"
_WORD = r"[\u3041-\u3096ー\u30a1-\u30fa\u4e00-\u9fffA-Za-z0-9]"


def follow_up(question: str, title: str) -> str | None:
    """The question with its title replaced by a pronoun, or None where the title is not a word of its
    own there (inside a compound: 「日本共産党員」) or not named at all."""
    if len(title) < 2:
        return None
    t = re.escape(title)
    if detect_language(question) == "ja":
        m = re.search(rf"(?<![\u30a1-\u30fa\u4e00-\u9fffA-Za-z0-9]){t}(?={_PARTICLE})", question)
        if m is None:
            return None
        rest = question[m.end() :]
        if rest.startswith("の"):
            return question[: m.start()] + "その" + rest[1:]
        return question[: m.start()] + "それ" + rest
    out = re.sub(rf"\b(?:the )?{t}'s\b", "its", question, count=1, flags=re.IGNORECASE)
    if out == question:
        out = re.sub(rf"\b(?:the )?{t}\b(?!')", "it", question, count=1, flags=re.IGNORECASE)
    return None if out == question else out


def build(dataset: EvalDataset, n: int, seed: int = 0) -> list[tuple[EvalQuestion, str, str]]:
    """(question, follow-up, previous question) triples, sampled."""
    title_of = {p.key: p.title.replace("_", " ") for p in dataset.passages}
    by_title: dict[str, list[EvalQuestion]] = {}
    for q in dataset.questions:
        if q.answerable and q.gold_passages:
            by_title.setdefault(title_of[next(iter(q.gold_passages))], []).append(q)
    rng = random.Random(seed)
    out = []
    for title, qs in by_title.items():
        naming = [q for q in qs if title in q.question and follow_up(q.question, title)]
        for q in naming:
            fu = follow_up(q.question, title)
            others = [o for o in naming if o.question != q.question]
            if fu and others:
                out.append((q, fu, rng.choice(others).question))
    rng.shuffle(out)
    return out[:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", default="jsquad", choices=sorted(DATASETS))
    ap.add_argument("--questions", type=int, default=100)
    ap.add_argument("--data-dir", type=Path, default=None, help="reuse an ingested data folder")
    args = ap.parse_args()

    dataset = load_dataset(DATASETS[args.dataset])
    triples = build(dataset, args.questions)
    settings = make_settings(args.data_dir or Path(tempfile.mkdtemp(prefix="shiori-bench-")))
    settings.generator.gguf_path = REPO / "data/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    container = build_container(settings, with_generator=True)
    assert container.generator is not None and container.registry is not None and container.answers
    container.generator.warm_up()
    corpus = ingest(container, "bench", dataset, [], lambda _n: drain(container))
    container.registry.sync()
    assert container.retriever is not None

    hits: dict[str, list[tuple[bool, bool]]] = {w: [] for w in WAYS}
    rewrite_ms: list[float] = []
    detected = usable = 0
    examples = []
    t0 = time.perf_counter()
    for i, (q, fu, previous) in enumerate(triples, 1):
        history: list[Message] = [
            {"role": "user", "content": previous},
            {"role": "assistant", "content": "…"},
        ]
        joined = standalone_query(fu, history, settings.limits.max_query_chars)
        rules = search_queries(fu, history, settings.limits.max_query_chars)
        detected += needs_context(fu)
        t1 = time.perf_counter()
        rewrite = container.answers.rewrite_followup(fu, previous, detect_language(fu))
        rewrite_ms.append((time.perf_counter() - t1) * 1000)
        usable += rewrite is not None
        queries = {
            "original": [q.question],
            "bare": [fu],
            "joined": [joined],
            "rules": rules,
            "model": [rewrite] if rewrite else rules,
        }
        gold = corpus.gold(q)
        for way, query in queries.items():
            ids = [p.document_id for p in container.answers.search_all(query, "bench", 5)]
            hits[way].append((bool(ids[:1]) and ids[0] in gold, any(d in gold for d in ids)))
        if len(examples) < 8:
            examples.append({"previous": previous, "follow_up": fu, "model": rewrite, "original": q.question})
        print(f"{i}/{len(triples)} {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)

    n = len(triples)
    report: dict[str, Any] = {
        "dataset": DATASETS[args.dataset].name,
        "follow_ups": n,
        "rules_saw_a_follow_up": round(detected / n, 4),
        "rewrite_usable": round(usable / n, 4),
        "rewrite_ms": {"p50": round(percentile(rewrite_ms, 50)), "p95": round(percentile(rewrite_ms, 95))},
        "recall": {
            way: {"r@1": round(sum(a for a, _ in h) / n, 4), "r@5": round(sum(b for _, b in h) / n, 4)}
            for way, h in hits.items()
        },
        "examples": examples,
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    container.close()


if __name__ == "__main__":
    main()
