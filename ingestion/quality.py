"""Is a page's extracted text real text, or junk that would poison the index?

PDF text extraction fails quietly: fonts without a Unicode mapping give shifted Latin ('7KH TXLFN'
for 'The quick'), private-use or control characters, or UTF-8 read as Latin-1 ('ã\\x81\\x82'). We
look at character-class ratios first, then a script-specific plausibility check:

- Latin text: vowels make up roughly 30-50% of letters in every European language and almost every
  word holds one; common short function words ("the", "und", "et", "sed") are strong evidence of
  real language. Shifted or scrambled glyph codes break both.
- CJK text: real Japanese/Chinese uses kana and the common ideographs (JIS X 0208 level 1 or
  GB2312 level 1, about 3,000 characters each) almost exclusively; mojibake is dominated by rare
  ideographs and half-width katakana.

Short pages (a title page, a caption) carry too little evidence for the statistical checks, so only
the character-class checks apply to them.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from app.core.text import JAPANESE_CHARS, KATAKANA_PHONETIC_EXTENSIONS, LANGUAGE_EVIDENCE_WORDS

logger = logging.getLogger(__name__)

NO_TEXT_LAYER = "no text layer"
BLANK_PAGE = "blank page"
NO_LETTERS = "no letters (only numbers or symbols)"
GARBAGE_CHARS = "garbage text (unreadable characters)"
MOJIBAKE = "garbage text (mojibake)"
GIBBERISH = "garbage text (not a real language)"

_MIN_LATIN_LETTERS = 40  # below this, vowel statistics are noise
_MIN_CJK_CHARS = 12
_MAX_BAD_RATIO = 0.10
_MAX_MOJIBAKE_RATIO = 0.10
_VOWEL_RANGE = (0.22, 0.68)
_MIN_VOWELED_WORDS = 0.65
_STOPWORD_PROOF = 0.08  # this many function words settle that the text is language
_MIN_COMMON_CJK = 0.55
_MAX_MIXED_WORDS = 0.20

_CODE_SYMBOLS = frozenset("{}\\;=<>[]()_#$")
_CODE_SYMBOL_SHARE = 0.06
_VOWELS = frozenset("aeiouyAEIOUY")
# A Latin-1 letter followed by a C1 control or Latin-1 symbol: UTF-8 bytes read as Latin-1/CP1252.
_MOJIBAKE_PAIR = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u02c6\u02dc\u2122\u20ac]"
)
_WORD = re.compile(r"[^\W\d_]+")
_CJK = re.compile(f"[{JAPANESE_CHARS}{KATAKANA_PHONETIC_EXTENSIONS}]")


@dataclass(frozen=True)
class QualityVerdict:
    ok: bool
    reason: str | None
    chars: int  # non-space characters
    letters: int
    bad_ratio: float  # private-use, replacement, control, unassigned chars / chars
    mojibake_ratio: float
    vowel_ratio: float | None = None  # Latin text only
    voweled_word_ratio: float | None = None
    stopword_ratio: float | None = None
    common_cjk_ratio: float | None = None  # CJK text only
    mixed_script_ratio: float | None = None


def assess_text(text: str) -> QualityVerdict:
    """Judge whether `text` (one page, raw or normalised) is readable language."""
    chars = [c for c in text if not c.isspace()]
    n = len(chars)
    if n == 0:
        return QualityVerdict(False, NO_TEXT_LAYER, 0, 0, 0.0, 0.0)
    letters = [c for c in chars if c.isalpha()]
    v = QualityVerdict(
        ok=True,
        reason=None,
        chars=n,
        letters=len(letters),
        bad_ratio=sum(1 for c in chars if _is_bad(c)) / n,
        mojibake_ratio=2 * len(_MOJIBAKE_PAIR.findall(text)) / n,
    )
    if v.mojibake_ratio > _MAX_MOJIBAKE_RATIO:
        return _reject(v, MOJIBAKE)
    if v.bad_ratio > _MAX_BAD_RATIO:
        return _reject(v, GARBAGE_CHARS)
    if not letters:
        return _reject(v, NO_LETTERS)
    v = replace(v, mixed_script_ratio=_mixed_script_ratio(text))
    if v.mixed_script_ratio is not None and v.mixed_script_ratio > _MAX_MIXED_WORDS:
        return _reject(v, GIBBERISH)
    scripts = [_script(c) for c in letters]
    cjk = [c for c, s in zip(letters, scripts, strict=True) if s == "cjk"]
    if len(cjk) >= _MIN_CJK_CHARS and len(cjk) >= 0.3 * len(letters):
        common = sum(1 for c in cjk if _is_common_cjk(c)) / len(cjk)
        v = replace(v, common_cjk_ratio=common)
        return _reject(v, MOJIBAKE) if common < _MIN_COMMON_CJK else v
    if _looks_like_code(chars):
        return v  # source code and markup are real text, but vowel statistics don't apply to them
    latin = [c for c, s in zip(letters, scripts, strict=True) if s == "latin"]
    if len(latin) >= _MIN_LATIN_LETTERS and len(latin) >= 0.6 * len(letters):
        return _assess_latin(text, latin, v)
    return v


def _reject(v: QualityVerdict, reason: str) -> QualityVerdict:
    return replace(v, ok=False, reason=reason)


def _assess_latin(text: str, latin: list[str], v: QualityVerdict) -> QualityVerdict:
    words = [w for w in _WORD.findall(text) if len(w) >= 2 and _script(w[0]) == "latin"]
    n_words = max(len(words), 1)
    vowels = sum(1 for c in latin if _base_letter(c) in _VOWELS) / len(latin)
    voweled = sum(1 for w in words if any(_base_letter(c) in _VOWELS for c in w)) / n_words
    stop = sum(1 for w in _WORD.findall(text.lower()) if w in LANGUAGE_EVIDENCE_WORDS) / n_words
    v = replace(v, vowel_ratio=vowels, voweled_word_ratio=voweled, stopword_ratio=stop)
    if stop >= _STOPWORD_PROOF:
        return v  # function words at this rate settle it, whatever the vowels say
    plausible = _VOWEL_RANGE[0] <= vowels <= _VOWEL_RANGE[1] and voweled >= _MIN_VOWELED_WORDS
    return v if plausible else _reject(v, GIBBERISH)


def _looks_like_code(chars: list[str]) -> bool:
    return sum(1 for c in chars if c in _CODE_SYMBOLS) >= _CODE_SYMBOL_SHARE * len(chars)


def _is_bad(c: str) -> bool:
    if c == "\ufffd":
        return True
    cat = unicodedata.category(c)
    # Cc: control characters (whitespace ones were already dropped); Co: private use; Cn: unassigned.
    return cat in ("Cc", "Co", "Cn", "Cs")


@lru_cache(maxsize=65536)
def _script(c: str) -> str:
    folded = _fold_compat(c)
    cp = ord(folded)
    if cp < 0x250 or 0x1E00 <= cp <= 0x1EFF or 0xFF21 <= cp <= 0xFF5A:
        return "latin"
    if _CJK.match(folded):
        return "cjk"
    if 0x370 <= cp <= 0x3FF or 0x1F00 <= cp <= 0x1FFF:
        return "greek"
    if 0x400 <= cp <= 0x52F:
        return "cyrillic"
    if 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F:
        return "hangul"
    try:
        return unicodedata.name(c).split(" ")[0].lower()
    except ValueError:
        return "unknown"


def _fold_compat(c: str) -> str:
    """Kangxi radicals and compatibility ideographs often come out of PDFs in place of the real
    ideograph (⽣ for 生), and math italic letters (𝑑, ℎ) stand for Latin ones; judge them as the
    character they stand for."""
    cp = ord(c)
    if 0x2E80 <= cp <= 0x2FDF or 0xF900 <= cp <= 0xFAFF or 0x2100 <= cp <= 0x214F or 0x1D400 <= cp <= 0x1D7FF:
        return unicodedata.normalize("NFKC", c)[:1] or c
    return c


@lru_cache(maxsize=65536)
def _is_common_cjk(c: str) -> bool:
    c = _fold_compat(c)
    cp = ord(c)
    if 0x3040 <= cp <= 0x30FF or cp in (0x3005, 0x30FC):  # kana, 々, ー
        return True
    for enc, lo, hi in (("euc_jp", 0xB0, 0xCF), ("gb2312", 0xB0, 0xD7)):
        try:
            b = c.encode(enc)
        except UnicodeEncodeError:
            continue
        if len(b) == 2 and lo <= b[0] <= hi:  # JIS X 0208 level 1 / GB2312 level 1 rows
            return True
    return False


@lru_cache(maxsize=4096)
def _base_letter(c: str) -> str:
    return unicodedata.normalize("NFD", c)[:1]


def _mixed_script_ratio(text: str) -> float | None:
    """Share of words mixing scripts that never mix inside a word (Latin with CJK is normal)."""
    words = [w for w in _WORD.findall(text) if len(w) >= 2]
    if len(words) < 10:
        return None
    mixed = 0
    for w in words:
        kinds = {_script(c) for c in w} - {"cjk"}
        if len(kinds) > 1:
            mixed += 1
    return mixed / len(words)


def summarize_reasons(reasons: Iterable[str], *, pdf: bool = True, ocr_off: str | None = None) -> str:
    """One sentence for a person, saying why no page of a document could be used. `ocr_off` says why
    scanned pages were not OCR'd (OCR turned off, Tesseract not installed)."""
    reasons = list(reasons)
    counts: Counter[str] = Counter(_family(r) for r in reasons)
    total = sum(counts.values())
    no_ocr = ocr_off or "OCR is not available"
    if not pdf:
        if counts["garbage"]:
            return (
                "The text in this file is garbage (it looks like it was saved in a character encoding "
                "Shiori could not recognise); save it as UTF-8 and upload it again."
            )
        return "The file contains no readable text (it is blank or holds only numbers and symbols)."
    if counts["scanned"] + counts["blank"] == total:
        if counts["scanned"]:
            return f"No page has a text layer (it looks like a scanned image), and {no_ocr}."
        return "This file has no text to index: every page is blank or holds only numbers and symbols."
    if counts["garbage"] == total:
        return (
            "The text extracted from every page is garbage (the PDF's fonts have no Unicode mapping, "
            f"so the characters cannot be recovered, and {no_ocr}); try exporting the document to "
            "PDF again from its original program."
        )
    parts = []
    if counts["scanned"]:
        parts.append(f"{_pages(counts['scanned'])} no text layer (scanned images; {no_ocr})")
    ocr_reasons = Counter(r for r in reasons if _family(r) == "ocr")
    for reason, n in sorted(ocr_reasons.items()):
        parts.append(f"{n} {'page' if n == 1 else 'pages'} skipped ({reason})")
    if counts["blank"]:
        parts.append(f"{_pages(counts['blank'])} no words (blank, or only numbers and symbols)")
    if counts["garbage"]:
        parts.append(f"{_pages(counts['garbage'])} only garbage text (fonts without a Unicode mapping)")
    if counts["boilerplate"]:
        parts.append(f"{_pages(counts['boilerplate'])} only repeated headers or footers")
    if counts["damaged"]:
        parts.append(f"{_pages(counts['damaged'])} damaged and could not be read")
    return "No page has readable text: " + "; ".join(parts) + "."


def _family(reason: str) -> str:
    if reason == NO_TEXT_LAYER:
        return "scanned"
    if reason in (BLANK_PAGE, NO_LETTERS) or reason.startswith(BLANK_PAGE):
        return "blank"
    if reason.startswith("garbage"):
        return "garbage"
    if reason.startswith(("OCR", "not OCR'd")):
        return "ocr"
    if "header" in reason or "footer" in reason:
        return "boilerplate"
    return "damaged"


def _pages(n: int) -> str:
    return f"{n} page has" if n == 1 else f"{n} pages have"
