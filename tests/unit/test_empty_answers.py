"""Never an empty or content-free answer (#15, item 1): a bare "[1]" is held back, asked for once
more with a note, and a second one becomes an honest abstention with its reason."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.api.app import create_app
from app.core.citations import says_something
from app.core.generation.fake import FakeGenerator
from app.core.prompting import RETRY_NOTE
from app.core.settings import Settings
from tests.support.http import ask_about_the_tower, started_clients

pytestmark = pytest.mark.unit


@pytest.fixture
def ask(make_settings: Callable[..., Settings], sqlite_url: str) -> Iterator[Callable[..., Any]]:
    with started_clients() as start:

        def run(gen: FakeGenerator) -> list[tuple[str, Any]]:
            settings = make_settings(sqlite_url, worker={"embedded": True}, answer={"abstain_below": -1.0})
            return ask_about_the_tower(start(create_app(settings, generator=gen)))

        yield run


def test_what_counts_as_saying_something() -> None:
    assert not says_something("") and not says_something(" [1] ") and not says_something("[1][2]。")
    assert not says_something("[1", streaming=True) and says_something("[1")  # may yet close
    assert says_something("333メートルです[1]。") and says_something("42") and says_something("Yes.")


def test_a_bare_marker_is_never_shown_and_the_model_is_asked_once_more(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(replies=[["[", "1", "]"], ["高さは", "333メートル", "です[1]。"]])
    events = ask(gen)
    tokens = "".join(d["text"] for n, d in events if n == "token")
    assert tokens == "高さは333メートルです[1]。"  # the first "[1]" never reached the client
    assert len(gen.calls) == 2 and RETRY_NOTE["ja"] in gen.calls[1][-1]["content"]
    assert RETRY_NOTE["ja"] not in gen.calls[0][-1]["content"]
    done = events[-1][1]
    assert events[-1][0] == "done" and done["abstained"] is False and done["abstain_reason"] is None


def test_twice_nothing_becomes_an_abstention_with_its_reason(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(replies=[["[1]"], [" ", "[1]", "。"]])
    events = ask(gen)
    tokens = [d["text"] for n, d in events if n == "token"]
    assert tokens == ["資料には記載がありません。"] and len(gen.calls) == 2
    done = events[-1][1]
    assert done["abstained"] is True and done["abstain_reason"] == "empty_answer"


def test_a_good_first_answer_is_streamed_as_it_comes(ask: Callable[..., Any]) -> None:
    gen = FakeGenerator(["[1]", " 高さは", "333メートル", "です。"])
    events = ask(gen)
    tokens = [d["text"] for n, d in events if n == "token"]
    assert tokens == ["[1] 高さは", "333メートル", "です。"]  # held only until it said something
    assert len(gen.calls) == 1
