"""Text → BM25 terms in two fields, for Japanese, English and text that mixes them.

- ``word``: Japanese runs go through MeCab (fugashi + UniDic-lite, which ships its dictionary); each
  content morpheme becomes its dictionary form (食べました/食べた → 食べる); particles, auxiliaries
  and symbols are dropped. Latin-script words are lower-cased, stop words dropped and plural endings
  folded (a light "S" stemmer: on XQuAD it did as well as Porter2, without a dependency).
- ``char``: character bigrams of every Japanese run, plus the Latin words of the text. Morphology
  alone misses compounds the dictionary cuts differently in question and passage (東京スカイツリー vs
  スカイツリー); bigrams don't. Text without Japanese leaves this field empty: English words are
  already unambiguous units, and English character bigrams only added noise (LIT-RAGBench, README).

The fields are separate BM25 indexes, fused as two signals (see app/core/fusion.py), so each keeps its
own length normalisation. NFKC first, so ｶﾀｶﾅ, ＡＢＣ and １２３ match their usual forms.
"""

from __future__ import annotations

import queue
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from app.core.keyword.stopwords import ENGLISH_STOPWORDS

# Kana, CJK ideographs (incl. 々 and extension planes) and the prolonged sound mark.
_JA_CHARS = "\u3005\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
_JA_RUN = re.compile(f"[{_JA_CHARS}]+")
_HAS_JA = re.compile(f"[{_JA_CHARS}]")
_WORD = re.compile(r"[^\W_]+")
# UniDic parts of speech that carry no content: particles, auxiliaries, symbols, blanks.
_DROP_POS = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白"})
FIELDS = ("word", "char")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=65_536)
def fold_english(word: str) -> str:
    """Harman's S-stemmer: fold regular plurals (queries → query, cars → car), leave the rest."""
    if len(word) > 4 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def latin_terms(text: str) -> list[str]:
    return [fold_english(w) for w in _WORD.findall(text) if w not in ENGLISH_STOPWORDS]


def char_bigrams(text: str) -> list[str]:
    """Character bigrams of each Japanese run (a one-character run is kept as a unigram)."""
    out: list[str] = []
    for run in _JA_RUN.findall(text):
        if len(run) == 1:
            out.append(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


class MecabAnalyzer:
    """The default analyzer (fugashi + UniDic-lite). Safe to share between threads."""

    fields: tuple[str, ...] = FIELDS
    script_field: str | None = "char"  # empty exactly when the text has no Japanese

    def __init__(self) -> None:
        # MeCab taggers must not be used by two threads at once, so each call borrows one from a pool
        # (made on demand: as many as calls ever ran at once). Not one per thread: the server makes
        # a thread per streamed answer, and a tagger is never given back when its thread ends
        # (about 10 MB each, measured), so per-thread taggers grew the process without bound.
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()

    @property
    def analyzer_id(self) -> str:
        return "mecab-unidic-lite/v1"

    @contextmanager
    def _tagger(self) -> Iterator[Any]:
        try:
            tagger = self._idle.get_nowait()
        except queue.Empty:
            import fugashi  # imported lazily: loading the dictionary takes a moment

            tagger = fugashi.Tagger()
        try:
            yield tagger
        finally:
            self._idle.put(tagger)

    def analyze(self, text: str) -> dict[str, list[str]]:
        text = normalize(text)
        if not _HAS_JA.search(text):
            return {"word": latin_terms(text), "char": []}
        words: list[str] = []
        with self._tagger() as tagger:
            for word in tagger(text):
                feature = word.feature
                if feature.pos1 in _DROP_POS:
                    continue
                surface = word.surface
                if surface.isascii():
                    words.extend(latin_terms(surface))
                elif _HAS_JA.search(surface):
                    # orthBase is the dictionary form in its usual spelling (unidic-lite's `lemma` is
                    # often katakana, which merges homophones); unknown words have none.
                    words.append((feature.orthBase or surface).lower())
                else:
                    words.extend(_WORD.findall(surface))
        return {"word": words, "char": char_bigrams(text) + latin_terms(_JA_RUN.sub(" ", text))}
