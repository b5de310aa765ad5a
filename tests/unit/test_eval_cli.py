"""`shiori eval` end to end with the fake embedder: ingest a throwaway copy, score retrievers and answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app import cli
from app.db.session import make_engine

pytestmark = pytest.mark.unit

PASSAGES = {
    "東京タワー": "東京タワーは1958年に完成した電波塔で、高さは333メートルである。",
    "富士山": "富士山は静岡県と山梨県にまたがる活火山で、標高は3776メートルである。",
    "琵琶湖": "琵琶湖は滋賀県にある日本最大の湖で、面積は約670平方キロメートルである。",
}
QUESTIONS = [
    ("東京タワーの高さは何メートルか", "東京タワー", "333メートル"),
    ("富士山の標高はいくつか", "富士山", "3776メートル"),
    ("日本最大の湖はどこにあるか", "琵琶湖", "滋賀県"),
]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SHIORI_PATHS__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SHIORI_EMBEDDING__BACKEND", "fake")
    monkeypatch.delenv("SHIORI_DB__URL", raising=False)
    data = {
        "data": [
            {
                "title": title,
                "paragraphs": [
                    {
                        "context": f"{title} [SEP] {text}",
                        "qas": [
                            {"id": f"{title}-{i}", "question": q, "answers": [{"text": a}]}
                            for i, (q, t, a) in enumerate(QUESTIONS)
                            if t == title
                        ],
                    }
                ],
            }
            for title, text in PASSAGES.items()
        ]
    }
    path = tmp_path / "set.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_eval_reports_every_retriever_as_json_and_markdown(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    md = tmp_path / "report.md"
    assert cli.main(["eval", str(env), "--json", str(out), "--markdown", str(md)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["format"] == "squad" and report["documents"] == 3 and report["questions"] == 3
    assert set(report["retrieval"]) == {"dense", "keyword", "hybrid"}
    for metrics in report["retrieval"].values():
        assert metrics["questions"] == 3 and 0 <= metrics["R@1"] <= metrics["R@5"] <= 1
    assert report["retrieval"]["keyword"]["R@1"] == 1.0  # the questions share words with their passage
    table = capsys.readouterr().out
    assert "| hybrid |" in table and md.read_text(encoding="utf-8") == table
    # The throwaway database is gone and the user's was never touched.
    assert not (tmp_path / "data" / "shiori.db").exists() or _no_eval_collection(
        tmp_path / "data" / "shiori.db"
    )


def _no_eval_collection(db: Path) -> bool:
    with make_engine(f"sqlite:///{db}").connect() as conn:
        return conn.exec_driver_sql("select count(*) from collections where name = 'eval'").scalar() == 0


def test_answers_run_the_answering_service_and_strip_citation_markers(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real hook (`make_eval_answer_fn`) with the scripted generator: every question gets the same
    answer, so exactly the tower question contains its reference; [1] cites the top passage."""
    monkeypatch.setenv("SHIORI_GENERATOR__BACKEND", "fake")
    monkeypatch.setenv("SHIORI_GENERATOR__FAKE_SCRIPT", '["333", "メートル", "[1]", "。"]')
    monkeypatch.setenv("SHIORI_ANSWER__ABSTAIN_BELOW", "-1")  # the fake embedder's cosines are arbitrary
    out = tmp_path / "r.json"
    assert cli.main(["eval", str(env), "--mode", "keyword", "--answers", "--json", str(out)]) == 0
    answers = json.loads(out.read_text(encoding="utf-8"))["answers"]
    assert answers["answered_when_answerable"] == 1.0
    # EM counts only if "[1]" was stripped: "333メートル[1]。" must score as "333メートル".
    assert answers["EM"] == pytest.approx(1 / 3, abs=1e-3)
    assert answers["contains_answer"] == pytest.approx(1 / 3, abs=1e-3)
    # [1] is the top passage, the gold one in keyword mode. "333メートル" is not in Fuji's or Biwa's
    # passage, so there the tower's passage, which holds it, is cited too (inferred): 3 of 5 gold.
    assert answers["citation_precision"] == pytest.approx(3 / 5)


def test_answers_are_scored_through_the_hook(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str]] = []

    def make_eval_answer_fn(container: Any) -> Any:
        def answer(question: str, collection: str) -> tuple[str, bool, list[int]]:
            calls.append((question, collection))
            hits = container.retriever.search(question, collection, 1).passages
            if "富士山" in question:
                return "", True, []  # abstains on one answerable question
            reference = next(a for q, _, a in QUESTIONS if q == question)
            return f"答えは{reference}です。", False, [hits[0].chunk_id]

        return answer

    import app.services.answering as answering

    monkeypatch.setattr(answering, "make_eval_answer_fn", make_eval_answer_fn, raising=False)
    out = tmp_path / "r.json"
    assert cli.main(["eval", str(env), "--mode", "hybrid", "--answers", "--json", str(out)]) == 0
    answers = json.loads(out.read_text(encoding="utf-8"))["answers"]
    assert len(calls) == 3 and {c for _, c in calls} == {"eval"}
    assert answers["contains_answer"] == pytest.approx(2 / 3, abs=1e-3)
    assert answers["EM"] == 0.0 and 0 < answers["F1"] < 1
    assert answers["answered_when_answerable"] == pytest.approx(2 / 3, abs=1e-3)
    assert answers["citation_precision"] == 1.0


def test_simple_jsonl_with_your_own_documents(tmp_path: Path, env: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "tower.txt").write_text(PASSAGES["東京タワー"], encoding="utf-8")
    (docs / "lake.txt").write_text(PASSAGES["琵琶湖"], encoding="utf-8")
    qs = tmp_path / "mine.jsonl"
    qs.write_text(
        "\n".join(
            json.dumps({"question": q, "answer": a, "gold_document": d}, ensure_ascii=False)
            for q, a, d in [
                ("東京タワーの高さ", "333メートル", "tower.txt"),
                ("琵琶湖の面積", "670", "lake.txt"),
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "r.json"
    assert cli.main(["eval", str(qs), "--docs", str(docs), "--mode", "keyword", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["format"] == "simple" and report["with_gold"] == 2
    assert report["retrieval"]["keyword"]["R@1"] == 1.0


def _lit_twins(tmp_path: Path) -> Path:
    """LIT-RAGBench's shape: a question asked with the chunk that answers it, and its twin without it."""
    tower, fuji, lake = PASSAGES.values()
    rows = [
        {
            "question": "東京タワーの高さは何メートルか",
            "answer": "333メートル",
            "qa_type": ["R_single"],
            "positive_chunk_list": [tower],
            "negative_chunk_list": [fuji],
        },
        {
            "question": "東京タワーの高さは何メートルか",
            "answer": "答えられません",
            "qa_type": ["A_negative_only"],
            "positive_chunk_list": [],
            "negative_chunk_list": [fuji, lake],
        },
    ]
    path = tmp_path / "lit.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("shared", [False, True])
def test_litrag_twins_are_asked_each_over_its_own_chunks(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool
) -> None:
    """The hook answers whatever its collection's passages hold. Each question over its own chunks,
    the twin without the answer's chunk cannot find it and abstains: both right. Over one shared
    corpus (--shared-corpus) the twin finds the answer too, and abstention accuracy halves."""
    calls: list[tuple[str, str]] = []

    def make_eval_answer_fn(container: Any) -> Any:
        def answer(question: str, collection: str) -> tuple[str, bool, list[int]]:
            calls.append((question, collection))
            hits = container.retriever.search(question, collection, 5, mode="keyword").passages
            hit = next((h for h in hits if "333" in h.text), None)
            return ("", True, []) if hit is None else ("333メートル", False, [hit.chunk_id])

        return answer

    import app.services.answering as answering

    monkeypatch.setattr(answering, "make_eval_answer_fn", make_eval_answer_fn, raising=False)
    out = tmp_path / "r.json"
    args = ["eval", str(_lit_twins(tmp_path)), "--mode", "keyword", "--answers", "--json", str(out)]
    assert cli.main(args + (["--shared-corpus"] if shared else [])) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    answers = report["answers"]
    if shared:
        assert report["corpus"] == "one shared corpus" and report["documents"] == 3
        assert {c for _, c in calls} == {"eval"}
        assert answers["abstention_accuracy"] == 0.5 and answers["abstained_when_unanswerable"] == 0.0
    else:
        # two collections: tower + Fuji, and Fuji + lake (a passage shared by both is in both)
        assert report["corpus"] == "each question its own passages" and report["documents"] == 4
        assert len({c for _, c in calls}) == 2
        assert answers["abstention_accuracy"] == 1.0 and answers["contains_answer"] == 1.0
        assert answers["citation_precision"] == 1.0
    assert report["retrieval"]["keyword"]["questions"] == 1 and report["retrieval"]["keyword"]["R@1"] == 1.0
