"""Character folding, the normaliser's first steps: newlines unified, invisible characters dropped,
"safe" NFKC. `fold` is what the normaliser runs; `fold_traced` returns the same string together with
where each of its characters came from, for the page's character boxes (ingestion.text_map).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import numpy as np
import numpy.typing as npt

Spans = npt.NDArray[np.int32]  # (characters, 2): [start, end) in the source text; (-1, -1): none

_KEEP_CF = {"\u200c", "\u200d"}  # ZWNJ/ZWJ shape Indic/Persian text and emoji
_MAX_CLUSTER = 32  # characters NFKC may combine into one; past that (never in real text) a cluster ends
NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")


def fold(text: str) -> str:
    """Newlines unified to "\\n"; control, format (zero-width, soft hyphen) and private-use
    characters dropped (tabs kept, the normaliser makes them spaces); `safe_nfkc`."""
    text = NEWLINES.sub("\n", text)
    text = "".join(c for c in text if c == "\n" or c == "\t" or not _is_droppable(c))
    return safe_nfkc(text)


@cache
def _is_droppable(c: str) -> bool:
    cat = unicodedata.category(c)
    return cat in ("Cc", "Co", "Cs") or (cat == "Cf" and c not in _KEEP_CF)


def safe_nfkc(text: str) -> str:
    """NFKC except where the compatibility mapping throws away meaning.

    Folded (safe): full-width ASCII -> ASCII, half-width katakana -> full-width, ideographic
    space, ligatures (ﬁ), Kangxi radicals and compatibility ideographs (⽣ -> 生), squared
    abbreviations (㌔ -> キロ), math-alphabet letters (𝑑 -> d).
    Kept as they are: circled/parenthesised/full-stop numbers and letters (①, ⑴, ⒈, ⓐ, ㊤ are
    clause and list markers: "①≦③" must not become "1≦3"), superscripts and subscripts (x², CO₂),
    vulgar fractions (½), Roman-numeral characters (Ⅲ), ordinal indicators (ª) and spacing
    diacritics (´ would become a space plus a combining accent).
    """
    if text.isascii():
        return text
    parts = _protected_pattern().split(text)
    # split() with one capturing group alternates: unprotected, protected, unprotected, ...
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


@cache
def _protected_pattern() -> re.Pattern[str]:
    keep_tags = ("<circle>", "<super>", "<sub>", "<fraction>")
    chars = set("\u00a8\u00aa\u00af\u00b4\u00b8\u00ba\u02d8\u02d9\u02da\u02db\u02dc\u02dd")
    for lo, hi in (
        (0xA0, 0xFF),
        (0x2070, 0x209F),
        (0x2150, 0x218F),
        (0x2460, 0x24FF),
        (0x3200, 0x32FF),
        (0x1F100, 0x1F1FF),
    ):
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            if (
                unicodedata.decomposition(ch).startswith(keep_tags)
                or 0x2160 <= cp <= 0x2188
                or (0x2460 <= cp <= 0x24FF)
            ):
                chars.add(ch)
    return re.compile("([" + "".join(re.escape(c) for c in sorted(chars)) + "]+)")


# -- the same, traced -------------------------------------------------------------------------------


def fold_traced(text: str) -> tuple[str, Spans]:
    """`fold(text)` and, for each of its characters, the characters of `text` it came from.

    A folded character comes from one source character, or from several that NFKC composed into one
    ('ｶﾞ' -> 'ガ'); several folded characters can share one source ('㌔' -> 'キロ'). A newline made of
    "\\r\\n" comes from both.
    """
    chars: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in NEWLINES.finditer(text):
        _keep_visible(text, pos, match.start(), chars, spans)
        chars.append("\n")
        spans.append((match.start(), match.end()))
        pos = match.end()
    _keep_visible(text, pos, len(text), chars, spans)
    visible = "".join(chars)
    if visible.isascii():
        return visible, _array(spans)
    out: list[str] = []
    out_spans: list[tuple[int, int]] = []
    pos = 0
    for match in _protected_pattern().finditer(visible):
        _nfkc_traced(visible, spans, pos, match.start(), out, out_spans)
        out.append(match.group())
        out_spans.extend(spans[match.start() : match.end()])
        pos = match.end()
    _nfkc_traced(visible, spans, pos, len(visible), out, out_spans)
    return "".join(out), _array(out_spans)


def _keep_visible(text: str, start: int, end: int, chars: list[str], spans: list[tuple[int, int]]) -> None:
    for i in range(start, end):
        c = text[i]
        if c == "\n" or c == "\t" or not _is_droppable(c):
            chars.append(c)
            spans.append((i, i + 1))


@cache
def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _nfkc_traced(
    text: str,
    spans: list[tuple[int, int]],
    start: int,
    end: int,
    out: list[str],
    out_spans: list[tuple[int, int]],
) -> None:
    """NFKC of text[start:end], cluster by cluster: a character joins the cluster before it when
    NFKC would combine them (a combining mark, a half-width voiced sound mark)."""
    segment = text[start:end]
    if not segment:
        return
    if unicodedata.is_normalized("NFKC", segment):
        out.append(segment)
        out_spans.extend(spans[start:end])
        return
    pieces: list[tuple[str, int, int]] = []  # folded cluster, first and last+1 index into text
    cluster_start, folded = start, _nfkc(text[start])
    for i in range(start + 1, end):
        alone = _nfkc(text[i])
        together = unicodedata.normalize("NFKC", text[cluster_start : i + 1])
        if together == folded + alone or i - cluster_start >= _MAX_CLUSTER:
            pieces.append((folded, cluster_start, i))
            cluster_start, folded = i, alone
        else:
            folded = together
    pieces.append((folded, cluster_start, end))
    if "".join(p for p, _, _ in pieces) != unicodedata.normalize("NFKC", segment):
        # Not seen in practice; stay exact about the text and coarse about the origin.
        pieces = [(unicodedata.normalize("NFKC", segment), start, end)]
    for piece, first, stop in pieces:
        span = (spans[first][0], spans[stop - 1][1])
        out.append(piece)
        out_spans.extend([span] * len(piece))


def _array(spans: list[tuple[int, int]]) -> Spans:
    return np.array(spans, dtype=np.int32).reshape(-1, 2)
