from __future__ import annotations

import zipfile
from pathlib import Path

import pptx
import pytest
from pptx.oxml import parse_xml
from pptx.util import Inches

from app.core.errors import UnreadableDocument
from ingestion.loaders import load_document
from ingestion.loaders.pptx import NOTES_MARK
from ingestion.loaders.sniff import PPTX

pytestmark = pytest.mark.unit

_SLIDE_NUMBER = (
    '<p:sp xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:nvSpPr><p:cNvPr id="99" name="n"/>'
    '<p:cNvSpPr/><p:nvPr><p:ph type="sldNum" idx="12"/></p:nvPr></p:nvSpPr><p:spPr/>'
    "<p:txBody><a:bodyPr/><a:p><a:fld id='{1}' type='slidenum'><a:t>1</a:t></a:fld></a:p></p:txBody></p:sp>"
)


def _textbox(slide: pptx.slide.Slide, left: float, top: float, text: str) -> None:
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(3), Inches(0.5))
    box.text_frame.text = text


def _deck(path: Path) -> Path:
    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])  # title and content: placeholders, no positions
    first.shapes.title.text = "2024年度 事業計画"
    first.placeholders[1].text = "売上目標は前年比120%"
    _textbox(first, 0.5, 6.5, "出典: 経営企画部")
    _textbox(first, 6.0, 0.3, "社外秘")
    first.shapes._spTree.append(parse_xml(_SLIDE_NUMBER))
    first.notes_slide.notes_text_frame.text = "ここで質問を受ける。"

    second = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    second.shapes.title.text = "Regional results"
    _textbox(second, 5.0, 2.0, "right column")
    _textbox(second, 0.5, 2.1, "left column")  # a little lower, but on the same line of the slide
    _textbox(second, 0.5, 4.0, "below both")
    rows = [("Region", "Sales"), ("Kanto", "1,200"), ("Kansai", "800")]
    table = second.shapes.add_table(3, 2, Inches(0.5), Inches(5.0), Inches(6), Inches(1.2)).table
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text

    third = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    group = third.shapes.add_group_shape()
    for top, text in ((1.0, "group first"), (2.0, "group second")):
        box = group.shapes.add_textbox(Inches(1), Inches(top), Inches(3), Inches(0.5))
        box.text_frame.text = text
    _textbox(third, 1.0, 0.2, "above the group")
    deck.slides.add_slide(deck.slide_layouts[6])  # an empty slide
    deck.save(str(path))
    return path


def test_one_page_per_slide_with_title_body_in_reading_order_tables_and_notes(tmp_path: Path) -> None:
    progress: list[tuple[int, int]] = []
    doc = load_document(_deck(tmp_path / "plan.pptx"), on_page=lambda i, n: progress.append((i, n)))

    assert doc.mime == PPTX
    assert doc.page_count == 4
    assert doc.title == "2024年度 事業計画"
    assert [(p.number, p.label) for p in doc.pages] == [(1, "Slide 1"), (2, "Slide 2"), (3, "Slide 3")]
    assert [s.number for s in doc.skipped] == [4]  # the empty slide
    assert progress == [(1, 4), (2, 4), (3, 4), (4, 4)]
    # The title first; the placeholder's position comes from its layout; the slide number is left out.
    assert doc.pages[0].text.split("\n") == [
        "2024年度 事業計画",
        "社外秘",
        "売上目標は前年比120%",
        "出典: 経営企画部",
        NOTES_MARK,
        "ここで質問を受ける。",
    ]
    assert doc.pages[1].text.split("\n") == [
        "Regional results",
        "left column",
        "right column",
        "below both",
        "Region | Sales",
        "Kanto | 1,200",
        "Kansai | 800",
    ]
    assert doc.pages[2].text.split("\n") == ["above the group", "group first", "group second"]


def test_notes_are_marked_in_both_languages() -> None:
    assert "Notes" in NOTES_MARK and "ノート" in NOTES_MARK


def test_more_slides_than_the_limit_fails_before_reading_them(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocument) as exc:
        load_document(_deck(tmp_path / "plan.pptx"), max_pages=3)
    assert exc.value.code == "too_many_pages"
    assert exc.value.detail.startswith("This file has 4 slides; the limit is 3 pages per document.")


def test_deck_of_pictures_only_fails_as_no_text(tmp_path: Path) -> None:
    deck = pptx.Presentation()
    deck.slides.add_slide(deck.slide_layouts[6])
    path = tmp_path / "pictures.pptx"
    deck.save(str(path))
    with pytest.raises(UnreadableDocument) as exc:
        load_document(path)
    assert exc.value.code == "no_text"
    assert exc.value.detail == (
        "This PowerPoint presentation contains no text (its slides are empty or hold only pictures)."
    )


def test_macro_enabled_deck_is_read_by_content_and_its_macros_never_run(tmp_path: Path) -> None:
    path = _deck(tmp_path / "plan.pptm")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("ppt/vbaProject.bin", b"\xd0\xcf\x11\xe0 macros")
    doc = load_document(path, filename="plan.pptm")
    assert doc.mime == PPTX
    assert doc.pages[0].text.startswith("2024年度 事業計画")
