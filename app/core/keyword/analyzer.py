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

import re

from app.core.text import JAPANESE, JAPANESE_RUN, SEARCH_STOPWORDS, SharedTagger, fold_english, nfkc_lower

_WORD = re.compile(r"[^\W_]+")
# UniDic parts of speech that carry no content: particles, auxiliaries, symbols, blanks.
_DROP_POS = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白"})
FIELDS = ("word", "char")


def latin_terms(text: str) -> list[str]:
    return [fold_english(w) for w in _WORD.findall(text) if w not in SEARCH_STOPWORDS]


def char_bigrams(text: str) -> list[str]:
    """Character bigrams of each Japanese run (a one-character run is kept as a unigram)."""
    out: list[str] = []
    for run in JAPANESE_RUN.findall(text):
        if len(run) == 1:
            out.append(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


class MecabAnalyzer:
    """The default analyzer (fugashi + UniDic-lite). Safe to share between threads."""

    fields: tuple[str, ...] = FIELDS
    script_field: str | None = "char"  # empty exactly when the text has no Japanese

    def __init__(self) -> None:
        self._tagger = SharedTagger()  # search threads and the index sync call at once

    @property
    def analyzer_id(self) -> str:
        return "mecab-unidic-lite/v1"

    def analyze(self, text: str) -> dict[str, list[str]]:
        text = nfkc_lower(text)
        if not JAPANESE.search(text):
            return {"word": latin_terms(text), "char": []}
        words: list[str] = []
        with self._tagger.borrow() as tagger:
            for word in tagger(text):
                feature = word.feature
                if feature.pos1 in _DROP_POS:
                    continue
                surface = word.surface
                if surface.isascii():
                    words.extend(latin_terms(surface))
                elif JAPANESE.search(surface):
                    # orthBase is the dictionary form in its usual spelling (unidic-lite's `lemma` is
                    # often katakana, which merges homophones); unknown words have none.
                    words.append((feature.orthBase or surface).lower())
                else:
                    words.extend(_WORD.findall(surface))
        return {"word": words, "char": char_bigrams(text) + latin_terms(JAPANESE_RUN.sub(" ", text))}
