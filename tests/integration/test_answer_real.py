"""Answers from the real bundled models on the seed corpus: the fact, a citation to the right document,
and an abstention when the documents cannot answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.core.settings import Settings
from app.services.answering import AskRequest
from app.services.container import Container, build_container
from tests.conftest import CORPUS
from tests.support.ci import require
from tests.support.ingest import ingest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def answering(
    tmp_path_factory: pytest.TempPathFactory, real_embedder: Any, real_generator: Any
) -> Iterator[tuple[Container, dict[str, int]]]:
    require(CORPUS.is_dir(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    settings = Settings(
        paths={"data_dir": tmp_path_factory.mktemp("answer")},  # type: ignore[arg-type]
        worker={"embedded": False},  # type: ignore[arg-type]
    )
    c = build_container(settings, embedder=real_embedder, generator=real_generator, with_generator=True)
    ids = ingest(c, sorted((CORPUS / "seeds").glob("*.txt")))
    yield c, ids
    c.close()


Fixture = tuple[Container, dict[str, int]]


def ask(c: Container, question: str) -> dict[str, Any]:
    assert c.answers is not None
    return c.answers.answer(AskRequest(question))


@pytest.mark.parametrize(
    "question",
    ["Transformerは何年に提案されましたか？", "In what year was the Transformer architecture introduced?"],
)
def test_answers_contain_the_fact_and_cite_a_seed(answering: Fixture, question: str) -> None:
    c, ids = answering
    out = ask(c, question)
    assert not out.abstained, out
    assert "2017" in out.answer, out.answer
    cited_docs = {x.document_id for x in out.citations}
    assert cited_docs and cited_docs <= set(ids.values())
    # Each citation resolves to a passage of its document: the evidence span lies on its page.
    assert all(x.char_end > x.char_start and x.page == 1 for x in out.citations)
    assert out.timings is not None and out.timings.ttft_ms and out.timings.tokens > 0


def test_question_the_documents_cannot_answer_abstains(answering: Fixture) -> None:
    c, _ = answering
    out = ask(c, "東京スカイツリーの高さは何メートルですか？")
    assert out.abstained, out
    assert "記載がありません" in out.answer
