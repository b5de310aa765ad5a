"""Follow-ups rewritten by the model into questions that stand alone (#15 item 4, answer.rewrite_followups):
what is taken from the model's text, and the service searching for the rewrite (fake model)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.api.app import create_app
from app.core.followup import REWRITE, parse_rewrite
from app.core.generation.fake import FakeGenerator
from app.core.prompting import SYSTEM_PROMPT
from app.core.settings import Settings
from tests.support.http import TOWER, started_clients, upload, wait_searchable, wait_terminal
from tests.support.sse import parse_sse

pytestmark = pytest.mark.unit

PREVIOUS = "東京タワーはいつ完成しましたか？"
HISTORY = [{"role": "user", "content": PREVIOUS}, {"role": "assistant", "content": "1958年です[1]。"}]


def test_the_rewrite_is_the_first_line_without_labels_or_quotes() -> None:
    assert parse_rewrite("「東京タワーの高さは？」\n(説明)", "その高さは？") == "東京タワーの高さは？"
    assert parse_rewrite("\n書き直した質問: 東京タワーの高さは？", "その高さは？") == "東京タワーの高さは？"
    assert parse_rewrite("Rewritten question: How tall is Tokyo Tower?", "How tall is it?") == (
        "How tall is Tokyo Tower?"
    )
    assert parse_rewrite("東京タワーの高さは何メートルですか", "その高さは？", max_chars=6) == "東京タワーの"


@pytest.mark.parametrize("text", ["", "\n\n", "その高さは？", "333メートルです[1]。"])
def test_nothing_usable_gives_none(text: str) -> None:
    assert parse_rewrite(text, "その高さは？") is None  # empty, unchanged, or an answer


def test_a_line_that_lost_the_follow_up_is_refused() -> None:
    # What the 1.5B model writes instead of a rewrite: the previous question again, or an answer.
    assert parse_rewrite(PREVIOUS, "その高さは？", previous=PREVIOUS) is None
    assert parse_rewrite("東京タワーは1958年に完成しました。", "その高さは？") is None  # no 高さ
    assert parse_rewrite("Where is Mount Fuji?", "How tall is it?") is None
    assert parse_rewrite("How tall is Mount Fuji?", "How tall is it?") == "How tall is Mount Fuji?"


@pytest.fixture
def ask(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[Callable[..., Any]]:
    with started_clients() as start:

        def run(gen: FakeGenerator, question: str, **answer: Any) -> list[tuple[str, Any]]:
            settings = make_settings(
                sqlite_url, worker={"embedded": True}, answer={"abstain_below": -1.0, **answer}
            )
            client = start(create_app(settings, generator=gen))
            doc_id = upload(client, ("tower.txt", TOWER.encode())).json()["documents"][0]["document_id"]
            wait_terminal(client, doc_id)
            wait_searchable(client, "東京タワーの高さ", doc_id)
            body = {"question": question, "history": HISTORY, "stream": True}
            return parse_sse(client.post("/api/v1/ask", json=body).text)

        yield run


def _event(events: list[tuple[str, Any]], name: str) -> Any:
    return next(d for n, d in events if n == name)


def test_a_follow_up_is_searched_as_the_models_standalone_question(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(replies=[["東京タワーの", "高さは？"], ["333メートルです[1]。"]])
    events = ask(gen, "その高さは？", rewrite_followups=True)
    rewrite, answer = gen.calls
    assert rewrite[-1]["content"] == REWRITE["ja"].format(previous=PREVIOUS, question="その高さは？")
    # The answer prompt's own fixed prefix (system prompt, examples), which the prefix cache holds.
    assert rewrite[0]["content"] == SYSTEM_PROMPT["ja"] and answer[: len(rewrite) - 1] == rewrite[:-1]
    assert answer[-1]["content"].endswith("質問: その高さは？")  # the answer is to the question as put
    assert _event(events, "sources")["query"] == "東京タワーの高さは？"
    assert _event(events, "done")["rewrite_ms"] >= 0


def test_without_a_usable_rewrite_the_rules_query_stands(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(replies=[["333メートルです[1]。"], ["333メートルです[1]。"]])
    events = ask(gen, "その高さは？", rewrite_followups=True)
    assert len(gen.calls) == 2
    assert _event(events, "sources")["query"] == f"{PREVIOUS} その高さは？"


def test_a_question_that_stands_alone_or_the_setting_off_asks_the_model_once(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(["333メートルです[1]。"])
    events = ask(gen, "東京タワーの高さは何メートルですか？", rewrite_followups=True)
    assert len(gen.calls) == 1 and _event(events, "done")["rewrite_ms"] is None
    gen = FakeGenerator(["333メートルです[1]。"])
    events = ask(gen, "その高さは？")
    assert len(gen.calls) == 1 and _event(events, "sources")["query"] == f"{PREVIOUS} その高さは？"


def test_a_follow_up_with_words_of_its_own_is_searched_alone_too(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(["333メートルです[1]。"])
    events = ask(gen, "その電波塔の高さは何メートル？")
    sources = _event(events, "sources")
    assert sources["query"] == f"{PREVIOUS} その電波塔の高さは何メートル？"
    assert sources["more_queries"] == ["その電波塔の高さは何メートル？"] and sources["sources"]
    # 「その高さは？」 has one word of its own: searched joined only.
    events = ask(FakeGenerator(["333メートルです[1]。"]), "その高さは？")
    assert _event(events, "sources")["more_queries"] == []
