"""Evaluation set loaders: SQuAD JSON (JSQuAD's title prefix, SQuAD 2.0), LIT-RAGBench, simple JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.errors import InvalidInput
from app.services.eval_data import detect_format, load_dataset

pytestmark = pytest.mark.unit


def squad(tmp_path: Path) -> Path:
    data = {
        "data": [
            {
                "title": "梅雨",
                "paragraphs": [
                    {
                        "context": "梅雨 [SEP] 梅雨は雨の多い期間のこと。",
                        "qas": [
                            {"id": "a", "question": "梅雨とは？", "answers": [{"text": "雨の多い期間"}] * 2},
                            {"id": "b", "question": "?", "answers": [], "is_impossible": True},
                        ],
                    },
                    {
                        "context": "梅雨 [SEP] 梅雨は雨の多い期間のこと。",
                        "qas": [{"question": "dup", "answers": [{"text": "x"}]}],
                    },
                ],
            }
        ]
    }
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def test_squad_strips_the_jsquad_title_and_dedupes_contexts(tmp_path: Path) -> None:
    ds = load_dataset(squad(tmp_path))
    assert ds.format == "squad" and len(ds.passages) == 1
    assert ds.passages[0].text == "梅雨は雨の多い期間のこと。" and ds.passages[0].title == "梅雨"
    a, b, dup = ds.questions
    assert a.answers == ("雨の多い期間",) and a.gold_passages == {ds.passages[0].key} and a.answerable
    assert not b.answerable and not b.has_gold
    assert dup.gold_passages == a.gold_passages


def test_litrag_questions_without_positives_expect_abstention(tmp_path: Path) -> None:
    rows = [
        {
            "question": "q1",
            "answer": "29th",
            "qa_type": ["R_multihop"],
            "positive_chunk_list": [{"title": "T", "content": "c1"}, {"title": "", "content": "c2"}],
            "negative_chunk_list": [{"title": "", "content": "c3"}],
        },
        {
            "question": "q2",
            "answer": "I cannot answer",
            "qa_type": ["A_negative_only"],
            "positive_chunk_list": [],
            "negative_chunk_list": [{"title": "", "content": "c2"}],
        },
    ]
    path = tmp_path / "lit.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert detect_format(path) == "litrag"
    ds = load_dataset(path)
    assert [p.text for p in ds.passages] == ["T\nc1", "c2", "c3"]
    q1, q2 = ds.questions
    assert len(q1.gold_passages) == 2 and q1.answers == ("29th",) and q1.kind == ("R_multihop",)
    assert not q2.answerable and q2.answers == () and not q2.has_gold


def test_litrag_japanese_file_with_plain_string_chunks_loads(tmp_path: Path) -> None:
    # LIT-RAGBench's ja.jsonl as published: chunks are strings, not {title, content}.
    rows = [
        {
            "question": "梅雨の期間は？",
            "answer": "六月から七月",
            "qa_type": ["R_single"],
            "positive_chunk_list": ["梅雨は六月から七月まで続く。"],
            "negative_chunk_list": ["台風は秋に多い。", "梅雨は六月から七月まで続く。"],
        },
        {
            "question": "雪の量は？",
            "answer": "答えられません",
            "qa_type": ["A_negative_only"],
            "positive_chunk_list": [],
            "negative_chunk_list": ["台風は秋に多い。"],
        },
    ]
    path = tmp_path / "ja.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert detect_format(path) == "litrag"
    ds = load_dataset(path)
    assert [(p.text, p.title) for p in ds.passages] == [
        ("梅雨は六月から七月まで続く。", ""),
        ("台風は秋に多い。", ""),
    ]
    q1, q2 = ds.questions
    assert q1.gold_passages == {ds.passages[0].key} and q1.answers == ("六月から七月",)
    assert not q2.answerable
    # Each question's own context: the unanswerable one is asked without the answer's chunk.
    assert q1.context == {p.key for p in ds.passages} and q2.context == {ds.passages[1].key}


def test_simple_jsonl_for_your_own_questions(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    lines = [
        {"question": "Who?", "answer": "Ada", "gold_document": "handbook.pdf"},
        {"question": "Where?", "answers": ["Paris", "paris"], "context": "It is in Paris."},
        {"question": "Unknown?", "unanswerable": True},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    ds = load_dataset(path)
    assert ds.format == "simple" and [p.text for p in ds.passages] == ["It is in Paris."]
    who, where, unknown = ds.questions
    assert who.gold_documents == {"handbook.pdf"} and who.answers == ("Ada",)
    assert where.gold_passages == {ds.passages[0].key} and where.answers == ("Paris", "paris")
    assert not unknown.answerable


def test_bad_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        load_dataset(tmp_path / "missing.json")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"answers": ["x"]}\n', encoding="utf-8")  # no question
    with pytest.raises(InvalidInput, match="not a valid"):
        load_dataset(bad)
