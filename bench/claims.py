"""Claim checking on a perturbation set: does the citation check flag a swapped fact and pass a
faithful rewording? Prints JSON.

    python bench/claims.py [--dataset jsquad|xquad] [--items 300] [--seed 0]
                           [--paraphrases rules|model|both] [--model-items 80]

Built from a SQuAD-format set (JSQuAD-valid by default; XQuAD-en to see the same check on English,
which nothing here was tuned on). For each sampled answerable question, the context sentence that
holds the reference answer is the faithful claim, and from it:

- swapped: the answer's number replaced by another number of the same passage, or its name (a
  proper noun, a capitalised word) by another name of the passage from outside that sentence: the
  claim a model makes when it copies the right sentence with the wrong fact;
- paraphrase (rules): the clause that carries the answer, cut at the comma before it, with a
  different ending (である/だ -> です, a trailing clause dropped): what a model writes when it
  answers in a few words;
- paraphrase (model): the bundled generator asked to reword the sentence keeping its facts; kept only
  when the rewording still contains the answer and every number of the sentence;
- bare: the reference answer alone (「18世紀」, "1943"), as a model answers in a few words, and the
  same with its number or name replaced as above: with no words around it, only the question can
  tell the fact of another sentence from the answer.

Each claim is checked as the answering service checks a sentence (app.core.citations.check_citations,
the claim citing [1] = the whole context, the question passed along). `flagged` is the share whose
citation comes back unsupported; `flagged_lexical_only` is what the support score alone (the check
before key terms, same run) flags.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import REPO, SHARED, make_settings

from app.core.chunking import sentence_spans
from app.core.citations import SUPPORT_THRESHOLD, SourceRef, check_citations
from app.core.key_terms import TermIndex, key_terms
from app.core.text import JAPANESE

DATASETS = {
    "jsquad": SHARED / "eval/jsquad/valid-v1.3.json",
    "xquad": SHARED / "eval/xquad-en/xquad.en.json",
}
_SEP = " [SEP] "
_DIGITS = re.compile(r"[0-9０-９]+(?:[.,][0-9０-９]+)*")


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    context: str
    answer: str
    sentence: str  # the context sentence holding the answer
    offset: int  # the answer's start inside `sentence`
    title: str = ""  # the article's: shown above the source, as a document's title is


def load_items(path: Path) -> list[Item]:
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    items: list[Item] = []
    for article in data["data"]:
        for para in article["paragraphs"]:
            # JSQuAD writes "title [SEP] text": the title is not prose a claim would copy.
            head = para["context"].find(_SEP)
            cut = head + len(_SEP) if head >= 0 else 0
            context = para["context"][cut:]
            title = para["context"][:head] if head >= 0 else str(article.get("title", ""))
            spans = sentence_spans(context)
            for qa in para["qas"]:
                if qa.get("is_impossible") or not qa["answers"]:
                    continue
                answer = qa["answers"][0]
                start, text = int(answer["answer_start"]) - cut, str(answer["text"])
                if context[start : start + len(text)] != text:
                    continue
                inside = [(a, b) for a, b in spans if a <= start and start + len(text) <= b]
                if not inside:
                    continue
                a, b = inside[0]
                sentence = context[a:b].strip()
                items.append(Item(qa["id"], qa["question"], context, text, sentence, start - a, title))
    return items


def swapped(item: Item, rng: random.Random) -> tuple[str, str] | None:
    """(claim, kind) with the answer's number or name replaced from elsewhere in the passage."""
    swap = replaced(item, rng)
    if swap is None:
        return None
    lead = len(item.sentence) - len(item.sentence.lstrip())
    at = item.offset - lead
    return item.sentence[:at] + swap[0] + item.sentence[at + len(item.answer) :], swap[1]


def replaced(item: Item, rng: random.Random) -> tuple[str, str] | None:
    """(answer, kind): the reference answer with its number or name replaced by another of the passage
    from outside the answer's sentence."""
    rest = item.context.replace(item.sentence, " ")
    number = _DIGITS.search(item.answer)
    if number:
        present = {_value(n) for n in _DIGITS.findall(item.sentence)}  # 1 for 2013 when "1月" is there
        others = sorted({n for n in _DIGITS.findall(rest) if _value(n) not in present})
        if not others:
            return None
        return item.answer[: number.start()] + rng.choice(others) + item.answer[number.end() :], "number"
    names = [t.text for t in key_terms(item.answer) if t.kind == "name"]
    if not names:
        return None
    in_sentence = TermIndex(item.sentence)  # a name the sentence already holds would not be a swap
    candidates = sorted({t.text for t in key_terms(rest) if t.kind == "name" and not in_sentence.has(t)})
    if not candidates:
        return None
    target = max(names, key=len)
    return item.answer.replace(target, rng.choice(candidates), 1), "name"


def rule_paraphrase(item: Item) -> str | None:
    """The clause that carries the answer, with a plainer ending: a short, faithful answer sentence."""
    lead = len(item.sentence) - len(item.sentence.lstrip())
    at = item.offset - lead
    s = item.sentence.strip()
    if JAPANESE.search(s):
        cut = max(s.rfind("、", 0, at), s.rfind("，", 0, at))
        clause = s[cut + 1 :] if cut >= 0 else s
        clause = re.sub(
            r"(である|だ|であった|だった)。$",
            lambda m: "です。" if "あ" not in m.group() else "でした。",
            clause,
        )
    else:
        cut = s.rfind(", ", 0, at)
        clause = s[cut + 2 :] if cut >= 0 else s
        clause = clause[:1].upper() + clause[1:]
        clause = re.sub(r",\s*(?:which|who|where|while|although)\b[^,.]*(?=[.,]?$)", "", clause)
    if clause == s or item.answer not in clause or len(clause) < len(item.answer) + 6:
        return None
    return clause


def model_paraphrases(items: list[Item], data_dir: Path) -> dict[str, str]:
    """The bundled generator rewords each sentence; kept when the answer and its numbers survive."""
    from app.core.generation import GenerationOptions, Message, create_generator

    settings = make_settings(data_dir)
    settings.generator.gguf_path = REPO / "data/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    generator = create_generator(settings)
    generator.warm_up()
    out: dict[str, str] = {}
    options = GenerationOptions(max_tokens=120, temperature=0.0)
    for item in items:
        ja = bool(JAPANESE.search(item.sentence))
        ask = (
            "次の文を、事実（数字・名前）を変えずに別の言い方で一文に書き直してください。書き直した文だけを書いてください。\n\n"
            if ja
            else "Reword the following sentence as one sentence, keeping every fact (numbers, names) "
            "the same. Write only the reworded sentence.\n\n"
        )
        messages: list[Message] = [{"role": "user", "content": ask + item.sentence}]
        text = "".join(generator.stream(messages, options)).strip().splitlines()[0:1]
        reworded = text[0].strip() if text else ""
        numbers = {_value(n) for n in _DIGITS.findall(item.sentence)}
        if (
            reworded
            and reworded != item.sentence
            and item.answer in reworded
            and numbers <= {_value(n) for n in _DIGITS.findall(reworded)}
        ):
            out[item.id] = reworded
    close = getattr(generator, "close", None)
    if callable(close):
        close()
    return out


def check(item: Item, claim: str) -> dict[str, Any]:
    source = SourceRef(1, item.context, item.title)
    report = check_citations(claim + "[1]", [source], question=item.question)
    cited = [c for c in report.citations if c.number == 1]
    flagged = bool(report.unsupported_sentences) or any(c.status == "unsupported" for c in cited)
    lexical = not cited or min(c.support for c in cited) < SUPPORT_THRESHOLD
    missing = [m for c in cited for m in c.missing]
    return {"flagged": flagged, "lexical": lexical, "missing": missing}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    return {
        "n": n,
        "flagged": round(sum(r["flagged"] for r in rows) / n, 4) if n else None,
        "flagged_lexical_only": round(sum(r["lexical"] for r in rows) / n, 4) if n else None,
    }


def _value(number: str) -> str:
    return unicodedata.normalize("NFKC", number).replace(",", "").lstrip("0") or "0"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="jsquad")
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--paraphrases", choices=("rules", "model", "both"), default="rules")
    parser.add_argument("--model-items", type=int, default=80, help="sentences the model rewords")
    parser.add_argument("--examples", type=int, default=5, help="flagged paraphrases and passed swaps shown")
    args = parser.parse_args()

    path = DATASETS.get(args.dataset, Path(args.dataset))
    rng = random.Random(args.seed)
    items = load_items(path)
    rng.shuffle(items)
    items = items[: args.items]

    t0 = time.perf_counter()
    rows: dict[str, list[dict[str, Any]]] = {"faithful": [], "swapped_number": [], "swapped_name": []}
    rows["paraphrase_rules"] = []
    rows |= {"bare_reference": [], "bare_swapped_number": [], "bare_swapped_name": []}
    bare_rng = random.Random(args.seed + 1)  # the sentence swaps above draw the same as before
    misses: list[dict[str, Any]] = []
    for item in items:
        rows["faithful"].append(check(item, item.sentence))
        swap = swapped(item, rng)
        if swap is not None:
            result = check(item, swap[0])
            rows[f"swapped_{swap[1]}"].append(result)
            if not result["flagged"] and len(misses) < args.examples * 2:
                misses.append({"kind": "swap passed", "answer": item.answer, "claim": swap[0]})
        if args.paraphrases in ("rules", "both"):
            para = rule_paraphrase(item)
            if para is not None:
                result = check(item, para)
                rows["paraphrase_rules"].append(result)
                if result["flagged"] and len(misses) < args.examples * 2:
                    misses.append({"kind": "paraphrase flagged", "claim": para, "missing": result["missing"]})
        bare = replaced(item, bare_rng)
        if bare is not None:  # the answer alone, as a model answers in a few words: right, then swapped
            rows["bare_reference"].append(check(item, item.answer))
            rows[f"bare_swapped_{bare[1]}"].append(check(item, bare[0]))
    check_s = time.perf_counter() - t0
    claims = sum(len(v) for v in rows.values())

    if args.paraphrases in ("model", "both"):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            reworded = model_paraphrases(items[: args.model_items], Path(tmp))
        rows["paraphrase_model"] = []
        by_id = {i.id: i for i in items}
        for item_id, claim in reworded.items():
            result = check(by_id[item_id], claim)
            rows["paraphrase_model"].append(result)
            if result["flagged"]:
                misses.append(
                    {"kind": "model paraphrase flagged", "claim": claim, "missing": result["missing"]}
                )

    swaps = rows["swapped_number"] + rows["swapped_name"]
    paraphrases = rows["paraphrase_rules"] + rows.get("paraphrase_model", [])
    print(
        json.dumps(
            {
                "dataset": path.name,
                "items": len(items),
                "seed": args.seed,
                "swapped": summarise(swaps),
                "paraphrases": summarise(paraphrases),
                "bare_swapped": summarise(rows["bare_swapped_number"] + rows["bare_swapped_name"]),
                **{k: summarise(v) for k, v in rows.items()},
                "check_ms_per_claim": round(check_s * 1000 / max(claims, 1), 3),
                "examples": misses,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
