"""Sentence-aware, token-sized chunks with exact character offsets.

A chunk is a run of whole sentences from one page, at most `max_tokens` long as counted by the
embedding model's own tokenizer, with the last `overlap_sentences` sentences of one chunk repeated
at the start of the next. A sentence longer than `max_tokens` is cut at word boundaries (Japanese:
morphemes grouped into phrases with fugashi/UniDic, so 東京特許許可局 stays whole; other text:
spaces), never inside a word. `chunk.text == page.text[char_start:char_end]` always holds: offsets
are the citation contract.

Token counting is the expensive part (a real tokenizer call), so each sentence is counted once and
chunks are packed from those counts; each finished chunk is counted once more to be exact.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from app.core.text import JAPANESE, JAPANESE_CHARS, SharedTagger, mecab_available

logger = logging.getLogger(__name__)

_CLOSERS = "」』）)]】〕〉》\"'”’"
# Full-width enders always end a sentence; ASCII ! ? only before a space, line end or Japanese.
_END_MARK = re.compile(rf"(?:[。！？]+|[!?]+(?=[\s{JAPANESE_CHARS}]|$)|\.+)[{re.escape(_CLOSERS)}]*")
_ABBREVIATIONS = frozenset(
    "e.g i.e cf vs al fig figs eq eqs no nos vol vols pp p mr mrs ms dr prof st jr sr inc ltd co corp "
    "u.s u.k e.u approx dept sec ch art para jan feb mar apr jun jul aug sep sept oct nov dec ca resp "
    "z.b bzw usw vgl ggf d.h s nr abb bsp bd hrsg ff".split()
)


class PageLike(Protocol):
    @property
    def number(self) -> int: ...

    @property
    def text(self) -> str: ...


@dataclass(frozen=True)
class ChunkDraft:
    ordinal: int  # 0-based in document
    page_start: int  # Page.number
    page_end: int
    char_start: int  # offset into the page_start page's text
    char_end: int  # offset (exclusive) into the page_end page's text
    text: str
    token_count: int


def chunk_pages(
    pages: Sequence[PageLike],
    count_tokens: Callable[[str], int],
    *,
    max_tokens: int = 256,
    overlap_sentences: int = 1,
) -> list[ChunkDraft]:
    """Cut pages into chunks; chunks never cross pages (page_start == page_end)."""
    if max_tokens < 1:
        raise ValueError("max_tokens must be positive")
    counter = _TokenCounter(count_tokens)
    drafts: list[ChunkDraft] = []
    for page in pages:
        units = _units(page.text, counter, max_tokens)
        for start, end, tokens in _pack(page.text, units, counter, max_tokens, overlap_sentences):
            drafts.append(
                ChunkDraft(len(drafts), page.number, page.number, start, end, page.text[start:end], tokens)
            )
    return drafts


class _TokenCounter:
    """Counts with the real tokenizer, once per distinct string. `cost` excludes the fixed per-call
    overhead (BOS/EOS and the like), so costs of adjacent sentences add up sensibly."""

    def __init__(self, count_tokens: Callable[[str], int]) -> None:
        self._count = count_tokens
        self._cache: dict[str, int] = {}
        self.overhead = count_tokens("")

    def count(self, text: str) -> int:
        n = self._cache.get(text)
        if n is None:
            n = self._count(text)
            self._cache[text] = n
        return n

    def cost(self, text: str) -> int:
        return max(self.count(text) - self.overhead, 0)


# -- sentences ------------------------------------------------------------------------------------


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace trimmed. Line breaks always end a sentence: after
    normalisation they mark headings, list items, table rows and paragraphs."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        start = pos
        for m in _END_MARK.finditer(line):
            if m.group(0)[0] == "." and not _is_period_end(line, m.start(), m.end()):
                continue
            if m.group(0)[-1] in _CLOSERS and line[m.end() : m.end() + 1] == "と":
                continue  # 「…。」と言った: the quotation is part of the sentence
            _add_trimmed(text, start, pos + m.end(), spans)
            start = pos + m.end()
        _add_trimmed(text, start, pos + len(line), spans)
        pos += len(line) + 1
    return spans


def _add_trimmed(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    start, end = _trim(text, start, end)
    if start < end:
        spans.append((start, end))


def _is_period_end(line: str, dot: int, after: int) -> bool:
    """Is the '.' run at line[dot:after] (closers included) the end of a sentence?"""
    nxt = line[after] if after < len(line) else ""
    prev = line[dot - 1] if dot > 0 else ""
    if nxt and not nxt.isspace():
        # Japanese written with full-width periods (NFKC turned "．" into "."): 可能.非完備
        return bool(JAPANESE.match(prev) and JAPANESE.match(nxt))
    rest = line[after:].lstrip()
    if rest[:1].islower():
        return False  # "e.g. the", "approx. five": the sentence goes on
    word = line[:dot].rsplit(None, 1)[-1] if line[:dot].strip() else ""
    word = word.lstrip("([{\"'“‘").lower()
    if word in _ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isalpha() and line[dot - 1].isupper():
        return False  # an initial: "J. Smith"
    if word.isdigit() and not line[: dot - len(word)].strip():
        return False  # list marker at line start: "1. Introduction"
    return True


# -- units: sentences, or word-bounded pieces of sentences that are too long ------------------------


def _units(text: str, counter: _TokenCounter, max_tokens: int) -> list[tuple[int, int, int]]:
    units: list[tuple[int, int, int]] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        if counter.count(sentence) <= max_tokens:
            units.append((start, end, counter.cost(sentence)))
        else:
            units.extend(_split_long(text, start, end, counter, max_tokens))
    return units


def _split_long(
    text: str, start: int, end: int, counter: _TokenCounter, max_tokens: int
) -> list[tuple[int, int, int]]:
    segments = _word_segments(text, start, end, counter, max_tokens)
    pieces: list[tuple[int, int, int]] = []
    i = 0
    while i < len(segments):
        j, total = i, counter.overhead + segments[i][2]
        while j + 1 < len(segments) and total + segments[j + 1][2] <= max_tokens:
            j += 1
            total += segments[j][2]
        while j > i and counter.count(_slice(text, segments[i][0], segments[j][1])) > max_tokens:
            j -= 1  # costs were an estimate; the real count has the last word
        s, e = _trim(text, segments[i][0], segments[j][1])
        pieces.append((s, e, counter.cost(text[s:e])))
        i = j + 1
    return pieces


def _word_segments(
    text: str, start: int, end: int, counter: _TokenCounter, max_tokens: int
) -> list[tuple[int, int, int]]:
    """Consecutive (start, end, cost) spans covering text[start:end]; cuts only between words."""
    sentence = text[start:end]
    cuts = _japanese_cuts(sentence, max_tokens, counter) if JAPANESE.search(sentence) else None
    if cuts is None:
        cuts = [m.start() for m in re.finditer(r"\S+", sentence)]
    bounds = sorted({0, *cuts, len(sentence)})
    segs = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        if sentence[a:b].strip():
            segs.append((start + a, start + b, counter.cost(sentence[a:b].strip())))
    return segs


def _japanese_cuts(sentence: str, max_tokens: int, counter: _TokenCounter) -> list[int] | None:
    """Allowed cut offsets: phrase (bunsetsu-like) starts; morpheme starts inside an over-long phrase."""
    morphs = _morphemes(sentence)
    if morphs is None:
        return None
    cuts: list[int] = []
    phrase: list[int] = []  # morpheme starts since the last phrase start
    for k, (s, _e, pos1, pos2, spaced) in enumerate(morphs):
        prev = morphs[k - 1] if k else None
        if prev is None or spaced or _phrase_starts(prev[2], prev[3], pos1, pos2):
            _flush_phrase(sentence, cuts, phrase, s, max_tokens, counter)
            cuts.append(s)
            phrase = []
        else:
            phrase.append(s)
    _flush_phrase(sentence, cuts, phrase, len(sentence), max_tokens, counter)
    return cuts


def _flush_phrase(
    sentence: str, cuts: list[int], inner: list[int], end: int, max_tokens: int, counter: _TokenCounter
) -> None:
    # A phrase longer than a whole chunk (a 60-kanji compound) may be cut between its morphemes.
    if cuts and inner and counter.count(sentence[cuts[-1] : end]) > max_tokens:
        cuts.extend(inner)


_ATTACH_TO_PREVIOUS = frozenset(("助詞", "助動詞", "接尾辞"))


def _phrase_starts(prev_pos1: str, prev_pos2: str, pos1: str, pos2: str) -> bool:
    """May a chunk boundary fall between a morpheme tagged prev_* and the next one?"""
    if pos1 in _ATTACH_TO_PREVIOUS or prev_pos1 == "接頭辞" or prev_pos2 == "括弧開":
        return False
    if pos1 == "補助記号" and pos2 != "括弧開":
        return False  # 、。」 stay with what they close
    if pos1 == "名詞" and prev_pos1 == "名詞":
        return False  # compound noun: 東京|特許|許可|局
    if pos1 == "動詞" and pos2 == "非自立可能" and prev_pos1 in ("名詞", "動詞"):
        return False  # 申請|する
    return True


_TAGGER = SharedTagger()


def _morphemes(sentence: str) -> list[tuple[int, int, str, str, bool]] | None:
    """(start, end, pos1, pos2, preceded_by_space) per morpheme, offsets into `sentence`."""
    if not mecab_available():  # pragma: no cover - fugashi is a declared dependency
        return None  # Japanese long sentences are cut at spaces only
    with _TAGGER.borrow() as tagger:
        nodes = [(n.surface, n.white_space, n.feature.pos1, n.feature.pos2) for n in tagger(sentence)]
    out = []
    pos = 0
    for surface, space, pos1, pos2 in nodes:
        pos += len(space)
        if not sentence.startswith(surface, pos):
            found = sentence.find(surface, pos)
            if found < 0:
                logger.debug("morpheme offsets lost; falling back to spaces")
                return None
            pos = found
        out.append((pos, pos + len(surface), pos1 or "", pos2 or "", bool(space)))
        pos += len(surface)
    return out


def _slice(text: str, start: int, end: int) -> str:
    s, e = _trim(text, start, end)
    return text[s:e]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


# -- packing --------------------------------------------------------------------------------------


def _pack(
    text: str,
    units: list[tuple[int, int, int]],
    counter: _TokenCounter,
    max_tokens: int,
    overlap: int,
) -> list[tuple[int, int, int]]:
    """Greedy: fill each chunk with whole units; start the next with up to `overlap` repeated units."""
    chunks: list[tuple[int, int, int]] = []
    i = 0
    while i < len(units):
        j, total = i, counter.overhead + units[i][2]
        while j + 1 < len(units) and total + units[j + 1][2] <= max_tokens:
            j += 1
            total += units[j][2]
        real = counter.count(text[units[i][0] : units[j][1]])
        while real > max_tokens and j > i:
            j -= 1  # the separators between sentences cost tokens too
            real = counter.count(text[units[i][0] : units[j][1]])
        chunks.append((units[i][0], units[j][1], real))
        if j + 1 >= len(units):
            break
        i = _next_start(units, i, j, counter.overhead, max_tokens, overlap)
    return chunks


def _next_start(
    units: list[tuple[int, int, int]], i: int, j: int, overhead: int, max_tokens: int, overlap: int
) -> int:
    for k in range(min(overlap, j - i), 0, -1):
        first = j + 1 - k
        if overhead + sum(u[2] for u in units[first : j + 2]) <= max_tokens:
            return first
    return j + 1
