"""Loaders against the shared corpus of real-world good and nasty PDFs, plus the text seeds."""

from __future__ import annotations

import csv
import os
import re
import time
from pathlib import Path

import pytest

from app.core.chunking import chunk_pages
from app.core.errors import ShioriError, UnreadableDocument, UnsupportedFileType
from ingestion.loaders import load_document
from tests.support.ci import require

pytestmark = pytest.mark.integration

CORPUS = Path(
    os.environ.get("SHIORI_CORPUS_DIR") or Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
)
needs_corpus = pytest.mark.usefixtures("corpus")


@pytest.fixture
def corpus() -> Path:
    require(
        (CORPUS / "pdf" / "MANIFEST.tsv").is_file(),
        f"sample corpus not found at {CORPUS} (set SHIORI_CORPUS_DIR)",
    )
    return CORPUS


def manifest_pages() -> dict[str, int]:
    path = CORPUS / "pdf" / "MANIFEST.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return {row["file"]: int(row["pages"]) for row in rows if row["pages"].isdigit()}


def good_files() -> list[str]:
    return sorted(f for f in manifest_pages() if f.startswith("good/"))


# (file, spot checks: page number -> strings that must appear on exactly that page)
SPOT_CHECKS: dict[str, dict[int, list[str]]] = {
    "good/ja_vertical_gov_mhlw-kokuji_247p.pdf": {
        1: ["厚生労働省告示第五十五号", "第一届出の通則"],
        247: ["地域包括ケア病棟入院料"],
    },
    "good/ja_gov_notice_mhlw-tsuchi.pdf": {
        1: ["保医発0305第2号", "基本診療料の施設基準等及びその届出に関する手続きの取扱いについて"],
        2: ["特定入院料の施設基準等は別添4のとおりとする。"],
    },
    "good/ja_gov_form_tables_mhlw-yoshiki.pdf": {
        1: ["重症者等療養環境特別加算の施設基準に係る届出書添付書類", "① 合計床", "入院患者数及び重症者数"],
        2: ["様式 23 の2"],
    },
    "good/ja_manual_luatexja_115p.pdf": {1: ["LuaTEX-ja パッケージ", "LuaTEX-ja プロジェクトチーム"]},
    "good/ja_gov_regulation_excerpt_acrobat.pdf": {
        1: ["電線接続端子部が次のいずれにも該当しないとき。", "0.75平方ミリメートル"]
    },
    "good/ja_lecture_notes_math_dvipdfmx.pdf": {1: ["リスク中立確率は一意ではなく"]},
    "good/en_gov_instructions_tables_irs-i1040nr_50p.pdf": {1: ["U.S. Nonresident Alien Income Tax Return"]},
    "good/en_gov_report_dmca-summary_18p.pdf": {1: ["THE DIGITAL MILLENNIUM COPYRIGHT ACT OF 1998"]},
    "good/en_book_pd-kids-stories_55p.pdf": {1: ["The Buried Moon"], 55: ["PD KIDS was compiled by"]},
    "good/en_2col_lorem_latex.pdf": {
        1: ["consectetuer adipiscing elit"],
        3: ["Austria 8.9 83,879 Vienna German"],
    },
    "good/en_pagelabels_roman_latex.pdf": {1: ["First section"], 5: ["More text here"]},
    "good/de_lecture-notes_geotopo_117p.pdf": {2: ["Dieses Skript wurde im Wintersemester 2013/2014"]},
}
LABELS = {
    "good/en_pagelabels_roman_latex.pdf": ["iii", "iv", "1", "2", "1"],
    "good/de_lecture-notes_geotopo_117p.pdf": ["i", "ii", "iii"],
    "good/en_gov_instructions_tables_irs-i1040nr_50p.pdf": ["1", "2", "3"],
}

# bad file -> ("ok", text on page 1) or (exception type, keyword of the message)
BAD_OUTCOMES: dict[str, tuple[str | type[ShioriError], str]] = {
    "bad_encrypted_ownerpw-only_aes128-r4.pdf": ("ok", "pdf encryption test"),
    "bad_corrupt_flate-stream_a2ps.pdf": ("ok", "Beautiful is better than ugly."),
    "bad_attachment_embedded-file.pdf": ("ok", "Lorem ipsum dolor sit amet"),
    "bad_hidden-white-text_injection.pdf": ("ok", "Hidden text line 1"),
    "bad_encrypted_userpw_libreoffice.pdf": (UnreadableDocument, "encrypted with a password"),
    "bad_encrypted_userpw_utf8-aes256-r6.pdf": (UnreadableDocument, "encrypted with a password"),
    "bad_zero-pages_count0.pdf": (UnreadableDocument, "no pages"),
    "bad_zero-bytes_empty-file.pdf": (UnreadableDocument, "empty (0 bytes)"),
    # load_document without an OCR engine (the pipeline's reads them: test_corpus_pipeline)
    "bad_scanned_image-only_en.pdf": (UnreadableDocument, "OCR is not available"),
    "bad_scanned_image-only_cjk.pdf": (UnreadableDocument, "OCR is not available"),
    "bad_no-tounicode_garbled_cid.pdf": (UnreadableDocument, "no Unicode mapping"),
    "bad_huge-page-count_claim.pdf": (UnreadableDocument, "blank"),
    "bad_not-a-pdf_jpeg-renamed.pdf": (UnsupportedFileType, "JPEG image"),
}


@needs_corpus
@pytest.mark.parametrize("name", good_files())
def test_good_pdf_loads_every_page(name: str) -> None:
    expected = manifest_pages()[name]
    doc = load_document(CORPUS / "pdf" / name)
    assert doc.mime == "application/pdf"
    assert doc.page_count == expected
    assert [p.number for p in doc.pages] == list(range(1, expected + 1))
    assert doc.skipped == []
    assert all(p.text.strip() for p in doc.pages)
    by_number = {p.number: p for p in doc.pages}
    for number, needles in SPOT_CHECKS.get(name, {}).items():
        for needle in needles:
            assert needle in by_number[number].text, (number, needle, by_number[number].text[:300])
    if name in LABELS:
        want = LABELS[name]
        assert [p.label for p in doc.pages[: len(want)]] == want


@needs_corpus
def test_spot_checks_cover_every_good_file() -> None:
    assert set(SPOT_CHECKS) == set(good_files())


@needs_corpus
def test_running_header_removed_from_dmca() -> None:
    doc = load_document(CORPUS / "pdf" / "good/en_gov_report_dmca-summary_18p.pdf")
    assert not any("Copyright Office Summary December 1998 Page" in p.text for p in doc.pages)
    assert doc.title == "The Digital Millennium Copyright Act of 1998"


@needs_corpus
@pytest.mark.parametrize("name", sorted(BAD_OUTCOMES))
def test_bad_pdf_outcome(name: str) -> None:
    expected, keyword = BAD_OUTCOMES[name]
    path = CORPUS / "pdf" / "bad" / name
    started = time.perf_counter()
    if expected == "ok":
        doc = load_document(path)
        assert doc.page_count == 1 and keyword in doc.pages[0].text
    else:
        assert isinstance(expected, type)
        with pytest.raises(expected) as exc:
            load_document(path)
        assert keyword in str(exc.value), str(exc.value)
    assert time.perf_counter() - started < 5  # the 213-million-page claim included


@needs_corpus
def test_every_bad_file_has_an_expected_outcome() -> None:
    assert {p.name for p in (CORPUS / "pdf" / "bad").glob("*.pdf")} == set(BAD_OUTCOMES)


@needs_corpus
def test_page_limit_is_enforced_with_count_and_limit() -> None:
    with pytest.raises(UnreadableDocument) as exc:
        load_document(CORPUS / "pdf" / "good/ja_manual_luatexja_115p.pdf", max_pages=10)
    assert "115 pages" in str(exc.value) and "limit is 10" in str(exc.value)


@needs_corpus
def test_progress_callback_and_large_pdf_timing() -> None:
    calls: list[tuple[int, int]] = []
    started = time.perf_counter()
    doc = load_document(
        CORPUS / "pdf" / "good/ja_vertical_gov_mhlw-kokuji_247p.pdf",
        on_page=lambda d, t: calls.append((d, t)),
    )
    elapsed = time.perf_counter() - started
    print(f"\n247-page PDF loaded in {elapsed:.2f}s ({len(doc.pages)} pages)")
    assert calls == [(i, 247) for i in range(1, 248)]
    assert elapsed < 60


# -- seeds ----------------------------------------------------------------------------------------


def half_chars(text: str) -> int:
    return (len(text) + 1) // 2


@needs_corpus
@pytest.mark.parametrize(
    "name", ["llm-encyclopedia-ja.txt", "llm-lecture-slides-ja.txt", "llm-seminar-ja.txt"]
)
def test_seed_loads_normalises_and_chunks(name: str) -> None:
    doc = load_document(CORPUS / "seeds" / name)
    assert doc.mime in ("text/plain", "text/markdown")
    assert doc.page_count == 1 and len(doc.pages) == 1
    text = doc.pages[0].text
    assert "View Slide" not in text
    assert not re.search(r"(?m)^\d+\. \d+$", text)  # slide numbers like "12. 12"
    assert "\r" not in text and "  " not in text
    chunks = chunk_pages(doc.pages, half_chars, max_tokens=200)
    assert len(chunks) >= 20
    ends_clean = 0
    for c in chunks:
        assert c.text == text[c.char_start : c.char_end]
        assert c.token_count <= 200 or len(c.text.split()) == 1
        after = text[c.char_end : c.char_end + 1]
        ends_clean += after in ("", "\n") or c.text[-1] in "。.!?」)"
    assert ends_clean >= 0.95 * len(chunks)


# -- synthetic files through the whole loader -----------------------------------------------------


def test_text_file_form_feeds_are_pages(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("一ページ目の本文です。\f\n\f二ページ目の本文です。\n", encoding="shift_jis")
    doc = load_document(path)
    assert doc.page_count == 3
    assert [(p.number, p.text) for p in doc.pages] == [
        (1, "一ページ目の本文です。"),
        (3, "二ページ目の本文です。"),
    ]
    assert [(s.number, s.reason) for s in doc.skipped] == [(2, "no text layer")]


def test_markdown_is_stripped_lightly(tmp_path: Path) -> None:
    path = tmp_path / "readme.md"
    path.write_text(
        "# Shiori Guide\n\nUse **bold** and *italic* and a [link](https://example.com).\n\n"
        "```python\nprint('**kept**')\n```\n\n<div>inline html</div>\n",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.mime == "text/markdown" and doc.title == "Shiori Guide"
    text = doc.pages[0].text
    assert "Use bold and italic and a link." in text
    assert "https://example.com" not in text and "<div>" not in text
    assert "print('**kept**')" in text


def test_html_visible_text_only(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!doctype html><html><head><title>栞の使い方</title><style>p{color:red}</style>"
        "<script>alert('x')</script></head><body><nav>Home | About</nav>"
        "<h1>はじめに</h1><p>これは<b>本文</b>です。</p><ul><li>項目一</li><li>項目二</li></ul>"
        "<!-- secret comment --><noscript>enable js</noscript></body></html>",
        encoding="utf-8",
    )
    doc = load_document(path)
    assert doc.mime == "text/html" and doc.title == "栞の使い方"
    text = doc.pages[0].text
    assert text == "はじめに\n\nこれは本文です。\n\n項目一\n項目二"


def test_blank_text_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_text(" \n\n \t\n", encoding="utf-8")
    with pytest.raises(UnreadableDocument, match="no readable text"):
        load_document(path)
