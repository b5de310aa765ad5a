"""Support across languages: an English sentence citing a Japanese page (or a Japanese one citing an
English page) shares almost no words with it, so the lexical check (app.core.support) would flag
every such sentence. The embedding model search already loaded (multilingual e5) puts a sentence and
its translation near each other: the cosine similarity of the sentence and the source's best window
of one or two sentences, rescaled onto the lexical check's scale, decides instead. Numbers must still
be in the source, compared by value (「3 億」 is "300 million", "ten" is 10); names are not checked,
as katakana and Latin letters don't compare.

The scale comes from bench/sets/crosslingual_claims.json (66 hand-written claims against the seed
documents and XQuAD contexts; bench/crosslingual.py). With multilingual-e5-small, faithful claims
score 0.80-0.93 and invented claims on the passage's own topic 0.80-0.90: the two overlap, and 0.88
(rescaled: SUPPORT_THRESHOLD) is where few invented claims pass. English claims over Japanese pages:
67% of faithful ones verified (8% by words alone), 2 of 13 invented ones and no wrong number.
Japanese claims over English pages fare worse (25% verified). Weaker than the lexical check within
one language, and the README says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np

from app.core.embedding import Embedder
from app.core.text import JAPANESE

# Cosine similarity -> support: FLOOR maps to 0, 1.0 to 1, and THRESHOLD to the lexical check's 0.55
# (app.core.citations.SUPPORT_THRESHOLD), so one threshold decides for both checks.
THRESHOLD = 0.88
FLOOR = (THRESHOLD - 0.55) / (1 - 0.55)

Similar = Callable[[str, Sequence[str]], Sequence[float]]


def _counts(text: str) -> tuple[int, int]:
    ja = len(JAPANESE.findall(text))
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    return ja, latin


def writing(text: str) -> str | None:
    """Which language ``text`` is written in, "ja" or "en" (None: neither, as in "333 [1]"). A kanji
    counts as two Latin letters, so an English sentence naming 東京タワー stays English and a Japanese
    one naming GPT-4 stays Japanese."""
    ja, latin = _counts(text)
    if not ja and not latin:
        return None
    return "ja" if 2 * ja >= latin else "en"


def across(claim: str, source: str) -> bool:
    """Are the claim and its source written in different languages?"""
    a, b = writing(claim), writing(source)
    return a is not None and b is not None and a != b


_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}
_SCALE = {
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "千": 1e3,
    "万": 1e4,
    "億": 1e8,
    "兆": 1e12,
}
_NUMBER = re.compile(
    r"(\d+(?:\.\d+)?|\b(?:" + "|".join(_WORDS) + r")\b)(?:[\s-]*(" + "|".join(_SCALE) + r"))?",
    re.IGNORECASE,
)


def numbers(text: str) -> dict[float, str]:
    """The numbers of ``text`` by value, as written: 「3 億」 and "300 million" are one value, "ten" is
    10. Across languages a number is the one thing both write alike, once its scale word is read."""
    norm = unicodedata.normalize("NFKC", text).replace(",", "")
    out: dict[float, str] = {}
    for m in _NUMBER.finditer(norm):
        head, scale = m.group(1).lower(), (m.group(2) or "").lower()
        value = float(_WORDS[head]) if head in _WORDS else float(head)
        out.setdefault(round(value * _SCALE.get(scale, 1.0), 6), m.group(0).strip())
    return out


def unbacked(claim: str, source: str) -> tuple[str, ...]:
    """The claim's numbers (as written) that the source does not hold, by value."""
    held = numbers(source)
    return tuple(text for value, text in numbers(claim).items() if value not in held)


def to_support(similarity: float) -> float:
    return float(min(1.0, max(0.0, (similarity - FLOOR) / (1 - FLOOR))))


class EmbeddingSimilarity:
    """``similar(claim, windows)``: cosine similarity of the claim (embedded as a query) to each window
    (embedded as a passage). Window vectors are kept, so one answer's sentences share them."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._vectors: dict[str, np.ndarray] = {}

    def __call__(self, claim: str, windows: Sequence[str]) -> list[float]:
        new = [w for w in dict.fromkeys(windows) if w not in self._vectors]
        if new:
            self._vectors.update(zip(new, self.embedder.embed_documents(new), strict=True))
        q = self.embedder.embed_query(claim)
        return [float(self._vectors[w] @ q) for w in windows]
