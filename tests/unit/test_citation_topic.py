"""A citation must be about what the question asks (#15, item 2: "citations whose passage matches the
words but not the question"): the question's numbers and names have to stand in the sources its
answer cites, or every citation is flagged, naming what they lack."""

from __future__ import annotations

import pytest

from app.core.citations import SourceRef, check_citations
from tests.support.ci import require_module

pytestmark = pytest.mark.unit

# Two pages on two countries, alike in everything the answer copies (built after JSQuAD-valid's
# articles, where asking without the gold paragraph drew exactly this answer from the other page).
LAOS = "ラオスの正式名称はラオス人民民主共和国である。公式の英語表記は Lao People's Democratic Republic。"
NETHERLANDS = "オランダの正式名称はネーデルラント王国である。公式の英語表記は Kingdom of the Netherlands。"
ANSWER = "公式の英語表記は Lao People's Democratic Republic です[1]。"


@pytest.fixture(autouse=True)
def _mecab() -> None:
    require_module("fugashi")  # Japanese names are found by MeCab


def test_an_answer_from_a_page_about_something_else_is_flagged() -> None:
    report = check_citations(ANSWER, [SourceRef(1, LAOS)], question="オランダの公式の英語表記は何というか。")
    (c,) = report.citations
    assert c.status == "unsupported" and c.missing == ("オランダ",)
    assert report.unsupported_sentences == [0]
    # the same answer to the question it does answer holds
    report = check_citations(ANSWER, [SourceRef(1, LAOS)], question="ラオスの公式の英語表記は何というか。")
    assert [c.status for c in report.citations] == ["verified"] and report.unsupported_sentences == []


def test_an_answer_about_another_year_is_flagged() -> None:
    page = "2019年のGDPは190億ドルである。"
    report = check_citations("190億ドルです[1]。", [SourceRef(1, page)], question="2013年のGDPはいくらか。")
    assert report.citations[0].status == "unsupported" and report.citations[0].missing == ("2013",)


def test_the_title_names_the_topic_the_page_leaves_out() -> None:
    page = "公式の英語表記は Lao People's Democratic Republic。首都はビエンチャン。"
    question = "ラオスの公式の英語表記は何というか。"
    report = check_citations(ANSWER, [SourceRef(1, page, title="ラオス")], question=question)
    assert [c.status for c in report.citations] == ["verified"]
    report = check_citations(ANSWER, [SourceRef(1, page, title="東南アジア")], question=question)
    assert report.citations[0].status == "unsupported"


def test_a_comparison_names_each_side_in_its_own_source() -> None:
    sources = [SourceRef(1, LAOS), SourceRef(2, NETHERLANDS)]
    answer = "ラオスの正式名称はラオス人民民主共和国です[1]。オランダの正式名称はネーデルラント王国です[2]。"
    report = check_citations(answer, sources, question="ラオスとオランダの正式名称の違いは？")
    assert {c.status for c in report.citations} == {"verified"}


def test_counts_acronyms_and_misspelt_names_in_the_question_are_not_required() -> None:
    page = (
        "The Treaty of Rome did not mention fundamental rights. In the city of Bendigo, the Labor "
        "party is favoured, as it is in Geelong."
    )
    for question, answer in (
        ("Which party is favoured in Bedigo and Geelong?", "The Labor party is favoured [1]."),
        (
            "How many EU treaties mentioned fundamental rights?",
            "The Treaty of Rome did not mention them [1].",
        ),
    ):
        report = check_citations(answer, [SourceRef(1, page)], question=question)
        assert [c.status for c in report.citations] == ["verified"], question
    report = check_citations(
        "Labor [1].", [SourceRef(1, page)], question="Which party is favoured in Ballarat?"
    )
    assert report.citations[0].missing == ("Ballarat",)


def test_no_topic_check_across_languages() -> None:
    # names don't compare across scripts: an English question over a Japanese page is not flagged
    # for lacking "Laos" (its answer's support is checked by meaning, app.core.crosslingual)
    report = check_citations(
        ANSWER, [SourceRef(1, LAOS)], question="What is the official English name of Laos?"
    )
    assert all("Laos" not in c.missing for c in report.citations)


def test_a_follow_up_is_held_to_its_own_names_or_else_to_the_question_before_it() -> None:
    laos = [SourceRef(1, LAOS + "ラオスは1953年に独立した。")]
    joined = "オランダの正式名称は？ ラオスは？"  # what search was given for the follow-up
    answer = "ラオス人民民主共和国です[1]。"
    report = check_citations(answer, laos, question=joined, topic="ラオスは？")
    assert [c.status for c in report.citations] == ["verified"]
    # 「それはいつ？」 names nothing itself: the question it follows names the topic
    joined = "オランダはいつ独立した？ それはいつ？"
    report = check_citations("1953年です[1]。", laos, question=joined, topic="それはいつ？")
    assert report.citations[0].missing == ("オランダ",)


def test_a_name_is_read_whole_with_its_katakana() -> None:
    # MeCab tags only 東京 of 東京タワー as a name; the スカイツリー page names 東京 too. An uncited
    # answer was inferred from it and passed (session 14's note).
    tower = "東京タワーは1958年に完成した電波塔である。高さは333メートルである。"
    skytree = "東京スカイツリーは2012年に開業した電波塔である。高さは634メートルである。"
    sources = [SourceRef(1, tower), SourceRef(2, skytree)]
    report = check_citations("634メートルです。", sources, question="東京タワーの高さは？")
    (cited,) = report.citations
    assert (cited.number, cited.status, cited.missing) == (2, "unsupported", ("東京タワー",))
    assert report.flagged
    report = check_citations("333メートルです。", sources, question="東京スカイツリーの高さは？")
    assert report.citations[0].missing == ("東京スカイツリー",) and report.flagged
    # citing the tower's page, which lacks 634: the page the number came from is named, but not as
    # support (it was shown as "inferred")
    report = check_citations("634メートルです[1]。", sources, question="東京タワーの高さは？")
    assert [(c.number, c.status, c.missing) for c in report.citations] == [
        (1, "unsupported", ("634",)),
        (2, "unsupported", ("東京タワー",)),
    ]
    # a second sentence doesn't borrow the first one's topic: it passed, its 634 shown as inferred
    report = check_citations(
        "東京タワーは1958年に完成した[1]。高さは634メートルです。", sources, question="東京タワーの高さは？"
    )
    assert [(c.number, c.status) for c in report.citations] == [(1, "verified"), (2, "unsupported")]
    assert report.unsupported_sentences == [1] and report.flagged
    # the right answers, cited or not, hold: スカイツリー is the name, not what the question asks about
    for question, answer, n in [
        ("東京タワーの高さは？", "333メートルです。", 1),
        ("東京スカイツリーの高さは？", "634メートルです。", 2),
        ("東京スカイツリーの高さは？", "634メートルです[2]。", 2),
    ]:
        report = check_citations(answer, sources, question=question)
        assert [(c.number, c.status != "unsupported") for c in report.citations] == [(n, True)], answer
        assert not report.flagged
