"""Keyword search: an analyzer (text → terms) behind a thin protocol, and a BM25 index over terms.

The index is a derived cache like the vector index: the service builds it from the database's chunk
texts and snapshots it; nothing here knows about the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from app.core.keyword.bm25 import BM25Index

if TYPE_CHECKING:
    from app.core.settings import KeywordSettings


class Analyzer(Protocol):
    fields: tuple[str, ...]  # names of the term fields `analyze` returns, each its own BM25 index
    # A field that has terms exactly when the text has Japanese (None: the analyzer doesn't say). BM25
    # can't match a Japanese query against a passage without Japanese; the retriever uses this to
    # treat those keyword scores as "no evidence" rather than "a bad match".
    script_field: str | None

    @property
    def analyzer_id(self) -> str:
        """Identifies the tokenisation (terms from different analyzers must never share an index)."""
        ...

    def analyze(self, text: str) -> dict[str, list[str]]:
        """Index terms of ``text`` per field; the same function serves passages and queries."""
        ...


def create_analyzer(settings: KeywordSettings) -> Analyzer:
    backend = settings.analyzer
    if backend == "fake":
        from app.core.keyword.fake import FakeAnalyzer

        return FakeAnalyzer()
    if backend == "mecab":
        from app.core.keyword.analyzer import MecabAnalyzer

        return MecabAnalyzer()
    raise ValueError(f"unknown keyword analyzer {backend!r}")


__all__ = ["Analyzer", "BM25Index", "create_analyzer"]
