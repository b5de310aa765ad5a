"""Numbers and names a citation must back (#15, item 2): a swapped fact is flagged even where the
sentence around it matches the source word for word."""

from __future__ import annotations

import pytest

from app.core.citations import SourceRef, check_citations
from app.core.key_terms import TermIndex, contexts, key_terms, topic_spans, whole_name
from tests.support.ci import require_module

pytestmark = pytest.mark.unit

TSUYU = (
    "梅雨は東アジアの広範囲においてみられる特有の気象現象である。"
    "日本では北海道と小笠原諸島を除く地域で見られる。"
    "6月に入ると東北地方も梅雨入りし、本格的な長雨に突入する。"
    "気象庁は1951年から梅雨入りと梅雨明けの時期を発表している。"
)
DEWAR = (
    "Oxygen was first liquefied in a stable state on March 29, 1883 by Polish scientists. "
    "In 1891 Scottish chemist James Dewar was able to produce enough liquid oxygen to study. "
    "The first commercially viable process for producing liquid oxygen was developed in 1895 "
    "by Carl von Linde."
)
TARO = "山田太郎は1970年に東京で生まれた。高校では野球部に所属していた。彼は1992年に京都大学を卒業した。"


def flagged(claim: str, source: str, question: str = "") -> tuple[str, tuple[str, ...]]:
    report = check_citations(claim + "[1]", [SourceRef(1, source)], question=question)
    (cited,) = [c for c in report.citations if c.number == 1]
    return cited.status, cited.missing


def test_numbers_and_names_are_found_in_japanese_and_english() -> None:
    require_module("fugashi")
    ja = [(t.text, t.kind) for t in key_terms("気象庁は1951年から北海道を除く地域で発表している。")]
    assert ("1951", "number") in ja and ("北海道", "name") in ja
    en = [t.text for t in key_terms("In 1891 James Dewar used GPT-3. The Panthers won.")]
    assert en[:1] == ["1891"] and {"James", "Dewar", "GPT", "3"} <= set(en)
    assert "The" not in en and "In" not in en  # a capital at a sentence start is no name
    assert "Panthers" in en  # after "The": a name


def test_a_term_is_matched_as_a_whole_number_or_word() -> None:
    index = TermIndex("2013年1月14日に15,000Kmを走った。Altavillanus was there.")
    by_text = {t.text: t for t in key_terms("1月、2013年に15000 km, as Altavilla said 14.")}
    assert index.has(by_text["2013"]) and index.has(by_text["15000"]) and index.has(by_text["14"])
    assert not index.has(by_text["Altavilla"])  # a word, not the start of another


def test_the_context_of_a_number_is_its_clause_never_half_a_word() -> None:
    (term,) = [t for t in key_terms("1996年の選挙では、京都3区で勝った。") if t.text == "3"]
    (around,) = contexts("1996年の選挙では、京都3区で勝った。", term)
    assert "京都" in around and "#96" not in around and "都区" not in around


def test_a_swapped_number_is_flagged_though_the_source_has_it_elsewhere() -> None:
    require_module("fugashi")
    status, missing = flagged("気象庁は1883年から梅雨入りと梅雨明けの時期を発表している。", TSUYU + DEWAR)
    assert status == "unsupported" and missing == ("1883",)
    assert flagged("気象庁は1951年から梅雨入りと梅雨明けの時期を発表している。", TSUYU) == ("verified", ())


def test_a_swapped_name_is_flagged_though_the_rest_is_copied_word_for_word() -> None:
    require_module("fugashi")
    status, missing = flagged("日本では北海道と東アジアを除く地域で見られる。", TSUYU)
    assert status == "unsupported" and missing == ("アジア",)  # 東|アジア: MeCab's name is アジア
    status, missing = flagged(
        "In 1891 Scottish chemist Carl Linde was able to produce enough liquid oxygen.", DEWAR
    )
    assert status == "unsupported" and set(missing) == {"Carl", "Linde"}
    # The faithful sentence and a rewording that keeps its facts hold.
    assert flagged("In 1891 James Dewar produced enough liquid oxygen to study.", DEWAR) == ("verified", ())
    assert flagged("小笠原諸島では梅雨が見られない。", TSUYU)[1] == ()


def test_the_topic_the_question_names_may_sit_in_another_sentence() -> None:
    require_module("fugashi")
    claim = "山田太郎は1992年に京都大学を卒業した。"
    # "彼は" holds the fact; 山田太郎 is named two sentences before, and in the question.
    assert flagged(claim, TARO, question="山田太郎はいつ京都大学を卒業したか")[0] == "verified"
    assert topic_spans(claim, next(t for t in key_terms(claim) if t.text == "山田")) == [(0, 4)]
    # Without the question the name has no sentence of its own holding the fact.
    assert flagged(claim, TARO)[0] == "unsupported"
    # A name of the question placed where the answer goes is no topic: it stays flagged.
    status, missing = flagged("1992年に東京大学を卒業した。", TARO, question="東京で生まれたのは誰か")
    assert status == "unsupported" and "東京" in missing


def test_a_short_answer_needs_its_term_only_in_the_source() -> None:
    require_module("fugashi")
    assert flagged("1951年です。", TSUYU) == ("verified", ())
    assert flagged("1883年です。", TSUYU)[0] == "unsupported"


def test_a_name_with_a_katakana_word_written_onto_it_is_read_whole() -> None:
    question = "東京タワーの高さは？"
    (name,) = key_terms(question)
    assert name.text == "東京" and whole_name(question, name).text == "東京タワー"
    # kanji written onto a name are mostly not part of it (オランダ最大の通信事業者)
    question = "オランダ最大の通信事業者は？"
    assert [whole_name(question, t).text for t in key_terms(question)] == ["オランダ"]
    (number,) = key_terms("2013年のGDPは？")[:1]
    assert whole_name("2013年のGDPは？", number) is number
