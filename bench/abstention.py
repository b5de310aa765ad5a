"""Calibrate the abstention threshold: the best passage's dense similarity, answerable vs not.

LIT-RAGBench (en) has answerable questions and questions whose answer is in no chunk (qa_type
A_negative_only) over one shared corpus: the natural calibration set. JSQuAD-valid and XQuAD-en
(all answerable) show how often a threshold would wrongly refuse. Prints JSON: per-threshold rates.

    python bench/abstention.py [--sample 300]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

from _common import SHARED, add_texts, build_container, drain, make_settings

from app.services.answering import evidence_score


def lit_ragbench() -> tuple[list[str], list[tuple[str, bool]]]:
    chunks: dict[str, None] = {}
    questions = []
    for line in (SHARED / "eval/lit-ragbench/en.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for c in row["positive_chunk_list"] + row["negative_chunk_list"]:
            chunks[c["content"]] = None
        questions.append((row["question"], "A_negative_only" not in row["qa_type"]))
    return list(chunks), questions


def squad(path: Path, sample: int) -> tuple[list[str], list[tuple[str, bool]]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    contexts, questions = [], []
    for art in data["data"]:
        for para in art["paragraphs"]:
            contexts.append(para["context"].split(" [SEP] ", 1)[-1])
            questions.extend((qa["question"], True) for qa in para["qas"])
    return contexts, random.Random(0).sample(questions, min(sample, len(questions)))


def best_scores(
    name: str, contexts: list[str], questions: list[tuple[str, bool]]
) -> list[tuple[float, bool]]:
    container = build_container(make_settings(Path(tempfile.mkdtemp(prefix="shiori-bench-"))))
    add_texts(container, name, [(f"{name}-{i}.txt", c.encode()) for i, c in enumerate(contexts)])
    drain(container)
    assert container.registry is not None and container.retriever is not None
    container.registry.sync()
    out = []
    for q, answerable in questions:
        passages = container.retriever.search(q, name, 5).passages
        out.append((max((evidence_score(p) for p in passages), default=0.0), answerable))
    container.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=300, help="questions sampled from JSQuAD and XQuAD")
    args = ap.parse_args()
    sets = {
        "lit-ragbench": best_scores("lit", *lit_ragbench()),
        "jsquad": best_scores("jsquad", *squad(SHARED / "eval/jsquad/valid-v1.3.json", args.sample)),
        "xquad-en": best_scores("xquad", *squad(SHARED / "eval/xquad-en/xquad.en.json", args.sample)),
    }
    thresholds = [round(0.70 + 0.01 * i, 2) for i in range(16)]
    table = []
    for t in thresholds:
        row: dict[str, float] = {"threshold": t}
        lit = sets["lit-ragbench"]
        unans = [s for s, a in lit if not a]
        ans = [s for s, a in lit if a]
        row["lit_unanswerable_abstained"] = round(sum(s < t for s in unans) / len(unans), 3)
        row["lit_answerable_refused"] = round(sum(s < t for s in ans) / len(ans), 3)
        row["jsquad_refused"] = round(sum(s < t for s, _ in sets["jsquad"]) / len(sets["jsquad"]), 3)
        row["xquad_refused"] = round(sum(s < t for s, _ in sets["xquad-en"]) / len(sets["xquad-en"]), 3)
        table.append(row)

    def quantiles(xs: list[float]) -> dict[str, float]:
        xs = sorted(xs)
        return {f"p{q}": round(xs[int(q / 100 * (len(xs) - 1))], 4) for q in (1, 5, 10, 50, 90)}

    print(
        json.dumps(
            {
                "best_score_quantiles": {
                    "lit_answerable": quantiles([s for s, a in sets["lit-ragbench"] if a]),
                    "lit_unanswerable": quantiles([s for s, a in sets["lit-ragbench"] if not a]),
                    "jsquad": quantiles([s for s, _ in sets["jsquad"]]),
                    "xquad-en": quantiles([s for s, _ in sets["xquad-en"]]),
                },
                "thresholds": table,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
