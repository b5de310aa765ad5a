"""Answers from the real bundled models on the seed corpus: the fact, a citation to the right document,
and an abstention when the documents cannot answer."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from app.core.settings import Settings
from app.db.session import session_scope
from app.services import documents as docs
from app.services.answering import AskRequest
from app.services.container import Container, build_container
from ingestion.worker import Worker
from tests.conftest import CORPUS
from tests.support.ci import require

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
    ids = {}
    for path in sorted((CORPUS / "seeds").glob("*.txt")):
        up = docs.spool_file(io.BytesIO(path.read_bytes()), settings.paths.uploads_dir, path.name, 10**8)
        with session_scope(c.factory, write=True) as s:
            coll = docs.get_collection(s, "default")
            ids[path.name] = docs.register_upload(s, settings.paths.uploads_dir, coll, up).document.id
    worker = Worker(settings, c.factory, c.embedder)
    while worker.run_once():
        pass
    assert c.registry is not None
    c.registry.sync()
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
