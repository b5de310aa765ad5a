"""Claims in another language than their source (an English answer over a Japanese page): checked by
meaning through the embedder's similarity, numbers by value; here with a scripted similarity."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from app.core import crosslingual
from app.core.citations import SUPPORT_THRESHOLD, SourceRef, check_citations
from app.core.crosslingual import across, numbers, to_support, unbacked, writing

pytestmark = pytest.mark.unit

JA = "貸出期間は3週間です。会員は一度に8冊まで借りられます。図書館は1923年に設立されました。"


class Scripted:
    """Similarity of a claim to every window: ``by_claim[claim]`` where given, else ``low``."""

    def __init__(self, by_claim: dict[str, float], low: float = 0.5) -> None:
        self.by_claim, self.low, self.calls = by_claim, low, list[tuple[str, int]]()

    def __call__(self, claim: str, windows: Sequence[str]) -> list[float]:
        self.calls.append((claim, len(windows)))
        high = next((v for k, v in self.by_claim.items() if k in claim), self.low)
        # the best window is the one holding the loan period: the evidence span must point there
        return [high if "貸出" in w and "会員" not in w else self.low for w in windows]


def test_the_language_a_text_is_written_in() -> None:
    assert writing("The loan period is three weeks.") == "en"
    assert writing("The 東京タワー is 333 metres tall.") == "en"  # a Japanese name in English
    assert writing("GPT-4 は2023年に公開された。") == "ja"  # a Latin name in Japanese
    assert across("The loan period is three weeks.", JA) and not across("貸出期間は3週間。", JA)


def test_numbers_compare_by_value_across_languages() -> None:
    assert set(numbers("300 million words, two teams, a ten-minute walk")) == {3e8, 2.0, 10.0}
    assert set(numbers("3 億語、２チーム、徒歩10分")) == {3e8, 2.0, 10.0}
    assert unbacked("trained on 300 million words in 2001", "2001 年に 3 億語で") == ()
    assert unbacked("trained on 30 billion words in 2001", "2001 年に 3 億語で") == ("30 billion",)


def test_the_similarity_scale_meets_the_lexical_one_at_the_threshold() -> None:
    assert to_support(crosslingual.THRESHOLD) == pytest.approx(SUPPORT_THRESHOLD)
    assert to_support(1.0) == 1.0 and to_support(0.5) == 0.0


def test_an_english_sentence_citing_a_japanese_source_is_checked_by_meaning() -> None:
    similar = Scripted({"three weeks": 0.93, "eight books": 0.80})
    answer = "The loan period is three weeks [1]. Members may borrow eight books [1]."
    report = check_citations(answer, [SourceRef(1, JA)], similar=similar)
    held, low = report.citations
    assert held.status == "verified" and held.support > SUPPORT_THRESHOLD
    assert JA[held.evidence_start : held.evidence_end] == "貸出期間は3週間です。"
    assert low.status == "unsupported" and report.unsupported_sentences == [1]
    # Without the similarity, the words alone back neither sentence.
    plain = check_citations(answer, [SourceRef(1, JA)])
    assert [c.status for c in plain.citations] == ["unsupported", "unsupported"]


def test_a_number_the_source_lacks_fails_however_similar_the_meaning() -> None:
    similar = Scripted({"weeks": 0.95})
    report = check_citations("The loan period is four weeks [1].", [SourceRef(1, JA)], similar=similar)
    (c,) = report.citations
    assert c.status == "unsupported" and c.missing == ("four",)


def test_a_sentence_in_its_sources_language_never_asks_for_the_similarity() -> None:
    similar = Scripted({})
    report = check_citations("貸出期間は3週間です[1]。", [SourceRef(1, JA)], similar=similar)
    assert report.citations[0].status == "verified" and similar.calls == []


def test_an_uncited_english_sentence_gets_its_japanese_source_inferred() -> None:
    similar = Scripted({"three weeks": 0.99})
    other = SourceRef(2, "Opening hours are 9 to 5.")
    report = check_citations(
        "The loan period is three weeks [2].", [SourceRef(1, JA), other], similar=similar
    )
    statuses = {c.number: c.status for c in report.citations}
    assert statuses == {2: "unsupported", 1: "inferred"}


def test_a_sentence_of_numbers_alone_is_checked_by_its_words() -> None:
    similar = Scripted({})
    report = check_citations("1923 [1].", [SourceRef(1, JA)], similar=similar)
    assert writing("1923 [1].") is None and similar.calls == []
    assert report.citations[0].status == "verified"
