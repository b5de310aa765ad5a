from __future__ import annotations

from typing import Any

import pytest

from app.core.citations import (
    INFER_THRESHOLD,
    SUPPORT_THRESHOLD,
    CitationReport,
    SourceRef,
    check_citations,
    find_markers,
    is_refusal,
    support_score,
)
from tests.support.ci import require_module

pytestmark = pytest.mark.unit

# Excerpts from ../shared/corpus/seeds/llm-encyclopedia-ja.txt and XQuAD (en) contexts.
JA_ARCH = (
    "LLM は、2017 年に発明されたトランスフォーマー アーキテクチャを使用する"
    "人工ニューラル ネットワークです。"
    "2024 年 6 月の時点で、最大かつ最も機能的な LLM は、"
    "デコーダーのみのトランスフォーマー ベースのアーキテクチャで構築されており、"
    "大規模なテキスト データの効率的な処理と生成を可能にします。"
)
JA_NMT = (
    "2012 年頃にニューラル ネットワークが画像処理で主流になった後、"
    "言語モデリングにもニューラル ネットワークが適用されました。"
    " Google は 2016 年に翻訳サービスをニューラル機械翻訳に転換しました。"
)
JA_TOKENS = (
    "機械学習アルゴリズムはテキストではなく数値を処理するため、"
    "テキストを数値に変換する必要があります。"
    "最初のステップでは、語彙が決定され、"
    "次に整数インデックスが各語彙エントリに任意かつ一意に割り当てられ、"
    "最後に埋め込みが整数インデックスに関連付けられます。"
    "アルゴリズムには、バイト ペア エンコーディング (BPE) と WordPiece が含まれます。"
)
EN_PANTHERS = (
    "The Panthers defense gave up just 308 points, ranking sixth in the league, while also leading "
    "the NFL in interceptions with 24 and boasting four Pro Bowl selections. Pro Bowl defensive "
    "tackle Kawann Short led the team in sacks with 11, while also forcing three fumbles and "
    "recovering two. Fellow lineman Mario Addison added 6½ sacks."
)
EN_OXYGEN = (
    "In 1891 Scottish chemist James Dewar was able to produce enough liquid oxygen to study. The first "
    "commercially viable process for producing liquid oxygen was independently developed in 1895 by German "
    "engineer Carl von Linde and British engineer William Hampson."
)
SOURCES = [SourceRef(1, JA_ARCH), SourceRef(2, JA_NMT), SourceRef(3, EN_PANTHERS)]


def score(claim: str, passage: str) -> float:
    return support_score(claim, passage)[0]


# -- markers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("です[1]。", [(1,)]),
        ("です[1][2]。", [(1,), (2,)]),
        ("is [1, 2].", [(1, 2)]),
        ("is [1,2].", [(1, 2)]),
        ("です［1］。", [(1,)]),
        ("です［１］。", [(1,)]),
        ("です【3】。", [(3,)]),
        ("です[1、2]。", [(1, 2)]),
        ("is [1-3].", [(1, 2, 3)]),
        ("is [Source 2].", [(2,)]),
        ("です(1)。", []),
        ("see [a] and [2024] and [text](http://x)", []),
    ],
)
def test_marker_variants(text: str, numbers: list[tuple[int, ...]]) -> None:
    found = find_markers(text)
    assert [n for _, _, n in found] == numbers
    for start, end, _ in found:
        assert text[start] in "[［【" and text[end - 1] in "]］】"


def test_invalid_numbers_are_dropped_and_spacing_tidied() -> None:
    answer = (
        "Short led the team in sacks with 11 [3] [7]. LLMはトランスフォーマーを使う[1, 7]。[9]\n[0] 以上。"
    )
    report = check_citations(answer, SOURCES)
    assert report.invalid_numbers == [0, 7, 9]
    assert (
        report.answer == "Short led the team in sacks with 11 [3]. LLMはトランスフォーマーを使う[1]。\n以上。"
    )
    assert [s.numbers for s in report.sentences] == [(3,), (1,), ()]
    assert {(c.number, c.sentence_index) for c in report.citations} == {(3, 0), (1, 1)}


def test_invalid_marker_removal_keeps_words_apart() -> None:
    report = check_citations("The Panthers [5] defense gave up 308 points [3].", SOURCES)
    assert report.answer == "The Panthers defense gave up 308 points [3]."
    assert report.invalid_numbers == [5]


def test_duplicate_source_numbers_are_rejected() -> None:
    with pytest.raises(ValueError):
        check_citations("x", [SourceRef(1, "a"), SourceRef(1, "b")])


# -- sentences ------------------------------------------------------------------------------------


def test_marker_after_the_full_stop_belongs_to_its_sentence() -> None:
    answer = (
        "Google は 2016 年にニューラル機械翻訳に転換しました。[2]LLM はトランスフォーマーを使用します。[1]"
    )
    report = check_citations(answer, SOURCES)
    assert [s.text for s in report.sentences] == [
        "Google は 2016 年にニューラル機械翻訳に転換しました。[2]",
        "LLM はトランスフォーマーを使用します。[1]",
    ]
    assert [s.numbers for s in report.sentences] == [(2,), (1,)]


def test_marker_after_an_english_period_and_marker_only_lines() -> None:
    answer = "Short led the team in sacks with 11.[3] The defense gave up 308 points.\n[3][1]\nDone [2]."
    report = check_citations(answer, SOURCES)
    assert [s.text for s in report.sentences] == [
        "Short led the team in sacks with 11.[3]",
        "The defense gave up 308 points.\n[3][1]",
        "Done [2].",
    ]
    assert [s.numbers for s in report.sentences] == [(3,), (3, 1), (2,)]


def test_leading_marker_joins_the_first_sentence() -> None:
    report = check_citations("[2] Google は 2016 年に翻訳サービスを転換しました。", SOURCES)
    assert len(report.sentences) == 1 and report.sentences[0].numbers == (2,)
    assert report.sentences[0].start == 0


# -- support --------------------------------------------------------------------------------------

SUPPORTED = [  # (claim, passage): verbatim, reworded and paraphrased
    (
        "LLMは、2017年に発明されたトランスフォーマーアーキテクチャを使用する人工ニューラルネットワークです。",
        JA_ARCH,
    ),
    ("Googleは2016年に翻訳サービスをニューラル機械翻訳に切り替えました。", JA_NMT),
    ("機械学習のアルゴリズムは数値しか扱えないので、テキストを数値に変換しなければなりません。", JA_TOKENS),
    ("トークン化ではBPEやWordPieceといったアルゴリズムが使われます。", JA_TOKENS),
    ("Carolina's defense allowed only 308 points, the sixth best in the league.", EN_PANTHERS),
    ("Short had eleven sacks, more than anyone else on the team.", EN_PANTHERS),
    ("James Dewar produced enough liquid oxygen to study in 1891.", EN_OXYGEN),
]
UNSUPPORTED = [  # same topic with a wrong number or an invented fact, or another topic
    ("LLMは、2015年に発明されたトランスフォーマーアーキテクチャを使用しています。", JA_ARCH),
    ("LLMは主に画像認識のために設計された畳み込みネットワークです。", JA_ARCH),
    ("Googleは2016年に翻訳サービスを刷新し、同時に検索エンジンにも大規模言語モデルを導入しました。", JA_NMT),
    ("トークナイザーは文法規則に従って文を品詞に分解する辞書ベースの仕組みです。", JA_TOKENS),
    ("富士山は日本で最も高い山で、標高は3776メートルです。", JA_ARCH),
    ("The Panthers defense gave up 380 points, ranking sixth in the league.", EN_PANTHERS),
    ("Kawann Short was later traded to the Green Bay Packers for a draft pick.", EN_PANTHERS),
    ("Oxyacetylene welding was banned in Europe because the mixture was too dangerous.", EN_OXYGEN),
]


@pytest.mark.parametrize(("claim", "passage"), SUPPORTED)
def test_supported_claims_clear_the_threshold(claim: str, passage: str) -> None:
    assert score(claim, passage) >= SUPPORT_THRESHOLD


@pytest.mark.parametrize(("claim", "passage"), UNSUPPORTED)
def test_unsupported_claims_fall_below_the_threshold(claim: str, passage: str) -> None:
    assert score(claim, passage) < SUPPORT_THRESHOLD


def test_short_claim_inside_long_passage_is_fully_supported() -> None:
    assert score("Google は 2016 年に翻訳サービスを転換しました。[2]", JA_NMT) == pytest.approx(1.0)
    assert score("Dewar studied liquid oxygen.", EN_OXYGEN) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("right", "wrong", "passage"),
    [
        (
            "Google は 2016 年に翻訳サービスを転換しました。",
            "Google は 2018 年に翻訳サービスを転換しました。",
            JA_NMT,
        ),
        (
            "James Dewar produced liquid oxygen in 1891.",
            "James Dewar produced liquid oxygen in 1881.",
            EN_OXYGEN,
        ),
        ("The defense gave up 308 points.", "The defense gave up 380 points.", EN_PANTHERS),
    ],
)
def test_number_mismatch_lowers_support(right: str, wrong: str, passage: str) -> None:
    assert score(right, passage) == pytest.approx(1.0)
    assert score(wrong, passage) < SUPPORT_THRESHOLD


@pytest.mark.parametrize(
    ("claim", "passage", "words"),
    [
        ("Kawann Short led the team with 11 sacks.", EN_PANTHERS, ["Kawann Short", "sacks with 11"]),
        ("Googleは2016年にニューラル機械翻訳へ移行した。", JA_NMT, ["2016", "ニューラル機械翻訳"]),
        (
            "語彙エントリには整数インデックスが割り当てられます。",
            JA_TOKENS,
            ["語彙エントリ", "整数インデックス"],
        ),
    ],
)
def test_evidence_span_is_inside_the_source_and_holds_the_match(
    claim: str, passage: str, words: list[str]
) -> None:
    _, (start, end) = support_score(claim, passage)
    assert 0 <= start < end <= len(passage)
    evidence = passage[start:end]
    assert all(w in evidence for w in words)
    assert len(evidence) < len(passage)  # a sentence or two, not the whole passage


def test_evidence_of_a_selected_passage_stays_within_one_piece() -> None:
    passage = "Dewar produced liquid oxygen in 1891 … Linde developed a process in 1895"
    _, (start, end) = support_score("Linde developed a process in 1895.", passage)
    assert passage[start:end] == "Linde developed a process in 1895"


# -- check_citations ------------------------------------------------------------------------------


def statuses(report: CitationReport) -> list[tuple[int, int, str]]:
    return [(c.sentence_index, c.number, c.status) for c in report.citations]


def test_verified_unsupported_and_inferred_in_japanese() -> None:
    answer = (
        "LLMはトランスフォーマーアーキテクチャを使用する人工ニューラルネットワークです[1]。"
        "LLMは主に画像認識のために設計された畳み込みネットワークです[1]。"
        "Google は 2016 年に翻訳サービスをニューラル機械翻訳に転換しました。"
        "富士山は日本で最も高い山です。"
        "はい。"
    )
    report = check_citations(answer, SOURCES)
    assert statuses(report) == [(0, 1, "verified"), (1, 1, "unsupported"), (2, 2, "inferred")]
    assert [s.supported for s in report.sentences] == [True, False, True, False, True]
    assert report.unsupported_sentences == [1, 3]
    inferred = report.citations[2]
    assert inferred.support >= INFER_THRESHOLD
    assert "ニューラル機械翻訳" in JA_NMT[inferred.evidence_start : inferred.evidence_end]


def test_verified_unsupported_and_inferred_in_english() -> None:
    sources = [SourceRef(1, EN_OXYGEN), SourceRef(2, EN_PANTHERS)]
    answer = (
        "In short: James Dewar produced enough liquid oxygen to study in 1891 [1]. "
        "The Panthers defense gave up just 308 points [1][2]. "
        "Kawann Short led the team in sacks with 11. "
        "Liquid oxygen was first sold commercially in Japan in 1950."
    )
    report = check_citations(answer, sources)
    assert statuses(report) == [
        (0, 1, "verified"),
        (1, 1, "unsupported"),
        (1, 2, "verified"),
        (2, 2, "inferred"),
    ]
    assert [s.supported for s in report.sentences] == [True, True, True, False]
    assert report.unsupported_sentences == [3]
    for c in report.citations:
        assert 0.0 <= c.support <= 1.0


def test_a_wrong_number_stays_flagged_and_the_source_that_holds_it_is_named() -> None:
    # What the bundled model wrote over a spreadsheet: the fact is in source 1, the marker says [2].
    sheet = "品名: カワウソ人形 | 数量: 42 | 倉庫: 大阪\n品名: クジラ模型 | 数量: 37 | 倉庫: 札幌"
    sources = [
        SourceRef(1, sheet),
        SourceRef(2, "展示室の入場料は大人五百円です。子どもは無料で入場できます。"),
    ]
    report = check_citations("クジラ模型は札幌の倉庫にあります。[2]", sources)
    assert statuses(report) == [(0, 2, "unsupported"), (0, 1, "inferred")]
    assert report.sentences[0].supported and report.unsupported_sentences == []
    inferred = report.citations[1]
    assert "札幌" in sheet[inferred.evidence_start : inferred.evidence_end]
    # Nothing holds it: the wrong citation is all there is, and the sentence is flagged.
    report = check_citations("アザラシには毎朝サバを与えます。[2]", sources)
    assert statuses(report) == [(0, 2, "unsupported")] and report.unsupported_sentences == [0]


def test_contentless_sentences_are_neither_flagged_nor_inferred() -> None:
    report = check_citations("はい。In short: Yes. 以上です。", SOURCES)
    assert report.citations == [] and report.unsupported_sentences == []
    assert all(s.supported for s in report.sentences)


def test_no_sources_flags_content_without_crashing() -> None:
    report = check_citations("LLMはトランスフォーマーを使用します[1]。", [])
    assert report.invalid_numbers == [1] and report.citations == []
    assert report.unsupported_sentences == [0]


# -- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "資料には記載がありません。",
        "申し訳ありませんが、提供された資料にはその情報は記載されていません。",
        "分かりません。",
        "The documents do not contain this.",
        "I'm sorry, but the sources don’t mention when it was founded.",
        "I don't know.",
        "This is not mentioned in the sources.",
        "資料には記載がありません。別の質問をしてください。",
    ],
)
def test_refusal_detected(answer: str) -> None:
    assert is_refusal(answer)


@pytest.mark.parametrize(
    "answer",
    [
        "LLMはトランスフォーマーを使用します[1]。2017年に発明されました[1]。"
        "なお、学習データの詳細は資料に記載されていません。",
        "The documents do not contain the exact date. However, GPT-3 was released in 2020 [1].",
        "GPT-3 was released in 2020 [1]. It was available via an API [1]. "
        "Its weights are not provided in the sources.",
        "LLMは大規模言語モデルの略です。[1]",
        "",
    ],
)
def test_answers_that_mention_a_gap_are_not_refusals(answer: str) -> None:
    assert not is_refusal(answer)


# -- property -------------------------------------------------------------------------------------

POOL = [
    "LLM は、2017 年に発明されたトランスフォーマー アーキテクチャを使用する人工ニューラル ネットワークです。",
    "Google は 2016 年に翻訳サービスをニューラル機械翻訳に転換しました。",
    "機械学習アルゴリズムはテキストではなく数値を処理します。",
    "はい。",
    "The Panthers defense gave up just 308 points.",
    "Kawann Short led the team in sacks with 11.",
    "In 1891 James Dewar was able to produce enough liquid oxygen to study.",
]
MARKERS = ["[{}]", "［{}］", "【{}】", "[{}, 1]", "[{}][2]"]


def answers(st: Any) -> Any:
    """Answers of POOL sentences with markers before, after or apart from the full stop; three sources."""

    @st.composite
    def answer(draw: Any) -> tuple[str, list[SourceRef]]:
        sources = [
            SourceRef(i + 1, " ".join(draw(st.lists(st.sampled_from(POOL), min_size=1)))) for i in range(3)
        ]
        parts = []
        for _ in range(draw(st.integers(0, 6))):
            sentence = draw(st.sampled_from(POOL))
            marker = draw(st.sampled_from(MARKERS)).format(draw(st.integers(0, 5)))
            where = draw(st.sampled_from(["before", "after", "none", "spaced"]))
            body, stop = sentence[:-1], sentence[-1]
            parts.append(
                {
                    "before": f"{body}{marker}{stop}",
                    "after": f"{body}{stop}{marker}",
                    "spaced": f"{body}{stop} {marker}",
                    "none": sentence,
                }[where]
            )
        sep = draw(st.sampled_from([" ", "\n", "  "]))
        return sep.join(parts), sources

    return answer()


def test_every_valid_marker_maps_to_a_citation() -> None:
    hypothesis = require_module("hypothesis")

    @hypothesis.settings(max_examples=200, deadline=None)
    @hypothesis.given(answers(require_module("hypothesis.strategies")))
    def check(case: tuple[str, list[SourceRef]]) -> None:
        answer, sources = case
        report = check_citations(answer, sources)
        found = {(c.sentence_index, c.number) for c in report.citations}
        assert report.invalid_numbers == sorted(
            {n for _, _, ns in find_markers(answer) for n in ns} - {1, 2, 3}
        )
        prev_end = 0
        for index, s in enumerate(report.sentences):
            assert prev_end <= s.start < s.end <= len(report.answer)
            assert report.answer[s.start : s.end] == s.text
            assert all((index, n) in found for n in s.numbers)
            prev_end = s.end
        for start, end, numbers in find_markers(report.answer):
            owner = [i for i, s in enumerate(report.sentences) if s.start <= start and end <= s.end]
            assert len(owner) == 1
            assert all(1 <= n <= 3 and (owner[0], n) in found for n in numbers)
        for c in report.citations:
            text = sources[c.number - 1].text
            assert 0 <= c.evidence_start <= c.evidence_end <= len(text)
            assert 0.0 <= c.support <= 1.0

    check()


def test_a_documents_own_reference_markers_copied_into_the_answer_are_not_part_of_the_claim() -> None:
    # Slides cite their literature as [Zhao2023]; the model copies that instead of writing [1].
    slide = (
        "• Transformerというアーキテクチャが2017年に自動翻訳の文脈で提案される\n"
        "• 言語モデルは1990年代からある[Zhao2023]"
    )
    report = check_citations(
        "Transformerは2017年に自動翻訳の文脈で提案されました[Zhao2023]。",
        [SourceRef(1, slide)],
        question="Transformerは何年に提案されましたか？",
    )
    assert [(c.number, c.status, c.missing) for c in report.citations] == [(1, "inferred", ())]
    assert report.answer.endswith("[Zhao2023]。") and report.invalid_numbers == []


def test_a_number_on_a_wrapped_line_is_read_with_the_words_before_the_wrap() -> None:
    # A PDF's text layer keeps its line breaks inside a sentence: the article number and the law it
    # belongs to sit on two lines. Found by the phone e2e, whose right answer came back unsupported.
    page = (
        "常勤配置とは、従事者が労働基準法(昭和 22 年法律第 49\n"
        "号)第 65 条に規定する休業(以下「産前産後休業」という。)を取得中の期間をいう。\n"
        "第2 届出に関する手続き\n"
        "1 届出に際しては、第 76 号様式を用いる。"
    )
    question = "産前産後休業は労働基準法の第何条に規定されていますか"
    right = check_citations("労働基準法第65条[1]", [SourceRef(1, page)], question=question)
    assert [c.status for c in right.citations] == ["verified"] and not right.unsupported_sentences
    # A sentence that did end on its line is not joined to the next: 76 stands in another sentence.
    wrong = check_citations("労働基準法第76条[1]", [SourceRef(1, page)], question=question)
    assert [(c.status, c.missing) for c in wrong.citations] == [("unsupported", ("76",))]
