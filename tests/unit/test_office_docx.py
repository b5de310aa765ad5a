from __future__ import annotations

from pathlib import Path

import docx
import pytest

from app.core.errors import UnreadableDocument
from ingestion.loaders import load_document
from ingestion.loaders.sniff import DOCX
from tests.support.office_files import PAGE_BREAK, RENDERED_BREAK, SECTION_END, w_p, w_t, w_table, write_docx

pytestmark = pytest.mark.unit


def test_python_docx_file_reads_headings_paragraphs_and_tables_in_order(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("就業規則", 0)
    document.add_heading("第1章 総則", 1)
    document.add_paragraph("この規則は従業員の労働条件を定める。")
    document.add_heading("第1条 目的", 2)
    document.add_paragraph("会社の秩序を維持することを目的とする。")
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ("区分", "日数", "備考"), strict=True):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ("年次有給休暇", "10日", "入社6か月後"), strict=True):
        cell.text = text
    document.add_heading("第2章 勤務", 1)
    document.add_paragraph("始業は9時とする。")
    path = tmp_path / "rules.docx"
    document.save(str(path))

    doc = load_document(path)

    assert doc.mime == DOCX
    assert doc.title == "就業規則"
    assert [p.number for p in doc.pages] == [1]
    assert doc.pages[0].label is None  # one page: nothing to add to "p. 1"
    assert doc.pages[0].text.split("\n") == [
        "就業規則",
        "第1章 総則",
        "この規則は従業員の労働条件を定める。",
        "第1章 総則 > 第1条 目的",
        "会社の秩序を維持することを目的とする。",
        "区分 | 日数 | 備考",
        "年次有給休暇 | 10日 | 入社6か月後",
        "第2章 勤務",
        "始業は9時とする。",
    ]


def test_pages_follow_the_breaks_word_rendered_not_the_explicit_ones(tmp_path: Path) -> None:
    body = (
        w_p(w_t("First page."))
        + w_p(w_t("Still first, then a manual break."), PAGE_BREAK)
        # Word marks the top of every page it laid out, the one after a manual break included.
        + w_p(RENDERED_BREAK + w_t("Second page starts here."))
        + w_p(w_t("A paragraph that runs over "), RENDERED_BREAK + w_t("onto page three."))
        + w_p(w_t("Third page."))
    )
    pages: list[tuple[int, int]] = []
    doc = load_document(write_docx(tmp_path / "a.docx", body), on_page=lambda i, n: pages.append((i, n)))

    assert [(p.number, p.label) for p in doc.pages] == [(1, None), (2, None), (3, None)]
    assert doc.pages[0].text == "First page.\nStill first, then a manual break."
    # A paragraph is cited on the page where it starts.
    assert doc.pages[1].text == "Second page starts here.\nA paragraph that runs over onto page three."
    assert doc.pages[2].text == "Third page."
    assert pages == [(1, 3), (2, 3), (3, 3)]


def test_explicit_page_breaks_number_pages_when_word_recorded_none(tmp_path: Path) -> None:
    body = (
        w_p(w_t("Cover."))
        + w_p(PAGE_BREAK)
        + w_p(w_t("Body."))
        + w_p(w_t("Chapter two"), style="Chapter")  # its style says "page break before"
        + w_p(w_t("More."), PAGE_BREAK)
        + w_p(w_t("Last."))
    )
    doc = load_document(write_docx(tmp_path / "b.docx", body))

    assert [p.text for p in doc.pages] == ["Cover.", "Body.", "Chapter two\nMore.", "Last."]


def test_section_breaks_number_pages_as_sections_when_there_are_no_page_breaks(tmp_path: Path) -> None:
    body = w_p(w_t("Part one."), ppr=SECTION_END) + w_p(w_t("Part two.")) + w_p(w_t("Still two."))
    doc = load_document(write_docx(tmp_path / "c.docx", body))

    assert [(p.number, p.label, p.text) for p in doc.pages] == [
        (1, "Section 1", "Part one."),
        (2, "Section 2", "Part two.\nStill two."),
    ]


def test_footnotes_endnotes_and_comments_come_after_the_body_on_labelled_pages(tmp_path: Path) -> None:
    body = w_p(
        w_t("本文の一文目"),
        '<w:footnoteReference w:id="7"/>',
        w_t("。二文目"),
        '<w:endnoteReference w:id="2"/>',
    ) + w_p(w_t("次の段落"), '<w:footnoteReference w:id="3"/>', w_t("。"))
    path = write_docx(
        tmp_path / "notes.docx",
        body,
        footnotes=[(3, "二つ目の脚注。"), (7, "最初の脚注。")],
        endnotes=[(2, "巻末の注。")],
        comments=[("山田 太郎", "ここは要確認。")],
    )
    doc = load_document(path)

    assert [(p.number, p.label) for p in doc.pages] == [
        (1, None),
        (2, "Footnotes"),
        (3, "Endnotes"),
        (4, "Comments"),
    ]
    assert doc.pages[0].text == "本文の一文目[1]。二文目[i]\n次の段落[2]。"
    assert doc.pages[1].text == "[1] 最初の脚注。\n[2] 二つ目の脚注。"  # in the order the body cites them
    assert doc.pages[2].text == "[i] 巻末の注。"
    assert doc.pages[3].text == "山田 太郎: ここは要確認。"


def test_text_boxes_once_and_revisions_and_field_codes_left_out(tmp_path: Path) -> None:
    box = f"<w:txbxContent>{w_p(w_t('Box text.'))}</w:txbxContent>"
    alternate = (
        "<mc:AlternateContent>"
        "<mc:Choice Requires='wps'>"
        f"<w:drawing><wps:txbx xmlns:wps='urn:wps'>{box}</wps:txbx></w:drawing></mc:Choice>"
        f"<mc:Fallback><w:pict><v:textbox xmlns:v='urn:schemas-microsoft-com:vml'>{box}</v:textbox></w:pict>"
        "</mc:Fallback></mc:AlternateContent>"
    )
    body = (
        w_p(w_t("Anchor paragraph."), alternate)
        + "<w:p><w:del><w:r><w:delText>deleted words </w:delText></w:r></w:del>"
        "<w:ins><w:r><w:t>inserted words</w:t></w:r></w:ins>"
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t> on page 4</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    doc = load_document(write_docx(tmp_path / "d.docx", body))

    assert doc.pages[0].text == "Anchor paragraph.\nBox text.\ninserted words on page 4"


def test_table_rows_keep_merged_and_empty_cells_in_place(tmp_path: Path) -> None:
    body = w_table([["Name", "Score", "Note"], ["Alice", "", "late"], ["", "", ""]])
    doc = load_document(write_docx(tmp_path / "t.docx", body))
    assert doc.pages[0].text == "Name | Score | Note\nAlice | | late"


def test_docx_with_only_macros_fails_saying_so(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "macro.docm", w_p(), macros=True)
    with pytest.raises(UnreadableDocument) as exc:
        load_document(path)
    assert exc.value.code == "no_text"
    assert "contains no text" in exc.value.detail
    assert "only macros, which Shiori never runs" in exc.value.detail


def test_empty_docx_fails_as_no_text(tmp_path: Path) -> None:
    document = docx.Document()
    path = tmp_path / "empty.docx"
    document.save(str(path))
    with pytest.raises(UnreadableDocument) as exc:
        load_document(path)
    assert exc.value.code == "no_text"
    assert exc.value.detail == "This Word document contains no text (it is empty or holds only pictures)."


def test_more_pages_than_the_limit_fails_as_too_many_pages(tmp_path: Path) -> None:
    body = "".join(w_p(RENDERED_BREAK + w_t(f"Page {i}.")) for i in range(12))
    with pytest.raises(UnreadableDocument) as exc:
        load_document(write_docx(tmp_path / "long.docx", body), max_pages=10)
    assert exc.value.code == "too_many_pages"
    assert "the limit is 10 pages" in exc.value.detail
