from __future__ import annotations

import pytest

from ingestion.normalize import normalize_pages, safe_nfkc

pytestmark = pytest.mark.unit


def one(text: str, *, layout_wrapped: bool = True) -> str:
    return normalize_pages([text], layout_wrapped=layout_wrapped)[0]


# -- characters -----------------------------------------------------------------------------------


def test_width_folding_is_applied() -> None:
    assert safe_nfkc("ＡＢＣ１２３！") == "ABC123!"
    assert safe_nfkc("ｶﾞｷﾞｸﾞ") == "ガギグ"
    assert safe_nfkc("⽣活") == "生活"  # Kangxi radical from a PDF font
    assert safe_nfkc("ﬁle") == "file"
    assert safe_nfkc("令和\u3000四年") == "令和 四年"


def test_meaningful_compatibility_characters_are_kept() -> None:
    for text in ("①≦③", "⑴ 前項", "x² + y²", "CO₂", "½", "第Ⅲ章", "ⓐ"):
        assert safe_nfkc(text) == text


def test_nfkc_is_consistent_around_protected_characters() -> None:
    assert safe_nfkc("ＡＢ①ｶﾞ") == "AB①ガ"


def test_newlines_controls_and_spaces() -> None:
    text = "A\r\nB\rC\u2028D\x07E\u200bF\ufeffG  \t H\u00adI"
    assert one(text) == "A\nB\nC\nDEFG HI"


def test_blank_line_runs_collapse() -> None:
    assert one("para one\n\n\n\n\nPara two") == "para one\n\nPara two"


# -- joining broken lines -------------------------------------------------------------------------


def test_english_line_continuing_lowercase_is_joined() -> None:
    assert (
        one("The act was signed\ninto law by the president.")
        == "The act was signed into law by the president."
    )


def test_hyphenated_line_break_is_joined() -> None:
    assert one("a hyphen-\nated word") == "a hyphenated word"


def test_headings_and_list_items_are_not_joined() -> None:
    assert one("Introduction\nThe text starts.") == "Introduction\nThe text starts."
    assert one("- item one\n- item two") == "- item one\n- item two"
    assert one("Steps:\n1. open\n2. close") == "Steps:\n1. open\n2. close"


def test_code_fences_are_not_joined() -> None:
    text = "```\nx = 1\ny = 2\n```"
    assert one(text) == text


def test_japanese_line_ending_with_comma_is_joined() -> None:
    assert one("理解するために、\nその原理を知ることは重要。") == "理解するために、その原理を知ることは重要。"


def test_japanese_sentence_end_is_not_joined() -> None:
    assert one("これは文です。\n次の文です。") == "これは文です。\n次の文です。"


def _laid_out_page() -> str:
    # A typeset page: body lines all run to the same width (36 characters) and break mid-word.
    body = [
        "一　保険医療機関は、第二から第十までに規定する施設基準に従い、適正に届出を行",
        "わなければならないこと。",
        "二　保険医療機関は、届出を行った後に、当該届出に係る内容と異なる事情が生じ",
        "た場合には、速やかに届出の内容の変更を行わなければならないこと。",
        "三　届出の内容又は届出の変更の内容が第二から第十までに規定する施設基準に適",
        "合しない場合には、当該届出又は届出の変更は無効であること。",
        "四　届出については、届出を行う保険医療機関の所在地を管轄する地方厚生局長等",
        "に対して行うこと。",
        "短い行で終わる施設",
        "基準の例。",
    ]
    return "\n".join(["第一　届出の通則", *body])


def test_japanese_full_width_line_joined_in_laid_out_text() -> None:
    lines = one(_laid_out_page()).split("\n")
    assert lines[0] == "第一 届出の通則"  # short heading stays on its own line
    first_item = "一 保険医療機関は、第二から第十までに規定する施設基準に従い、適正に届出を行"
    assert lines[1] == first_item + "わなければならないこと。"
    assert lines[2].endswith("変更を行わなければならないこと。")
    assert lines[-2:] == ["短い行で終わる施設", "基準の例。"]  # not full width: a real line end


def test_japanese_width_join_off_for_author_lines() -> None:
    assert one(_laid_out_page(), layout_wrapped=False).count("\n") == 10


def test_letter_spaced_japanese_is_rejoined() -> None:
    assert one("届 出 事 項") == "届出事項"
    assert one("平 成 30 年 3 月 5 日") == "平成30年3月5日"
    assert one("好きな 果物 は ぶどう") == "好きな 果物 は ぶどう"  # words, not letters
    assert one("a b c d") == "a b c d"


def test_vertical_one_character_cells_are_rejoined() -> None:
    assert one("入\n院\n患\n者\n数") == "入院患者数"


# -- boilerplate ----------------------------------------------------------------------------------


def test_running_headers_and_page_numbers_removed() -> None:
    pages = [
        f"ACME Annual Report\nBody text of page {i} talks about topic {i * 7}.\n- {i} -" for i in range(1, 7)
    ]
    out = normalize_pages(pages)
    for i, text in enumerate(out, start=1):
        assert text == f"Body text of page {i} talks about topic {i * 7}."


def test_page_number_formats() -> None:
    for fmt in ("{i}", "- {i} -", "{i} / 40", "Page {i}", "{i}ページ"):
        pages = [f"Body {chr(65 + i)} of the document.\n" + fmt.format(i=i) for i in range(1, 5)]
        out = normalize_pages(pages)
        assert all(fmt.format(i=i) not in text.split("\n") for i, text in enumerate(out, 1)), fmt


def test_lines_repeating_on_few_pages_stay() -> None:
    pages = [f"Body {i}." for i in range(6)]
    pages[0] += "\nShared note"
    pages[1] += "\nShared note"
    out = normalize_pages(pages)
    assert out[0].endswith("Shared note")


def test_two_page_documents_keep_their_lines() -> None:
    out = normalize_pages(["- 1 -\nText one.", "- 2 -\nText two."])
    assert out[0].startswith("- 1 -")


def test_numbers_inside_table_bodies_stay() -> None:
    # Numeric cells that differ page to page without counting up are not page numbers.
    values = [(5, 3), (2, 8), (9, 1), (4, 4), (7, 6)]
    pages = [f"Tokyo {a} {b}\n{a + b}\nOsaka {b} {a}\nSome body text {i}." for i, (a, b) in enumerate(values)]
    out = normalize_pages(pages)
    assert out == pages


def test_single_page_repeated_short_lines_removed() -> None:
    slides = "\n\n".join(f"{i}. {i}\nSlide body number {i} with content.\n\nView Slide" for i in range(1, 8))
    out = one(slides, layout_wrapped=False)
    assert "View Slide" not in out
    assert "Slide body number 3 with content." in out
    assert "3. 3" not in out


def test_single_page_lines_repeated_a_few_times_stay() -> None:
    text = "\n".join(["Hello there."] * 3 + ["Other text."])
    assert one(text).count("Hello there.") == 3
