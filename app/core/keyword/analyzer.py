"""Text → BM25 terms, for Japanese, English and text that mixes them.

Japanese runs go through MeCab (fugashi + UniDic-lite, which ships its dictionary): each content
morpheme becomes its dictionary form (行った/行きました → 行く), particles, auxiliaries and symbols are
dropped. Morphology alone misses compounds the dictionary splits differently in question and passage
(東京スカイツリー vs スカイツリー), so every run of Japanese characters also yields its character
bigrams, in their own namespace; the two views together beat either one on JSQuAD (see README).
Latin-script words are lower-cased, stop words dropped and plural endings folded (a light "S" stemmer:
on XQuAD it did as well as Porter2 without a dependency). NFKC first, so ｶﾀｶﾅ, ＡＢＣ and １２３ match.
"""

from __future__ import annotations

import re
import threading
import unicodedata
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
BIGRAM_PREFIX = "\u2082"  # "₂": keeps bigram terms apart from word terms of the same spelling


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
            out.append(BIGRAM_PREFIX + run)
        out.extend(BIGRAM_PREFIX + run[i : i + 2] for i in range(len(run) - 1))
    return out


class MecabAnalyzer:
    """The default analyzer (fugashi + UniDic-lite). Safe to share between threads."""

    def __init__(self, *, bigrams: bool = True, words: bool = True) -> None:
        self.bigrams = bigrams
        self.words = words
        # MeCab taggers must not be used by two threads at once: one per thread, made on first use.
        self._local = threading.local()

    @property
    def analyzer_id(self) -> str:
        return f"mecab-unidic-lite/v1/{'w' if self.words else ''}{'b' if self.bigrams else ''}"

    def _tagger(self) -> Any:
        tagger = getattr(self._local, "tagger", None)
        if tagger is None:
            import fugashi  # imported lazily: loading the dictionary takes a moment

            tagger = self._local.tagger = fugashi.Tagger()
        return tagger

    def tokenize(self, text: str) -> list[str]:
        text = normalize(text)
        if not _HAS_JA.search(text):
            return latin_terms(text)
        terms: list[str] = []
        if self.words:
            for word in self._tagger()(text):
                feature = word.feature
                if feature.pos1 in _DROP_POS:
                    continue
                surface = word.surface
                if surface.isascii():
                    terms.extend(latin_terms(surface))
                elif _HAS_JA.search(surface):
                    # orthBase is the dictionary form in its usual spelling (unidic-lite's `lemma`
                    # is often katakana, merging homophones); unknown words have none.
                    terms.append((feature.orthBase or surface).lower())
                else:
                    terms.extend(_WORD.findall(surface))
        else:
            terms.extend(latin_terms(_JA_RUN.sub(" ", text)))
        if self.bigrams:
            terms.extend(char_bigrams(text))
        return terms
