"""Lexical support: how much of a claim a passage contains, in Japanese or English, with no model.

A claim and a passage are reduced to content units: character bigrams of kanji/katakana runs
(hiragana, which is mostly particles and inflection, separates runs and is dropped; a lone kanji
between kana counts as a unigram at half weight), lowercase English words minus stop words with a
light suffix strip, and numbers. Support is containment, not Jaccard: the weighted share of the
claim's units found in the passage, so a short claim wholly inside a long passage scores 1.0. It is
measured against each window of one or two consecutive passage sentences and the best window is the
evidence span. A number in the claim that the window lacks is a likely factual error (1998 for
1996), so it costs more than a missing word: numbers weigh double and each missing one also halves
the score.
"""

from __future__ import annotations

import re

from app.core.chunking import sentence_spans
from app.core.text import (
    CLAIM_STOP_BIGRAMS,
    CLAIM_STOPWORDS,
    CONTENT_CHARS,
    KATAKANA_LETTERS,
    light_stem,
    nfkc_lower,
)

Units = dict[str, float]  # content unit -> weight

NUMBER_WEIGHT = 2.0
# Each claim number missing from the window halves the score: GPT-3 in 2021 (for 2020) is wrong however
# much else matches.
NUMBER_PENALTY = 0.5
# Fewer content units than this is "no claim": はい。 / In short: / Paris.
MIN_CONTENT = 2.0

_TOKEN = re.compile(
    rf"(?P<num>\d+(?:[.,]\d+)*)|(?P<word>[a-z\u00e0-\u024f]+(?:'[a-z]+)?)|(?P<cjk>[{CONTENT_CHARS}]+)"
)
# The machine-translated corpus writes "トランスフォーマー アーキテクチャ": spaces inside CJK don't split.
_CJK_SPACE = re.compile(rf"(?<=[{CONTENT_CHARS}])\s+(?=[{CONTENT_CHARS}])")
# Katakana words are long (ネットワーク is five bigrams for one word): their bigrams weigh half.
_KATAKANA = re.compile(f"[{KATAKANA_LETTERS}]+")
# "1. ", "2) ", "- ", "・" opening a list item number the list, not the claim.
_LIST_MARK = re.compile(r"^\s*(?:[-*•・]|\(?\d{1,2}[.)](?!\d))\s*", re.MULTILINE)
# prompting.SEP joins the selected pieces of one passage; evidence never straddles a join.
_PIECE_SEP = re.compile(r"\s…\s")

_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen twenty".split()
    )
}


def content_units(text: str) -> Units:
    """The claim side: each content unit with its weight."""
    units: Units = {}
    for key, weight in _tokens(text, passage=False):
        if weight > units.get(key, 0.0):
            units[key] = weight
    return units


def has_content(units: Units) -> bool:
    return sum(units.values()) >= MIN_CONTENT


class Passage:
    """A source text split into one- and two-sentence windows, each with its set of units; built once
    per source and reused for every claim."""

    def __init__(self, text: str) -> None:
        self.text = text
        spans = [piece for span in sentence_spans(text) for piece in _split_pieces(text, *span)]
        keys = [frozenset(k for k, _ in _tokens(text[a:b], passage=True)) for a, b in spans]
        self._windows = [(a, b, k) for (a, b), k in zip(spans, keys, strict=True)]
        self.sentences = list(self._windows)  # (start, end, units) of each single sentence
        self._windows += [
            (spans[i][0], spans[i + 1][1], keys[i] | keys[i + 1]) for i in range(len(spans) - 1)
        ]
        self.windows = [(a, b) for a, b, _ in self._windows]  # every window's span, sentences first

    def support(self, claim: Units) -> tuple[float, tuple[int, int]]:
        """Best window score in [0, 1] and its span; single sentences win ties. (0.0, (0, 0)) when
        nothing of the claim is in the passage."""
        best, span = 0.0, (0, 0)
        for start, end, keys in self._windows:
            score = containment(claim, keys)
            if score > best + 1e-9:
                best, span = score, (start, end)
        return best, span


def containment(claim: Units, keys: frozenset[str]) -> float:
    total = sum(claim.values())
    if not total:
        return 0.0
    score = sum(w for unit, w in claim.items() if unit in keys) / total
    missing = sum(unit[0] == "#" and unit not in keys for unit in claim)
    return score * NUMBER_PENALTY**missing


def _tokens(text: str, *, passage: bool) -> list[tuple[str, float]]:
    norm = _CJK_SPACE.sub("", _LIST_MARK.sub("", nfkc_lower(text)))
    out: list[tuple[str, float]] = []
    for m in _TOKEN.finditer(norm):
        tok = m.group()
        if m.lastgroup == "num":
            out.append(("#" + number_key(tok), NUMBER_WEIGHT))
        elif tok in _NUMBER_WORDS:
            out.append(("#" + _NUMBER_WORDS[tok], NUMBER_WEIGHT))
        elif m.lastgroup == "word":
            stem = light_stem(tok)
            if tok not in CLAIM_STOPWORDS and stem not in CLAIM_STOPWORDS:
                out.append((stem, 1.0))
        elif len(tok) == 1:
            out.append((tok, 0.5))
        else:
            for i in range(len(tok) - 1):
                bigram = tok[i : i + 2]
                if bigram not in CLAIM_STOP_BIGRAMS:
                    out.append((bigram, 0.5 if _KATAKANA.fullmatch(bigram) else 1.0))
            if passage:  # so a claim's lone kanji (使う → 使) is found inside the passage's compounds
                out.extend((ch, 0.5) for ch in tok)
    return out


def number_key(tok: str) -> str:
    """A number by its value: 1,000 and 1000 are one number, 06 and 6 too."""
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", tok):
        tok = tok.replace(",", "")  # 1,000 == 1000
    return str(int(tok)) if tok.isdigit() else tok  # 06 == 6


def _split_pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    pieces, pos = [], start
    for m in _PIECE_SEP.finditer(text, start, end):
        pieces.append((pos, m.start()))
        pos = m.end()
    pieces.append((pos, end))
    return [(a, b) for a, b in pieces if a < b]
