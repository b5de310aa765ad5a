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


_SPACE_CODES = np.array([chr(cp).isspace() for cp in range(0x3001)])  # every str.isspace() is below


def is_whitespace(codes: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    """str.isspace() of each code point, vectorised."""
    return (codes <= 0x3000) & _SPACE_CODES[np.minimum(codes, 0x3000)]


def visible_chars(text: str) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint32]]:
    """Positions of the characters of `text` that are not whitespace, and their code points."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    at = np.nonzero(~is_whitespace(codes))[0]
    return at, codes[at]


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
    "\\r\\n" comes from both. Vectorised where nothing changes (most characters of most pages):
    about 0.3 us a character, against 5 us traced one by one.
    """
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    ends = np.arange(1, len(codes) + 1, dtype=np.int32)
    keep = np.ones(len(codes), dtype=bool)
    for match in NEWLINES.finditer(text):
        codes[match.start()] = 0x0A
        ends[match.start()] = match.end()
        keep[match.start() + 1 : match.end()] = False
    dropped = [ord(c) for c in set(text) if c != "\n" and c != "\t" and _is_droppable(c)]
    if dropped:
        keep &= ~np.isin(codes, dropped)
    visible = codes[keep].tobytes().decode("utf-32-le", "surrogatepass")
    spans = np.stack([np.nonzero(keep)[0].astype(np.int32), ends[keep]], axis=1)
    if visible.isascii():
        return visible, spans
    out: list[str] = []
    out_spans: list[Spans] = []
    pos = 0
    for match in _protected_pattern().finditer(visible):
        _nfkc_segment(visible, spans, pos, match.start(), out, out_spans)
        out.append(match.group())
        out_spans.append(spans[match.start() : match.end()])
        pos = match.end()
    _nfkc_segment(visible, spans, pos, len(visible), out, out_spans)
    return "".join(out), np.concatenate(out_spans) if out_spans else spans[:0]


def _nfkc_segment(
    text: str, spans: Spans, start: int, end: int, out: list[str], out_spans: list[Spans]
) -> None:
    """NFKC of text[start:end]: characters NFKC leaves alone pass through as they are; each run of
    the others is traced with the character before it (the one a combining mark attaches to)."""
    segment = text[start:end]
    if not segment:
        return
    if unicodedata.is_normalized("NFKC", segment):
        out.append(segment)
        out_spans.append(spans[start:end])
        return
    hot = [c for c in set(segment) if not _inert(c)]
    pieces: list[str] = []
    piece_spans: list[Spans] = []
    pos = start
    for match in re.finditer("[" + "".join(map(re.escape, hot)) + "]+", segment):
        first = max(start + match.start() - 1, pos)
        pieces.append(text[pos:first])
        piece_spans.append(spans[pos:first])
        _nfkc_traced(text, spans, first, start + match.end(), pieces, piece_spans)
        pos = start + match.end()
    pieces.append(text[pos:end])
    piece_spans.append(spans[pos:end])
    folded = unicodedata.normalize("NFKC", segment)
    if "".join(pieces) != folded:  # not seen in practice: exact about the text, coarse about origins
        pieces = [folded]
        piece_spans = [np.tile([spans[start][0], spans[end - 1][1]], (len(folded), 1)).astype(np.int32)]
    out.extend(pieces)
    out_spans.extend(piece_spans)


@cache
def _inert(c: str) -> bool:
    """NFKC leaves the character alone and never joins it to the one before."""
    return _nfkc(c) == c and not unicodedata.combining(c) and c not in _second_of_pair()


@cache
def _second_of_pair() -> frozenset[str]:
    """Characters canonical composition may join to the character before them (the second half of a
    canonical decomposition, and Hangul vowel and final jamo). Built once: about 0.1 s."""
    found = {chr(cp) for cp in range(0x1161, 0x1176)} | {chr(cp) for cp in range(0x11A8, 0x11C3)}
    for cp in range(0x30000):  # canonical decompositions end at U+2FA1D
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            found.add(chr(int(parts[1], 16)))
    return frozenset(found)


@cache
def _starts_afresh(c: str) -> bool:
    """NFKC never joins the character to what comes before: its folded form starts with a character
    that is not combining and not the second half of a canonical pair."""
    folded = _nfkc(c)
    return bool(folded) and not unicodedata.combining(folded[0]) and folded[0] not in _second_of_pair()


@cache
def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _nfkc_traced(
    text: str, spans: Spans, start: int, end: int, out: list[str], out_spans: list[Spans]
) -> None:
    """NFKC of text[start:end], cluster by cluster: a character joins the cluster before it when
    NFKC would combine them (a combining mark, a half-width voiced sound mark)."""
    clusters: list[tuple[str, int, int]] = []  # folded cluster, first and last+1 index into text
    cluster_start, folded = start, _nfkc(text[start])
    for i in range(start + 1, end):
        alone = _nfkc(text[i])
        if _starts_afresh(text[i]):  # most: no need to ask NFKC about the pair
            clusters.append((folded, cluster_start, i))
            cluster_start, folded = i, alone
            continue
        together = unicodedata.normalize("NFKC", text[cluster_start : i + 1])
        if together == folded + alone or i - cluster_start >= _MAX_CLUSTER:
            clusters.append((folded, cluster_start, i))
            cluster_start, folded = i, alone
        else:
            folded = together
    clusters.append((folded, cluster_start, end))
    for piece, first, stop in clusters:
        out.append(piece)
        out_spans.append(np.tile([spans[first][0], spans[stop - 1][1]], (len(piece), 1)).astype(np.int32))
