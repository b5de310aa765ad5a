"""The BM25 analyzer: Japanese dictionary forms without particles, character bigrams, English, mixed."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.core.keyword import create_analyzer
from app.core.keyword.analyzer import MecabAnalyzer, fold_english
from app.core.keyword.fake import FakeAnalyzer
from app.core.settings import KeywordSettings

pytestmark = pytest.mark.unit


def test_japanese_content_words_in_dictionary_form() -> None:
    words = MecabAnalyzer().analyze("昨日、東京で寿司を食べました。大阪でも食べた。")["word"]
    assert words.count("食べる") == 2  # 食べました / 食べた → 食べる
    assert {"東京", "大阪", "寿司"} <= set(words)
    assert not {"で", "を", "も", "ます", "た", "、", "。"} & set(words)  # particles, auxiliaries, symbols


def test_character_bigrams_catch_compounds_the_dictionary_cuts_differently() -> None:
    a = MecabAnalyzer()
    q, p = a.analyze("スカイツリーの高さ"), a.analyze("東京スカイツリーは高い")
    assert "ツリ" in set(q["char"]) & set(p["char"])
    assert all(len(t) == 2 for t in q["char"])
    assert a.analyze("梅")["char"] == ["梅"]  # a one-character run stays a unigram


def test_english_and_mixed_text() -> None:
    a = MecabAnalyzer()
    english = a.analyze("The Queries of the Cars were running")
    assert english == {"word": ["query", "car", "running"], "char": []}  # no character view for English
    mixed = a.analyze("GPT-4は2023年にOpenAIが公開したModelsです")
    assert {"gpt", "4", "2023", "openai", "model", "公開"} <= set(mixed["word"])
    assert {"gpt", "2023", "openai", "公開"} <= set(mixed["char"])  # Latin words are units in both views
    assert a.analyze("ＡＢＣ") == a.analyze("abc")  # NFKC: full-width letters match
    assert a.analyze("") == {"word": [], "char": []} and a.analyze("。、！")["word"] == []


def test_plural_folding_is_conservative() -> None:
    words = ("cats", "queries", "glass", "status", "is", "bus")
    assert [fold_english(w) for w in words] == ["cat", "query", "glass", "status", "is", "bus"]


def test_threads_get_their_own_tagger() -> None:
    a = MecabAnalyzer()
    text = "東京タワーの高さは333メートルです"
    expected = a.analyze(text)

    def run() -> list[dict[str, list[str]]]:
        return [a.analyze(text) for _ in range(50)]

    # Futures hand each thread's results, or its exception, back to this thread to assert on.
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [r for f in [pool.submit(run) for _ in range(4)] for r in f.result(timeout=60)]
    assert len(results) == 200 and all(r == expected for r in results)


def test_factory_and_fake() -> None:
    assert isinstance(create_analyzer(KeywordSettings(analyzer="fake")), FakeAnalyzer)
    mecab = create_analyzer(KeywordSettings())
    assert isinstance(mecab, MecabAnalyzer) and mecab.fields == ("word", "char")
    assert FakeAnalyzer().analyze("Red 東京") == {"word": ["red", "東", "京"]}


def test_taggers_are_reused_across_short_lived_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server makes a thread per streamed answer; a tagger per thread was never given back (the
    process grew by ~10 MB per answer). An analyzer has one tagger (app.core.text.SharedTagger),
    made on first use and shared by every thread, whatever comes and goes."""
    import fugashi

    made: list[object] = []
    real = fugashi.Tagger

    def counting_tagger(*args: object) -> object:
        made.append(object())
        return real(*args)

    monkeypatch.setattr(fugashi, "Tagger", counting_tagger)
    analyzer = MecabAnalyzer()
    results: list[list[str]] = []
    for _ in range(20):
        with ThreadPoolExecutor(max_workers=1) as one_thread:  # a new thread each time
            results.append(one_thread.submit(analyzer.analyze, "東京タワーの高さ").result(timeout=60)["word"])
    assert len(made) == 1
    assert results == [["東京", "タワー", "高い", "さ"]] * 20

    barrier = threading.Barrier(4, timeout=60)

    def together() -> list[list[str]]:
        barrier.wait()
        return [analyzer.analyze("大規模言語モデルの学習")["word"] for _ in range(50)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = [f.result(timeout=60) for f in [pool.submit(together) for _ in range(4)]]
    words = {tuple(w) for out in outcomes for w in out}
    assert len(words) == 1 and next(iter(words)), words  # the same words from every call in every thread
    assert 1 <= len(made) <= 4  # concurrent calls never share a tagger, and no more are made than needed
