"""The short pieces of work the real bundled model does before an answer (#15 items 4 and 5): rewriting a
follow-up into a question that stands alone, and writing search queries for a question that names two
things. Both go through the service's own code (`AnswerService`), with the default answer settings."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from app.core.settings import Settings
from app.services.answering import AnswerService

pytestmark = pytest.mark.integration


@pytest.fixture
def service(real_generator: Any, tmp_path: Any) -> AnswerService:
    settings = Settings(paths={"data_dir": tmp_path})
    return AnswerService(settings, retriever=None, generator=real_generator)  # type: ignore[arg-type]


def test_an_english_rewrite_names_what_it_points_at_or_is_refused(service: AnswerService) -> None:
    # With the worked examples on, the model writes "Who founded the Harbor Library?"; without them
    # it may echo the previous question, which the guard refuses (the rules' query is searched then).
    rewrite = service.rewrite_followup("Who founded it?", "When was the Harbor Library founded?", "en")
    assert rewrite is None or ("Harbor Library" in rewrite and "found" in rewrite), rewrite
    assert rewrite is None or len(rewrite) < 80  # a question, not an answer


def test_a_rewrite_that_lost_the_follow_up_is_never_searched(service: AnswerService) -> None:
    # The 1.5B model often answers or repeats the previous question instead of rewriting a Japanese
    # follow-up; such a line is refused (the rules' joined query is searched instead).
    rewrite = service.rewrite_followup("その高さは？", "東京タワーはいつ完成しましたか？", "ja")
    assert rewrite is None or ("東京タワー" in rewrite and "高さ" in rewrite), rewrite


def test_a_comparison_becomes_one_query_for_each_thing(service: AnswerService) -> None:
    question = "東京タワーと通天閣ではどちらが高いですか？"
    queries = service.more_queries(question, "ja", threading.Event())
    assert len(queries) == 2, queries
    assert any("東京タワー" in q for q in queries) and any("通天閣" in q for q in queries), queries
