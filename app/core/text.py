"""Text handling shared by ingestion, search, prompting, citation checks and evaluation: which
characters are Japanese, the English stemmers and stop words, and how MeCab taggers are shared.

Character classes are bodies for a regex ``[...]`` (so they compose: ``f"[{KANJI}{KATAKANA_LETTERS}]"``).
Where two callers keep different classes or lists, both are here, named for their job, and the
comment says why they are not one: outputs on the real data (JSQuAD, XQuAD, LIT-RAGBench, the seed
corpus) were compared before and after each merge, and only merges that changed nothing were made.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from typing import Any

logger = logging.getLogger(__name__)

# -- characters ------------------------------------------------------------------------------------

# CJK ideographs: extension A, the unified block, compatibility ideographs (﨑) and the supplementary
# planes (𠮷). Not the Yijing hexagram symbols (U+4DC0-4DFF) between extension A and the unified block.
IDEOGRAPHS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"
# Ideographs plus the marks written as kanji: 々 (人々) and 〆 (〆切).
KANJI = "\u3005\u3006" + IDEOGRAPHS
# The hiragana and katakana blocks whole, so ー, ・, ゝ and the combining (han)dakuten are included.
KANA = "\u3040-\u30ff"
HALFWIDTH_KATAKANA = "\uff66-\uff9f"  # ｶﾀｶﾅ: NFKC folds it, raw input (questions, answers) may not be
# Katakana letters and ー, without ・ and the iteration marks: the characters of katakana words.
KATAKANA_LETTERS = "\u30a1-\u30fa\u30fc"
# Small katakana for Ainu (ㇷ, ㇿ: in two JSQuAD passages and one question). Only the text-quality check
# counts them as Japanese: in JAPANESE_CHARS they would change those texts' BM25 character bigrams.
KATAKANA_PHONETIC_EXTENSIONS = "\u31f0-\u31ff"

# Any character that makes a text Japanese: chunking (sentence ends, word cuts), normalisation (letter
# spacing, line joins), BM25 runs, the answer language and the evaluation scorer all use this one.
JAPANESE_CHARS = KANJI + KANA + HALFWIDTH_KATAKANA
JAPANESE = re.compile(f"[{JAPANESE_CHARS}]")
JAPANESE_RUN = re.compile(f"[{JAPANESE_CHARS}]+")

# Characters of Japanese content words, for lexical overlap: kanji and katakana letters. Hiragana
# (particles, inflection) and ・ separate them. Citation support uses this one.
CONTENT_CHARS = KANJI + KATAKANA_LETTERS
# The older, looser overlap class: the CJK and katakana blocks whole, so ・ joins words and 々 splits
# them. Sentence selection for prompts and follow-up detection use it: CONTENT_CHARS there would change
# which sentences reach the prompt for 18 of 5,632 JSQuAD + XQuAD questions, and it waits for an
# answer-quality run to decide.
KANJI_KATAKANA_BLOCKS = "\u3400-\u9fff\u30a0-\u30ff"


def is_japanese(text: str) -> bool:
    """Does ``text`` hold any kana or kanji (half-width katakana included)?"""
    return JAPANESE.search(text) is not None


def nfkc_lower(text: str) -> str:
    """NFKC and lower case: ｶﾀｶﾅ, ＡＢＣ and １２３ become their usual forms, and case stops mattering."""
    return unicodedata.normalize("NFKC", text).lower()


# -- English: stemmers -----------------------------------------------------------------------------
# Two on purpose. Search wants the conservative one (on XQuAD it did as well as Porter2, and
# "running" stays a word); citation support wants train/trained/training to meet, and its thresholds
# (app/core/citations.py) were calibrated with `light_stem`. Either one in the other's place changes
# BM25 scores or support scores.


@lru_cache(maxsize=65_536)
def fold_english(word: str) -> str:
    """Harman's S-stemmer for search terms: fold regular plurals (queries → query, cars → car)."""
    if len(word) > 4 and word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


def light_stem(word: str) -> str:
    """Just enough to match model/models, train/trained/training across a claim and its passage."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith(("ies", "ied")):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


# -- stop words ------------------------------------------------------------------------------------

# English function words both search and citation support drop.
_FUNCTION_WORDS = frozenset(
    """
    a an the and or but nor of in on at to for from by with without into onto about as than then so
    such that this these those there here it its it's they them their he she his her we our you your i
    me my is are was were be been being am do does did done have has had having can could may might
    must shall should will would not no also which who whom whose what when where why how if
    """.split()
)
# Search: function words that match almost every passage and rank nothing. Kept short on purpose (no
# content words such as "first" or "new"): a word left in costs a little speed; a word wrongly dropped
# can make a query unanswerable.
SEARCH_STOPWORDS = _FUNCTION_WORDS | frozenset("doing him us upon s t".split())
# Citation support: also quantifiers, connectives and the words an answer uses about its sources
# ("according to the passage"), which claim nothing. It keeps "him", "us", "upon" and "doing" only
# because support scores were calibrated with them in.
CLAIM_STOPWORDS = _FUNCTION_WORDS | frozenset(
    """
    over under yes very just only more most much many some any all each both either neither other
    while because although though however therefore thus hence furthermore moreover additionally
    overall short summary conclusion note according source document passage context provided
    mention mentioned state stated states say says said based following above below
    """.split()
)
# Japanese bigrams about the sources themselves (資料によると…): no claim in them.
CLAIM_STOP_BIGRAMS = frozenset(["資料", "文書", "出典", "記載", "参照", "言及"])
# Text quality: the commonest short words of English, German, French, Spanish, Italian, Portuguese,
# Dutch and Latin. Enough of them prove a page is language and not shifted glyph codes.
LANGUAGE_EVIDENCE_WORDS = frozenset(
    "the of and to in is a for that on with as by it be are or an at this from was not have "
    "der die das und ist ein eine zu den mit von im dem des sich auf nicht für wir es "
    "le la les et de des un une est du en que qui dans pour pas sur au "
    "el los las y del se por con una para al "
    "il di che e non per una sono "
    "o os da do em um uma "
    "het een van en is op te "
    "sed ut ad est et in non cum quod ex".split()
)


# -- MeCab -----------------------------------------------------------------------------------------


class SharedTagger:
    """One fugashi (MeCab + UniDic-lite) tagger, made on first use, used by one call at a time.

    A MeCab tagger must not be used by two threads at once, and fugashi holds the GIL while it parses,
    so threads never tokenise in parallel and a pool of taggers (one per concurrent call) gains no
    throughput for its memory. Measured (JSQuAD questions through MecabAnalyzer, 2-core CPU): 2, 4 and
    8 threads took 1.0-1.5x the single-thread time for the same work with either policy; queries while
    three threads analysed passages had a p50 of ~0.09 ms with either, a p95 of 0.25-3.5 ms with the
    lock and 0.23-0.28 ms with a pool, and a worst wait of 17-23 ms with the lock and 49-75 ms with a
    pool, whose every extra tagger cost about 13 MB. Not one per thread either: the server makes a
    thread per streamed answer and a thread's tagger was never given back, so per-thread taggers grew
    the process without bound.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tagger: Any = None

    @contextmanager
    def borrow(self) -> Iterator[Any]:
        """The tagger, for this call alone; its nodes are valid only inside the ``with`` block."""
        with self._lock:
            if self._tagger is None:
                import fugashi  # imported lazily: loading the dictionary takes a moment

                self._tagger = fugashi.Tagger()
            yield self._tagger


@cache
def mecab_available() -> bool:
    """Is fugashi importable? (A declared dependency; callers with a fallback ask first.)"""
    try:
        import fugashi  # noqa: F401
    except ImportError:  # pragma: no cover - fugashi is a declared dependency
        logger.warning("fugashi is not installed; Japanese is cut at spaces only")
        return False
    return True
