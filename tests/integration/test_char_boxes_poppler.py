"""Character boxes against an outside reference (#13): for words on pages of the corpus PDFs, the box
Shiori returns must overlap the box poppler's `pdftotext -bbox-layout` gives the same word (IoU >= 0.5
for >= 95 % of the sampled words, on every document).

The path is Shiori's own: load_document (PDFium boxes, mapped through normalisation), the stored blob
(encode and decode), and the rectangles of the word's span merged per line (app.core.span_rects),
whose union is compared with poppler's word box.

Matching a poppler word to a span of Shiori's page text: the word with up to `_CONTEXT` characters of
the words before and after it in its poppler block (whitespace removed, NFKC folded as Shiori folds)
must occur exactly once in Shiori's page text (whitespace removed) and exactly once in poppler's page;
the word's characters in that occurrence are the span. Vertical Japanese comes out of poppler one
character a word, so the context is what places it. Words that do not match (a hyphenated line end
Shiori joined, a running header it dropped, a table read in another order) are not sampled; at most
`_SAMPLE` matched words a page are sampled, chosen by a random generator seeded with the page.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from app.core.char_boxes import decode_boxes, encode_boxes
from app.core.span_rects import span_rects
from ingestion.fold import safe_nfkc
from ingestion.loaders import LoadedDocument, load_document
from tests.conftest import CORPUS
from tests.support.ci import require
from tests.support.poppler import POPPLER_MISSING, Word, have_pdftotext, word_blocks

pytestmark = pytest.mark.integration

_CONTEXT = 8
_SAMPLE = 60
_MIN_IOU = 0.5
_MIN_SHARE = 0.95

PAGES = {  # file -> pages compared (what the page shows)
    "ja_vertical_gov_mhlw-kokuji_247p.pdf": [1, 3, 60, 200],  # vertical Japanese, ruled tables
    "ja_gov_notice_mhlw-tsuchi.pdf": [1, 2],  # horizontal Japanese, letterhead, full-width digits
    "ja_gov_form_tables_mhlw-yoshiki.pdf": [1, 2],  # forms: merged cells, letter-spaced headings
    "ja_manual_luatexja_115p.pdf": [5, 20, 40],  # horizontal Japanese with code and tables
    "ja_lecture_notes_math_dvipdfmx.pdf": [1],  # pLaTeX, inline math removed
    "en_2col_lorem_latex.pdf": [1, 2, 3],  # two columns
    "en_gov_report_dmca-summary_18p.pdf": [2, 9],  # English with footnotes
    "en_gov_instructions_tables_irs-i1040nr_50p.pdf": [3, 30],  # multi-column, tables, Legal media
    "en_book_pd-kids-stories_55p.pdf": [10],
}


@dataclass(frozen=True)
class Sampled:
    page: int
    word: str
    iou: float


@cache
def loaded(name: str) -> LoadedDocument:
    return load_document(CORPUS / "pdf" / "good" / name)


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def visible(text: str) -> tuple[str, list[int]]:
    """The text without whitespace, and each remaining character's offset in `text`."""
    offsets = [i for i, c in enumerate(text) if not c.isspace()]
    return "".join(text[i] for i in offsets), offsets


def fold_word(text: str) -> str:
    return "".join(safe_nfkc(text).split())


def matched_words(pdf: Path, number: int, text: str) -> list[tuple[Word, int, int]]:
    """Poppler's words on the page that match one span of `text` (module docstring): (word, start, end)."""
    flat, offsets = visible(text)
    blocks = word_blocks(pdf, number)
    poppler_page = "".join(fold_word(w.text) for block in blocks for w in block)
    found = []
    for block in blocks:
        tokens = [fold_word(w.text) for w in block]
        for i, (word, token) in enumerate(zip(block, tokens, strict=True)):
            if not token:
                continue
            left = "".join(tokens[:i])[-_CONTEXT:]
            key = left + token + "".join(tokens[i + 1 :])[:_CONTEXT]
            at = flat.find(key)
            if at < 0 or flat.find(key, at + 1) >= 0 or poppler_page.count(key) != 1:
                continue
            first = at + len(left)
            found.append((word, offsets[first], offsets[first + len(token) - 1] + 1))
    return found


def compare(name: str) -> list[Sampled]:
    pdf = CORPUS / "pdf" / "good" / name
    doc = loaded(name)
    by_number = {p.number: p for p in doc.pages}
    sampled = []
    for number in PAGES[name]:
        page = by_number[number]
        assert page.boxes is not None, f"{name} page {number} has no boxes"
        boxes = decode_boxes(encode_boxes(page.boxes))  # as stored
        words = matched_words(pdf, number, page.text)
        if len(words) > _SAMPLE:
            words = random.Random(f"{name}:{number}").sample(words, _SAMPLE)
        for word, start, end in words:
            rects = span_rects(boxes, page.text, start, end).rects
            assert rects, f"{name} page {number}: no box for {page.text[start:end]!r}"
            ours = (min(r.x0 for r in rects), min(r.y0 for r in rects))
            ours += (max(r.x1 for r in rects), max(r.y1 for r in rects))
            sampled.append(Sampled(number, word.text, iou(ours, word.box)))
    return sampled


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    require(
        (CORPUS / "pdf" / "good").is_dir(), f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)"
    )
    require(have_pdftotext(), POPPLER_MISSING)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_word_boxes_overlap_poppler_word_boxes(name: str) -> None:
    sampled = compare(name)
    assert len(sampled) >= 15 * len(PAGES[name]), f"only {len(sampled)} words matched poppler's"
    good = [s for s in sampled if s.iou >= _MIN_IOU]
    worst = sorted(sampled, key=lambda s: s.iou)[:5]
    assert len(good) >= _MIN_SHARE * len(sampled), (
        f"{len(good)} of {len(sampled)} words overlap poppler's box (IoU >= {_MIN_IOU}); worst: {worst}"
    )


def test_every_visible_character_of_the_corpus_text_pages_has_a_box() -> None:
    """The map through normalisation loses nothing: on every page of these PDFs each character of the
    page text that is not whitespace has a box."""
    for name in sorted(PAGES):
        for page in loaded(name).pages:
            assert page.boxes is not None and len(page.boxes) == len(page.text), (name, page.number)
            present = page.boxes.present()
            missing = [i for i, c in enumerate(page.text) if not c.isspace() and not present[i]]
            assert not missing, (name, page.number, [page.text[i] for i in missing[:10]])
