"""Normalise extracted page text before chunk offsets are assigned.

Offsets index into the text this module returns, so everything that changes characters happens
here, once. Steps, per page unless noted:

1. Newlines unified to "\\n"; control, format (zero-width, soft hyphen) and private-use characters
   dropped; tabs become spaces (ingestion.fold).
2. "Safe" NFKC (see `safe_nfkc`, ingestion.fold).
3. Spaces collapsed, lines stripped; letter-spaced Japanese ("届 出 事 項") and one-character
   vertical table cells rejoined.
4. Boilerplate lines dropped (whole document): running headers, footers and page numbers that
   repeat on >= 3 pages and >= 50% of pages; in a single-page text, short lines repeated >= 5 times
   (slide titles, "View Slide", slide numbers in exported slide decks). Lines that differ only in a
   number ("Page 3", "- 3 -", "12 / 40") count as one line when that number goes up page by page.
5. Broken lines joined: English lines continuing in lower case (with a space; "hyphen-" + "ated"
   joined without), Japanese lines broken mid-sentence (without a space) when the line ends with 、
   or, in laid-out documents (PDF), runs to the document's usual full line width. Headings, list
   items, table rows and code fences are left alone.

`normalize_pages_mapped` returns the same text with a map back to the raw text (ingestion.text_map),
so a character offset in the normalised page finds the characters, and the boxes, it came from.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from app.core.text import JAPANESE
from ingestion.fold import Spans, fold, safe_nfkc
from ingestion.text_map import map_normalized

logger = logging.getLogger(__name__)

_BOILERPLATE_MIN_PAGES = 3
_BOILERPLATE_MIN_SHARE = 0.5
_BOILERPLATE_MAX_LEN = 100
_MASKED_MAX_LEN = 60
_SINGLE_PAGE_REPEATS = 5

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_DIGITS = re.compile(r"\d+")
_FENCE = re.compile(r"^(?:```|~~~)")
_LIST_START = re.compile(
    r"^(?:[-*+•・●○◯■□◆◇▪▶►※☆★→＊]|\(?\d{1,3}[.)](?:\s|$)|\(\d{1,3}\)|\(?[a-zA-Z][.)]\s|"
    r"[\u2460-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf]|第[0-9一二三四五六七八九十百]+[条章節項款編部]|"
    r"\([一二三四五六七八九十ア-ン]\)|#{1,6}\s|\||>)"
)
_JA_SENTENCE_END = "。．.！？!?:："
_JA_CLOSERS = "」』）)】〕〉》\"'”’"


__all__ = ["MappedText", "normalize_pages", "normalize_pages_mapped", "safe_nfkc"]


def normalize_pages(pages: list[str], *, layout_wrapped: bool = True) -> list[str]:
    """Normalise every page of one document; returns one string per input page, same order.

    `layout_wrapped`: lines were broken by a page layout (PDF), so a Japanese line that runs to the
    full line width continues on the next. Text files' lines are the author's own: pass False.
    """
    return [page.text for page in _normalize(pages, layout_wrapped)]


@dataclass(frozen=True)
class MappedText:
    text: str  # exactly what normalize_pages returns for the page
    # For each character: [start, end) in the page's raw text it came from, (-1, -1) for a space
    # or line break the normaliser wrote; None where the map could not be built (ingestion.text_map).
    spans: Spans | None


def normalize_pages_mapped(pages: list[str], *, layout_wrapped: bool = True) -> list[MappedText]:
    """`normalize_pages`, with a map from every normalised character back to the raw text."""
    return [
        MappedText(page.text, map_normalized(raw, page.lines, page.kept, page.text))
        for raw, page in zip(pages, _normalize(pages, layout_wrapped), strict=True)
    ]


@dataclass(frozen=True)
class _Normalized:
    text: str
    lines: list[str]  # the page's lines after steps 1-3
    kept: list[bool]  # which of them step 4 kept


def _normalize(pages: list[str], layout_wrapped: bool) -> list[_Normalized]:
    lines_per_page = [_clean_lines(p) for p in pages]
    kept_per_page = _boilerplate_masks(lines_per_page)
    bodies = [
        [line for line, keep in zip(lines, kept, strict=True) if keep]
        for lines, kept in zip(lines_per_page, kept_per_page, strict=True)
    ]
    width = _usual_cjk_width(bodies) if layout_wrapped else None
    out = []
    for lines, kept, body in zip(lines_per_page, kept_per_page, bodies, strict=True):
        text = "\n".join(_join_broken_lines(body, width))
        out.append(_Normalized(re.sub(r"\n{3,}", "\n\n", text).strip(), lines, kept))
    return out


# -- 1-3: characters and spaces -------------------------------------------------------------------


def _clean_lines(text: str) -> list[str]:
    text = fold(text)
    lines = [_fix_letter_spacing(_SPACES.sub(" ", line).strip()) for line in text.split("\n")]
    return _join_vertical_cells(lines)


def _is_cjk_token(tok: str) -> bool:
    core = tok.strip("()「」『』、・")
    return len(core) == 1 and bool(JAPANESE.match(core)) and len(tok) - len(core) <= 1


def _fix_letter_spacing(line: str) -> str:
    """'届 出 事 項' -> '届出事項': runs of >= 3 single CJK characters separated by spaces."""
    if " " not in line or not JAPANESE.search(line):
        return line
    toks = line.split(" ")
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if sum(1 for t in run if _is_cjk_token(t)) >= 3:
            out.append("".join(run))
        else:
            out.extend(run)
        run.clear()

    for tok in toks:
        if _is_cjk_token(tok) or (run and tok.isdigit() and len(tok) <= 4) or tok in ("(", ")"):
            run.append(tok)
        else:
            flush()
            out.append(tok)
    flush()
    return " ".join(out)


def _join_vertical_cells(lines: list[str]) -> list[str]:
    """Vertical table headers come out one character per line ('入','院','患','者'); rejoin runs >= 3."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and len(lines[j]) == 1 and JAPANESE.match(lines[j]):
            j += 1
        if j - i >= 3:
            out.append("".join(lines[i:j]))
            i = j
        else:
            out.append(lines[i])
            i += 1
    return out


# -- 4: boilerplate -------------------------------------------------------------------------------


def _masked(line: str) -> str | None:
    """'Page 3' -> 'Page #'. Only short, non-sentence lines with one or two numbers are masked:
    body text that differs only in its numbers ('Revenue grew 5% in Q1.') must not look alike."""
    groups = _DIGITS.findall(line)
    if not 1 <= len(groups) <= 2 or len(line) > _MASKED_MAX_LEN or line[-1] in ".。":
        return None
    return _DIGITS.sub("#", line)


def _numbers_go_up(lines: list[str]) -> bool:
    """Page numbers increase from one occurrence to the next (in at least one number position);
    a table cell '100' or a year '1998' that sits on every page does not."""
    rows = [[int(g) for g in _DIGITS.findall(line)] for line in lines]
    return any(all(a[k] < b[k] for a, b in zip(rows, rows[1:], strict=False)) for k in range(len(rows[0])))


def _boilerplate_masks(pages: list[list[str]]) -> list[list[bool]]:
    """For each line of each page: True to keep it, False for boilerplate."""
    if len(pages) == 1:
        return [_single_page_mask(pages[0])]
    if len(pages) < _BOILERPLATE_MIN_PAGES:
        return [[True] * len(lines) for lines in pages]
    threshold = max(_BOILERPLATE_MIN_PAGES, _BOILERPLATE_MIN_SHARE * len(pages))
    exact: Counter[str] = Counter()
    masked: dict[str, list[str]] = {}  # key -> its line on each page where it occurs exactly once
    for lines in pages:
        short = [line for line in lines if line and len(line) <= _BOILERPLATE_MAX_LEN]
        exact.update(set(short))
        per_page = Counter(k for k in map(_masked, short) if k)
        for line in short:
            key = _masked(line)
            if key and per_page[key] == 1:  # a page number appears once per page
                masked.setdefault(key, []).append(line)
    bad_lines = {line for line, n in exact.items() if n >= threshold}
    bad_keys = {k for k, found in masked.items() if len(found) >= threshold and _numbers_go_up(found)}
    if not bad_lines and not bad_keys:
        return [[True] * len(lines) for lines in pages]
    logger.debug("boilerplate exact=%d numbered=%d pages=%d", len(bad_lines), len(bad_keys), len(pages))
    return [[not _is_bad(line, bad_lines, bad_keys) for line in lines] for lines in pages]


def _single_page_mask(lines: list[str]) -> list[bool]:
    short = [line for line in lines if line and len(line) <= _BOILERPLATE_MAX_LEN]
    bad_lines = {line for line, n in Counter(short).items() if n >= _SINGLE_PAGE_REPEATS}
    masked: dict[str, list[str]] = {}
    for line in short:
        key = _masked(line)
        if key:
            masked.setdefault(key, []).append(line)
    bad_keys = {
        k for k, found in masked.items() if len(found) >= _SINGLE_PAGE_REPEATS and _numbers_go_up(found)
    }
    return [not _is_bad(line, bad_lines, bad_keys) for line in lines]


def _is_bad(line: str, bad_lines: set[str], bad_keys: set[str]) -> bool:
    if not line:
        return False
    if line in bad_lines:
        return True
    key = _masked(line)
    return key is not None and key in bad_keys


# -- 5: broken lines ------------------------------------------------------------------------------


def _display_width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)


def _usual_cjk_width(pages: list[list[str]]) -> int | None:
    """The document's full line width for Japanese text (display columns), if one stands out.

    Body lines of a typeset page all run to the same width; the width shared by the most lines is
    that width. A line reaching it was wrapped by the layout, not ended by the author.
    """
    widths = [_display_width(line) for lines in pages for line in lines if JAPANESE.search(line)]
    widths = [w for w in widths if w >= 30]
    if len(widths) < 5:
        return None
    hist = Counter(widths)
    best_w, best_n = 0, 0
    for w in sorted(hist):
        n = sum(hist.get(x, 0) for x in range(w - 3, w + 1))
        if n >= best_n:
            best_w, best_n = w, n
    if best_n < 3 or best_n < 0.08 * len(widths):
        return None
    return best_w


def _join_broken_lines(lines: list[str], width: int | None) -> list[str]:
    out: list[str] = []
    in_fence = False
    prev = ""  # the previous physical line: width is judged on it, not on what it was joined into
    for line in lines:
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            prev = ""
            continue
        glue = None if in_fence or not prev or not line else _glue(prev, line, width)
        if glue is None:
            out.append(line)
        elif glue == "-":
            out[-1] = out[-1][:-1] + line  # "hyphen-" + "ated"
        else:
            out[-1] = out[-1] + glue + line
        prev = line
    return out


def _glue(a: str, b: str, width: int | None) -> str | None:
    """How to join line a with the next line b: '' / ' ' / '-' (drop a's hyphen), or None to keep apart."""
    if _LIST_START.match(b):
        return None
    first, last = b[0], a[-1]
    if first.islower() and ord(first) < 0x250:  # Latin lower case, accents included
        if last == "-" and len(a) >= 2 and a[-2].isalpha():
            return "-"
        if last.isalnum() or last in ",;)\"'’":
            return " "
        return None
    if last in _JA_SENTENCE_END or (last in _JA_CLOSERS and len(a) >= 2 and a[-2] in _JA_SENTENCE_END):
        return None
    if not JAPANESE.search(a[-3:]):
        return None  # not Japanese text: keep the author's line structure
    ja_first = bool(JAPANESE.match(first)) or first in "「『（("
    if last in "、," and ja_first:
        return ""
    if width is not None and _display_width(a) >= 0.9 * width:
        return ""
    return None
