"""Cross-lingual claim support with the real bundled embedder (multilingual-e5-small): an English
answer's sentences citing a Japanese page. The claims are from bench/sets/crosslingual_claims.json,
ones far from the threshold on either side (bench/crosslingual.py prints them all)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from app.core.citations import SourceRef, check_citations
from app.core.crosslingual import EmbeddingSimilarity
from tests.conftest import REPO

pytestmark = pytest.mark.integration

DATA = json.loads((REPO / "bench/sets/crosslingual_claims.json").read_text(encoding="utf-8"))


def _status(claim: str, passage: str, real_embedder: Any) -> str:
    report = check_citations(
        f"{claim} [1]", [SourceRef(1, DATA["passages"][passage])], similar=EmbeddingSimilarity(real_embedder)
    )
    return report.citations[0].status


@pytest.mark.parametrize(
    ("claim", "passage", "status"),
    [
        (
            "Google switched its translation service to neural machine translation in 2016.",
            "ja_nmt",
            "verified",
        ),
        ("The decoder-only GPT-1 was introduced in 2018.", "ja_gpt", "verified"),
        (
            "In 2001, a smoothed n-gram model trained on 300 million words achieved state-of-the-art "
            "perplexity.",
            "ja_prehistory",
            "verified",
        ),
        (
            "Google switched its translation service to neural machine translation in 2019.",
            "ja_nmt",
            "unsupported",
        ),
        ("LLMs were first trained on images rather than text.", "ja_arch", "unsupported"),
        ("The paper was presented at the ICML conference in Sydney.", "ja_neurips", "unsupported"),
    ],
)
def test_english_claims_about_a_japanese_page(
    claim: str, passage: str, status: str, real_embedder: Any
) -> None:
    assert _status(claim, passage, real_embedder) == status
