"""A second look when the evidence is thin (#15 item 5): which questions get one, what the model's
queries become, how the two rounds are merged, and the service running it (fake model, real search)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from app.api.app import create_app
from app.core.generation.fake import FakeGenerator
from app.core.prompting import SYSTEM_PROMPT, fixed_prefix
from app.core.second_look import INSTRUCTION, merge, names_two_things, parse_queries, reason_to_look
from app.core.settings import Settings
from tests.support.http import started_clients, upload, wait_searchable, wait_terminal
from tests.support.sse import parse_sse

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "question",
    [
        "東京タワーとスカイツリーではどちらが高いですか？",
        "東京タワーとスカイツリーの違いは？",
        "AとBを比較すると？",
        "Which is older, Tokyo Tower or the Skytree?",
        "Who was born earlier, Kant or Hegel?",
        "What is the difference between BM25 and TF-IDF?",
        "Compare the 2023 and 2024 sales.",
        "Which of TechSpark's DataFlow Pro and Analytics Master was released earlier?",
        "Please answer with the birth year of the wife of the actor who starred in the film.",
        "What is the 2024 CO2 emissions of the company that sells the EcoBag?",
        "映画「風見鶏」に主演した俳優の妻の生年は？",
        "A社とB社の初任給をそれぞれ教えてください。",
    ],
)
def test_questions_naming_two_things_get_a_second_look(question: str) -> None:
    assert names_two_things(question)
    assert reason_to_look(question, best_score=0.95, weak_below=None) == "compound"


@pytest.mark.parametrize(
    "question",
    [
        "東京タワーの高さは？",
        "東京タワーはいつ完成しましたか？",
        "東京タワーを設計した人は誰ですか？",
        "アムハラ語に用いられているゲエズ文字の構造は？",
        "GPS衛星自身も測位計算において必要とする何の情報を送信信号に乗せて放送しているか？",
        "What is the height of Tokyo Tower?",
        "Who wrote it?",
        "Who designed the tower?",
    ],
)
def test_plain_questions_with_strong_evidence_do_not(question: str) -> None:
    assert not names_two_things(question)
    assert reason_to_look(question, best_score=0.9, weak_below=0.85) is None
    assert reason_to_look(question, best_score=0.8, weak_below=0.85) == "weak_evidence"
    assert reason_to_look(question, best_score=0.8, weak_below=None) is None  # weak alone needs a threshold


def test_the_models_lines_become_at_most_two_clean_queries() -> None:
    q = "東京タワーとスカイツリーではどちらが高い？"
    text = "1. 東京タワーの高さ\n- スカイツリーの高さ [1]\n3) 両者の比較"
    assert parse_queries(text, q, 100) == ["東京タワーの高さ", "スカイツリーの高さ"]
    # the question itself, blanks and repeats add nothing; long lines are cut to the query limit
    assert parse_queries(f"{q}\n\n・東京タワーの高さ\n東京タワーの高さ。", q, 100) == ["東京タワーの高さ"]
    assert parse_queries("Query 1: Tokyo Tower height\nQuery 2: Skytree height", "x", 9) == [
        "Tokyo Tow",
        "Skytree h",
    ]


@dataclass(frozen=True)
class _P:
    chunk_id: int


def test_the_union_takes_each_rounds_best_first_and_repeats_nothing() -> None:
    first = [_P(1), _P(2), _P(3)]
    more = [[_P(7), _P(1)], [_P(2), _P(8)]]
    assert [p.chunk_id for p in merge(first, more, k=3)] == [1, 7, 2, 8, 3]  # rank by rank, k + 2
    assert [p.chunk_id for p in merge(first, [[], []], k=3)] == [1, 2, 3]  # nothing found: no room added


TOWER = "東京タワーは1958年に完成した電波塔である。高さは333メートルである。\n"
TSUTENKAKU = "通天閣は大阪の新世界にある展望塔で、二代目は1956年に建った。高さは108メートルある。\n"
QUESTION = "東京タワーと通天閣ではどちらが高いですか？"


@pytest.fixture
def ask(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[Callable[..., Any]]:
    with started_clients() as start:

        def run(gen: FakeGenerator, *, k: int = 1, **answer: Any) -> list[tuple[str, Any]]:
            settings = make_settings(
                sqlite_url,
                worker={"embedded": True},
                search={"mode": "keyword"},  # ranks by the words alone: what each query finds is plain
                answer={"abstain_below": -1.0, **answer},
            )
            client = start(create_app(settings, generator=gen))
            body = upload(
                client, ("tower.txt", TOWER.encode()), ("tsutenkaku.txt", TSUTENKAKU.encode())
            ).json()
            ids = [d["document_id"] for d in body["documents"]]
            for doc_id in ids:
                wait_terminal(client, doc_id)
            wait_searchable(client, "東京タワー", ids[0])
            wait_searchable(client, "通天閣", ids[1])
            r = client.post("/api/v1/ask", json={"question": QUESTION, "stream": True, "k": k})
            return parse_sse(r.text)

        yield run


def _event(events: list[tuple[str, Any]], name: str) -> Any:
    return next(d for n, d in events if n == name)


def test_a_comparison_searches_again_for_what_the_model_asks_and_answers_from_both(
    ask: Callable[..., Any],
) -> None:
    queries = ["東京タワーの", "高さ\n", "通天閣の高さ"]
    gen = FakeGenerator(replies=[queries, ["東京タワーです[1]。333メートルあります[1]。"]])
    events = ask(gen, second_look=True, examples=True)
    assert len(gen.calls) == 2
    look, answer = gen.calls
    # The query request rides on the answer's own fixed prefix (system prompt and examples), so the
    # prefix cache spares it; only its last turn differs.
    assert (
        look[:-1] == answer[:-1]
        and look[0]["content"] == SYSTEM_PROMPT["ja"]
        and len(look) == len(fixed_prefix("ja", examples=True)) + 1
    )
    assert look[-1]["content"] == INSTRUCTION["ja"].format(question=QUESTION)
    sources = _event(events, "sources")
    assert sources["more_queries"] == ["東京タワーの高さ", "通天閣の高さ"]
    # k=1: the first round alone held one document; the union holds both.
    assert {s["title"] for s in sources["sources"]} == {"tower.txt", "tsutenkaku.txt"}
    done = _event(events, "done")
    assert done["second_look"] == "compound" and done["second_look_ms"] >= 0
    assert done["abstained"] is False


def test_off_or_not_needed_it_costs_nothing(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(["タワーです[1]。"])
    events = ask(gen, second_look=False)
    assert len(gen.calls) == 1
    assert _event(events, "sources")["more_queries"] == []
    assert _event(events, "done")["second_look"] is None


def test_queries_the_model_could_not_write_leave_the_first_round_standing(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(replies=[[QUESTION], ["わかりません。"]])  # it repeated the question
    events = ask(gen, second_look=True)
    assert len(gen.calls) == 2
    sources = _event(events, "sources")
    assert sources["more_queries"] == [] and len(sources["sources"]) == 1
    assert _event(events, "done")["second_look"] == "compound"
