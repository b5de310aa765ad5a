"""Key terms of a claim: the numbers and names a cited passage must back for the claim to hold.

Lexical support (app.core.support) measures how much of a sentence a passage contains. One swapped
fact barely moves that share: "梅雨がないのは北海道です" against a passage saying 小笠原諸島 keeps most
of its bigrams, and the swapped name is often elsewhere in the same passage. So a citation is also
checked term by term (app.core.citations): every number, every proper noun (MeCab's 固有名詞) and
every capitalised or Latin-script name of the sentence must stand in one sentence of the source
together with most of the words around it in the claim (`contexts`: its clause). The topic the
question names (`topic_spans`) may stand in any sentence. A term that is backed nowhere is reported
missing and the citation is unsupported.

Matching is on NFKC-lowered text with spaces removed between CJK characters; English words are
compared by their light stem (Americans ~ American), numbers by value (1,000 == 1000, ０６ == 6).
Measured with bench/claims.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from app.core.support import Units, content_units, number_key
from app.core.text import (
    CLAIM_STOPWORDS,
    CONTENT_CHARS,
    JAPANESE,
    KANJI,
    KATAKANA_LETTERS,
    SharedTagger,
    light_stem,
    mecab_available,
    nfkc_lower,
)

Kind = Literal["number", "name"]

_TAGGER = SharedTagger()

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CJK_SPACE = re.compile(rf"(?<=[{CONTENT_CHARS}])\s+(?=[{CONTENT_CHARS}])")
# A name in Latin script: a capitalised word, an acronym or a word with digits (GPT-3, iPhone, BERT).
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")
_WORD = re.compile(r"[a-z]+")
_LATIN_PART = re.compile(r"[A-Za-z]+")
# "1. ", "2) ", "- " opening a list item number the list, not a fact.
_LIST_MARK = re.compile(r"^\s*(?:[-*•・]|\(?\d{1,2}[.)](?!\d))\s*", re.MULTILINE)
# Sentence openers: a capital there says nothing about names.
_OPENER = re.compile(r"(?:^|[.!?。！？]\s*|\n\s*)$")
# Clause ends in NFKC text (，→, ；→; ！→!): 、 and 。 anywhere, , ; ! ? unless a digit follows (1,000),
# a period only before a space or the end (3.5, e.g. inside words).
_CLAUSE_END = re.compile(r"[、。\n]|[,;!?](?!\d)|\.(?=\s|$)")
CONTEXT_CHARS = 24  # about a clause of Japanese, five or six English words
MIN_CONTEXT = 3.0  # content units (app.core.support weights) a context needs to place a term
# The rest of a compound name may stand between the term and the marker: 山田[太郎]は, 東京[タワー]の.
_COMPOUND_REST = re.compile(rf"[{KANJI}{KATAKANA_LETTERS}・]{{0,8}}")
# A katakana word written onto a name is part of it: 東京タワー is not 東京スカイツリー, though MeCab
# tags only 東京 as 固有名詞. Kanji written onto a name mostly are not (オランダ最大, 滋賀県出身).
_KATAKANA_REST = re.compile(rf"[{KATAKANA_LETTERS}・]+")
_TOPIC_MARK = re.compile(r"(?:は|が|も|では|には|について|とは)")
_TOPIC_WORDS = 3  # an English name among the first three words opens the sentence
_MIN_NAME_CHARS = 2  # a lone kanji tagged 固有名詞 (日, 米) is an abbreviation more often than a name


@dataclass(frozen=True)
class Term:
    text: str  # as written in the claim
    key: str  # normalised: what is looked for
    kind: Kind


def key_terms(claim: str) -> list[Term]:
    """The numbers and names of ``claim``, each once, in order of appearance."""
    text = _LIST_MARK.sub("", claim)
    found: dict[str, Term] = {}
    for m in _NUMBER.finditer(nfkc_lower(text)):
        term = Term(m.group(), "#" + number_key(m.group()), "number")
        found.setdefault(term.key, term)
    for term in _latin_names(text):
        found.setdefault(term.key, term)
    if JAPANESE.search(text) and mecab_available():
        for term in _japanese_names(text):
            found.setdefault(term.key, term)
    return list(found.values())


class TermIndex:
    """What a passage (or a window of it) contains, to look terms up in."""

    def __init__(self, text: str) -> None:
        folded = nfkc_lower(text)
        self.flat = _CJK_SPACE.sub("", folded)
        self.numbers = {"#" + number_key(n) for n in _NUMBER.findall(folded)}
        self.words = {light_stem(w) for w in _WORD.findall(folded)}

    def has(self, term: Term) -> bool:
        if term.kind == "number":
            return term.key in self.numbers
        if term.key.startswith("@"):
            return term.key[1:] in self.words
        return term.key in self.flat


def contexts(claim: str, term: Term, topics: Iterable[tuple[int, int]] = ()) -> list[Units]:
    """The content units of the words around each place ``term`` stands in ``claim``: its clause (up
    to 、 , ; or the sentence's end), at most CONTEXT_CHARS either side, without the term's own units
    and without the ``topics`` (spans from topic_spans: a topic may be named in another sentence)."""
    text = blank(nfkc_lower(claim), topics)
    own = content_units(term.text)
    out = []
    for m in _occurrences(text, term):
        left = max((c.end() for c in _CLAUSE_END.finditer(text, 0, m.start())), default=0)
        right = next((c.start() for c in _CLAUSE_END.finditer(text, m.end())), len(text))
        left, right = _span(m, left, right)  # never half a number or word: 1996 cut to 96 is another
        # "|" keeps the two sides apart: 京都3区 must not make a bigram 都区.
        around = content_units(text[left : m.start()] + " | " + text[m.end() : right])
        if sum(around.values()) < MIN_CONTEXT and (left, right) != _span(m, 0, len(text)):
            # "インド東部、ビハール州": a clause too short to place the term in; take the words beyond it
            wide = _span(m, 0, len(text))
            around = content_units(text[wide[0] : m.start()] + " | " + text[m.end() : wide[1]])
        out.append({u: w for u, w in around.items() if u not in own})
    return out


def whole_name(text: str, term: Term) -> Term:
    """``term`` as ``text`` first writes it with the katakana word that follows it (東京 in
    東京タワーの高さは → 東京タワー): the name a source must hold to be about the same thing. Of 208
    such names in JSQuAD-valid questions, 207 stand whole in their gold passage."""
    if term.kind != "name" or term.key.startswith("@"):
        return term
    folded = _CJK_SPACE.sub("", nfkc_lower(text))
    at = folded.find(term.key)
    rest = _KATAKANA_REST.match(folded, at + len(term.key)) if at >= 0 else None
    if rest is None:
        return term
    key = term.key + rest.group()
    return Term(key, key, "name")


def topic_spans(claim: str, term: Term) -> list[tuple[int, int]]:
    """Where ``term`` names the sentence's topic, as spans of nfkc_lower(claim) covering its compound:
    a Japanese name (with the rest of its compound) before は/が/も/では/には/について/とは or opening
    the sentence (東京タワーの高さは…), an English name among its first three words. A topic the
    question named may be backed by any sentence of the source ("彼は" in the one holding the fact)."""
    if term.kind != "name":
        return []
    text = nfkc_lower(claim)
    opening = len(text) - len(text.lstrip())
    spans = []
    for m in _occurrences(text, term):
        if not term.key.startswith("@"):
            compound = _COMPOUND_REST.match(text, m.end())
            end = compound.end() if compound else m.end()
            if m.start() == opening or _TOPIC_MARK.match(text, end):
                spans.append((m.start(), end))
        elif len(_WORD.findall(text[: m.start()])) <= _TOPIC_WORDS:
            spans.append((m.start(), m.end()))
    return spans


def blank(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` (already NFKC-lowered) with the spans turned into "|", offsets kept."""
    chars = list(text)
    for a, b in spans:
        chars[a:b] = "|" * (b - a)
    return "".join(chars)


def _span(m: re.Match[str], lo: int, hi: int) -> tuple[int, int]:
    left, right = max(lo, m.start() - CONTEXT_CHARS), min(hi, m.end() + CONTEXT_CHARS)
    text = m.string
    while 0 < left < m.start() and _joined(text, left):
        left += 1
    while m.end() < right < len(text) and _joined(text, right):
        right -= 1
    return left, right


def _joined(text: str, at: int) -> bool:
    a, b = text[at - 1], text[at]
    return a.isascii() and b.isascii() and a.isalnum() and b.isalnum()


def _occurrences(text: str, term: Term) -> Iterable[re.Match[str]]:
    word = re.escape(nfkc_lower(term.text))
    if term.kind == "number":  # 1 is not the 1 of 2013
        return re.finditer(rf"(?<![\d.,]){word}(?![\d]|[.,]\d)", text)
    if term.key.startswith("@"):  # Altavilla, not the start of Altavillanus
        return re.finditer(rf"(?<![a-z]){word}(?![a-z])", text)
    return re.finditer(word, text)


def _latin_names(text: str) -> Iterable[Term]:
    norm = unicodedata.normalize("NFKC", text)  # not lowered: capitals are what mark names here
    for m in _LATIN_WORD.finditer(norm):
        word = m.group()
        if word.isdigit():
            continue
        capital = (
            word[0].isupper() or any(ch.isdigit() for ch in word) or sum(ch.isupper() for ch in word) > 1
        )
        if not capital:
            continue
        opener = _OPENER.search(norm[: m.start()]) is not None
        if opener and not (word.isupper() and len(word) > 1) and not any(ch.isdigit() for ch in word):
            continue  # "The", "However", "Members": a capital a sentence start gives any word
        if word.lower() in CLAIM_STOPWORDS or word == "I":
            continue
        for part in _LATIN_PART.findall(word):  # GPT-3: the 3 is a number term
            if len(part) >= _MIN_NAME_CHARS:  # 16S, 5G: a unit or a grade, not a name
                yield Term(part, "@" + light_stem(part.lower()), "name")


def _japanese_names(text: str) -> Iterable[Term]:
    with _TAGGER.borrow() as tagger:
        nodes = [(node.surface, node.feature.pos1, node.feature.pos2) for node in tagger(text)]
    for surface, pos1, pos2 in nodes:
        if pos1 != "名詞" or pos2 != "固有名詞":
            continue
        key = _CJK_SPACE.sub("", nfkc_lower(surface))
        if len(key) < _MIN_NAME_CHARS or not JAPANESE.search(key):
            continue  # Latin-script names are taken by _latin_names
        yield Term(surface, key, "name")
