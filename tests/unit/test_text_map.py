"""The map from normalised page text back to the raw text it came from (#13: an offset in the
normalised text must find its character boxes where NFKC, line joining or dropped boilerplate changed
the string). ingestion.fold traces the character folding, ingestion.text_map the rest."""

from __future__ import annotations

import pytest

from ingestion.fold import fold, fold_traced
from ingestion.normalize import MappedText, normalize_pages, normalize_pages_mapped
from tests.support.ci import require_module

pytestmark = pytest.mark.unit


def mapped(*pages: str, layout_wrapped: bool = True) -> list[MappedText]:
    out = normalize_pages_mapped(list(pages), layout_wrapped=layout_wrapped)
    assert [m.text for m in out] == normalize_pages(list(pages), layout_wrapped=layout_wrapped)
    return out


def sources(raw: str, page: MappedText) -> list[str | None]:
    """For each normalised character, the raw characters it came from (None: written by the normaliser)."""
    assert page.spans is not None
    return [None if start < 0 else raw[start:end] for start, end in page.spans.tolist()]


def source_of(raw: str, page: MappedText, needle: str) -> list[str | None]:
    at = page.text.index(needle)
    return sources(raw, page)[at : at + len(needle)]


def test_width_folding_maps_each_character_to_its_full_width_source() -> None:
    raw = "保医発０３０５第２号 ＡＢＣ"
    (page,) = mapped(raw)
    assert page.text == "保医発0305第2号 ABC"
    assert sources(raw, page) == [*"保医発０３０５第２号", None, *"ＡＢＣ"]


def test_composed_and_expanded_characters() -> None:
    raw = "ｶﾞｲﾄﾞ ㌔ ﬁle"
    (page,) = mapped(raw)
    assert page.text == "ガイド キロ file"
    assert source_of(raw, page, "ガイド") == ["ｶﾞ", "ｲ", "ﾄﾞ"]  # two half-width characters made one
    assert source_of(raw, page, "キロ") == ["㌔", "㌔"]  # one made two
    assert source_of(raw, page, "fi") == ["ﬁ", "ﬁ"]


def test_dropped_controls_newlines_and_spaces() -> None:
    raw = "A\r\nB\x07C\u200bD\ufeffE  \t F\u00adG"
    (page,) = mapped(raw)
    assert page.text == "A\nBCDE FG"
    assert sources(raw, page) == ["A", None, "B", "C", "D", "E", None, "F", "G"]


def test_joined_english_lines_and_a_removed_hyphen() -> None:
    raw = "The committee was re-\nconvened after the\nhearing ended."
    (page,) = mapped(raw)
    assert page.text == "The committee was reconvened after the hearing ended."
    spans = page.spans
    assert spans is not None
    at = page.text.index("reconvened")
    assert [raw[s:e] for s, e in spans[at : at + 10].tolist()] == list("reconvened")
    assert spans[at + 2][0] == raw.index("conv")  # after the hyphen and the line break
    assert sources(raw, page)[page.text.index(" hearing")] is None  # the space that replaced "\n"


def test_joined_japanese_lines() -> None:
    raw = "届出の通則は、\n次のとおりとする。"
    (page,) = mapped(raw)
    assert page.text == "届出の通則は、次のとおりとする。"
    assert "".join(s or "" for s in sources(raw, page)) == page.text


def test_dropped_boilerplate_lines_do_not_shift_the_body() -> None:
    """The running header's words also occur in the body: the body must map to the body."""
    pages = [f"Annual Report\nAnnual Report figures for page {n} follow.\n- {n} -" for n in range(1, 5)]
    out = mapped(*pages)
    for raw, page in zip(pages, out, strict=True):
        assert page.text.startswith("Annual Report figures") and "- " not in page.text
        assert page.spans is not None
        body = raw.index("Annual Report figures")
        assert page.spans[0].tolist() == [body, body + 1]
        assert all(s >= body for s, _ in page.spans.tolist() if s >= 0)


def test_vertical_cells_and_letter_spacing_rejoined() -> None:
    raw = "入\n院\n患\n者\n届 出 事 項"
    (page,) = mapped(raw)
    assert page.text == "入院患者\n届出事項"
    assert sources(raw, page) == [*"入院患者", None, *"届出事項"]
    spans = page.spans
    assert spans is not None
    assert spans[6].tolist() == [raw.index("出"), raw.index("出") + 1]


def test_protected_characters_keep_their_own_origin() -> None:
    raw = "①ＡＢ≦③ x² ｶﾞ"
    (page,) = mapped(raw)
    assert page.text == "①AB≦③ x² ガ"
    assert sources(raw, page) == ["①", "Ａ", "Ｂ", "≦", "③", None, "x", "²", None, "ｶﾞ"]


def test_fold_traced_is_fold() -> None:
    for text in (
        "",
        "ascii only",
        "ＡＢ①ｶﾞ\r\n\u2028x\u0301e\u0308",
        "\u200d\u200c👍🏽",
        "a\u0300\u0316\u0301b",
    ):
        folded, spans = fold_traced(text)
        assert folded == fold(text) and len(spans) == len(folded)


def test_any_text_maps_every_visible_character_to_a_source_that_folds_to_it() -> None:
    hypothesis = require_module("hypothesis")
    st = require_module("hypothesis.strategies")
    alphabet = st.sampled_from(
        list("ab -\n\r\t.、。") + list("ＡＢ１ｶﾞﾊﾟ㌔ﬁ①²\u3000\u00a0\u200b\u00ad\u0301届出事項入院患者")
    )

    @hypothesis.settings(max_examples=200, deadline=None)
    @hypothesis.given(st.lists(st.text(alphabet, max_size=60), min_size=1, max_size=4))
    def check(pages: list[str]) -> None:
        for raw, page in zip(pages, mapped(*pages), strict=True):
            assert page.spans is not None
            for c, (start, end) in zip(page.text, page.spans.tolist(), strict=True):
                if c.isspace():
                    assert start == -1
                else:
                    assert 0 <= start < end <= len(raw) and c in fold(raw[start:end]), (raw, page.text)

    check()
