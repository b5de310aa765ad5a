"""Ingest real documents with the real bundled embedding model, on SQLite and PostgreSQL, and search.

Covers the whole worker path (extract → check → normalise → chunk → embed → one transaction) and the
service's search (FAISS → hydrate), with page-accurate results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from app.core.settings import Settings
from app.db import models as m
from app.db.session import session_scope
from app.services.container import Container, build_container
from tests.conftest import CORPUS
from tests.support.ci import require
from tests.support.ingest import ingest

pytestmark = pytest.mark.integration

PDF_NOTICE = CORPUS / "pdf/good/ja_gov_notice_mhlw-tsuchi.pdf"
PDF_DMCA = CORPUS / "pdf/good/en_gov_report_dmca-summary_18p.pdf"


@pytest.fixture
def container(make_settings: Callable[..., Settings], db_url: str, real_embedder: Any) -> Iterator[Container]:
    require(CORPUS.is_dir(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)")
    settings = make_settings(db_url, embedding={"backend": "sbert"})
    c = build_container(settings, embedder=real_embedder)
    yield c
    c.close()


def top(c: Container, query: str, k: int = 3) -> list[tuple[int, int, str]]:
    assert c.retriever is not None
    return [(p.document_id, p.page, p.text) for p in c.retriever.search(query, "default", k).passages]


def test_seeds_and_pdfs_are_searchable_with_pages(container: Container) -> None:
    seeds = sorted((CORPUS / "seeds").glob("*.txt"))
    ids = ingest(container, [*seeds, PDF_NOTICE, PDF_DMCA])
    with session_scope(container.factory) as s:
        rows = {d.filename: d for d in s.scalars(select(m.Document))}
        assert all(d.status == m.DocumentStatus.ready for d in rows.values()), {
            d.filename: d.error for d in rows.values()
        }
        assert rows[PDF_DMCA.name].pages == 18 and rows[PDF_NOTICE.name].pages == 2
        # Chunk offsets point into the stored page text.
        for chunk, page_text in s.execute(
            select(m.Chunk, m.Page.text).join(
                m.Page, (m.Page.document_id == m.Chunk.document_id) & (m.Page.number == m.Chunk.page_start)
            )
        ):
            assert page_text[chunk.char_start : chunk.char_end] == chunk.text

    hits = top(container, "When was the Digital Millennium Copyright Act signed into law?")
    assert (ids[PDF_DMCA.name], 1) in [(d, p) for d, p, _ in hits]
    hits = top(container, "デジタルミレニアム著作権法はいつ法律として署名されましたか")
    assert (ids[PDF_DMCA.name], 1) in [(d, p) for d, p, _ in hits]
    hits = top(container, "産前産後休業は労働基準法の第何条に規定されていますか")
    assert (ids[PDF_NOTICE.name], 2) in [(d, p) for d, p, _ in hits]
    seed_ids = {ids[p.name] for p in seeds}
    for q in ("Transformerを提案した論文は何ですか", "Which paper introduced the Transformer architecture?"):
        hits = top(container, q)
        assert any(d in seed_ids and "attention" in t.lower() for d, _, t in hits), hits


def test_reingesting_the_same_file_is_a_duplicate(container: Container) -> None:
    ingest(container, [PDF_NOTICE])
    ingest(container, [PDF_NOTICE])
    with session_scope(container.factory) as s:
        assert len(list(s.scalars(select(m.Document)))) == 1
