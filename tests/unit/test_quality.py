from __future__ import annotations

import pytest

from ingestion.quality import (
    BLANK_PAGE,
    GARBAGE_CHARS,
    GIBBERISH,
    MOJIBAKE,
    NO_LETTERS,
    NO_TEXT_LAYER,
    assess_text,
    summarize_reasons,
)

pytestmark = pytest.mark.unit

JA = (
    "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。"
    "何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。"
)
JA_KANJI_HEAVY = (
    "厚生労働省告示第五十五号診療報酬の算定方法平成二十年厚生労働省告示第五十九号"
    "の規定に基づき基本診療料の施設基準等"
)
EN = (
    "The quick brown fox jumps over the lazy dog. It was a bright cold day in April, "
    "and the clocks were striking thirteen."
)


@pytest.mark.parametrize(
    "text",
    [
        JA,
        JA_KANJI_HEAVY,
        EN,
        "Lorem ipsum dolor sit amet, consetetur sadipscing elitr, sed diam nonumy eirmod tempor invidunt ut "
        "labore et dolore magna aliquyam erat.",
        "Dieses Skript wurde im Wintersemester von Martin Thoma geschrieben. Es beinhaltet die Mitschriften.",
        "Einführung in die Geometrie und Topologie",  # short title page
        "LuaTeX-ja パッケージ",
        "\\documentclass{ltjarticle}\n\\begin{document}\n\\ltjsetparameter{jacharrange={-2}}\n\\end{document}",
        "Sei 𝑑 : 𝑋 × 𝑋 → ℝ eine Metrik mit 𝑑(𝑥, 𝑦) = 0 und ℎ𝑇 = 𝑤𝑌 für alle Punkte.",
        "我们今天去公园散步，天气很好。这是一个简单的中文句子，用来测试。",
        "빠른 갈색 여우가 게으른 개를 뛰어 넘습니다. 이것은 한국어 문장입니다.",
        "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.",
        "Form 1040NR 2007 Line 12 $1,234 Line 13 $5,678 Total tax due see page 27 of the instructions.",
    ],
)
def test_real_text_is_accepted(text: str) -> None:
    verdict = assess_text(text)
    assert verdict.ok, verdict


def test_empty_and_symbol_only_pages() -> None:
    assert assess_text("").reason == NO_TEXT_LAYER
    assert assess_text(" \n\t ").reason == NO_TEXT_LAYER
    assert assess_text("12 34\n- 3 -\n1,234.00").reason == NO_LETTERS


def test_no_tounicode_cid_garbage_is_rejected() -> None:
    # What PDFium extracts from bad_no-tounicode_garbled_cid.pdf: glyph ids shifted by 29.
    garbled = (
        "7KH\x03TXLFN\x03EURZQ\x03IR[\x03MXPSV\x03RYHU\x03WKH\x03OD]\\\x03GRJ\x03\x13\x14\x15\x16\x17\x18"
    )
    assert assess_text(garbled * 3).reason == GARBAGE_CHARS


def test_shifted_latin_without_control_chars_is_gibberish() -> None:
    shifted = "".join(chr(ord(c) - 29) if c.isalpha() else c for c in EN)  # '7KH TXLFN EURZQ ...'
    assert assess_text(shifted).reason == GIBBERISH
    caesar = "".join(chr((ord(c) - 97 + 3) % 26 + 97) if c.islower() else c for c in EN)
    assert assess_text(caesar).reason == GIBBERISH


def test_utf8_read_as_latin1_is_mojibake() -> None:
    assert assess_text(JA.encode().decode("latin-1")).reason == MOJIBAKE  # 'ã\x81\x82...'
    assert assess_text(JA.encode().decode("cp1252", errors="replace")).reason == MOJIBAKE
    cyrillic = "Привет, как дела? Это тест текста на русском языке для проверки."
    assert assess_text(cyrillic.encode().decode("cp1252", errors="replace")).reason == MOJIBAKE


def test_utf8_read_as_shift_jis_is_mojibake() -> None:
    verdict = assess_text(JA.encode().decode("cp932", errors="replace"))
    assert not verdict.ok and verdict.reason is not None and verdict.reason.startswith("garbage")


def test_rare_ideographs_are_mojibake() -> None:
    rare = "".join(chr(0x20000 + ord(c) % 5000) for c in JA if ord(c) > 0x3000)
    verdict = assess_text(rare)
    assert verdict.reason == MOJIBAKE
    assert verdict.common_cjk_ratio is not None and verdict.common_cjk_ratio < 0.1


def test_private_use_area_is_garbage() -> None:
    assert assess_text("".join(chr(0xE000 + i) for i in range(40)) + " abc").reason == GARBAGE_CHARS
    assert assess_text("\ufffd" * 20 + "text").reason == GARBAGE_CHARS


def test_mixed_scripts_inside_words_are_gibberish() -> None:
    text = " ".join(["aБcДeЖ", "xΩyΣz", "пqрw", "kλmμ"] * 5)
    assert assess_text(text).reason == GIBBERISH


def test_kangxi_radicals_count_as_their_ideographs() -> None:
    assert assess_text("⽣活保護の⼿続きについて説明します。申請は窓口で行います。").ok


def test_verdict_carries_stats() -> None:
    v = assess_text(EN)
    assert v.chars > 0 and v.letters > 0 and v.vowel_ratio is not None and 0.3 < v.vowel_ratio < 0.5


def test_summaries_name_the_cause() -> None:
    assert "scanned" in summarize_reasons([NO_TEXT_LAYER, NO_TEXT_LAYER])
    assert "OCR" in summarize_reasons([NO_TEXT_LAYER, BLANK_PAGE])
    assert "blank" in summarize_reasons([BLANK_PAGE])
    assert "Unicode mapping" in summarize_reasons([GARBAGE_CHARS, MOJIBAKE])
    mixed = summarize_reasons([NO_TEXT_LAYER, GARBAGE_CHARS, GARBAGE_CHARS])
    assert "1 page has no text layer" in mixed and "2 pages have only garbage" in mixed
    assert "encoding" in summarize_reasons([MOJIBAKE], pdf=False)
    assert "no readable text" in summarize_reasons([NO_TEXT_LAYER], pdf=False)
