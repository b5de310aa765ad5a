from __future__ import annotations

import random
from dataclasses import dataclass

import pytest

from app.core.chunking import ChunkDraft, chunk_pages, sentence_spans
from tests.support.ci import require_module

pytestmark = pytest.mark.unit


@dataclass(frozen=True)
class FakePage:
    number: int
    text: str


def half_chars(text: str) -> int:
    """Fake tokenizer: one token per two characters (rounded up)."""
    return (len(text) + 1) // 2


def words(text: str) -> int:
    return len(text.split())


def with_bos_eos(text: str) -> int:
    """Like a real HF tokenizer: two special tokens on every call."""
    return half_chars(text) + 2


def assert_offsets(pages: list[FakePage], chunks: list[ChunkDraft]) -> None:
    by_number = {p.number: p for p in pages}
    for c in chunks:
        assert c.page_start == c.page_end
        page = by_number[c.page_start]
        assert c.text == page.text[c.char_start : c.char_end]
        assert c.text == c.text.strip() and c.text
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


JA = (
    "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。"
    "何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。"
    "「吾輩はここで始めて人間というものを見た。」しかもあとで聞くとそれは書生という人間中で一番獰悪な種族であったそうだ。"
)
EN = (
    "The quick brown fox jumps over the lazy dog. It was 3.14 metres away, e.g. quite far. "
    "See Fig. 2 for details. Dr. Watson disagreed! Was it true? Nobody knew.\n\n"
    "A new paragraph starts here and goes on for a while with ordinary words."
)


def test_offsets_match_text_on_varied_inputs() -> None:
    pages = [
        FakePage(1, JA),
        FakePage(2, EN),
        FakePage(3, "見出し\n\n・項目一\n・項目二\n本文です。"),
        FakePage(5, ""),
    ]
    for max_tokens in (8, 20, 64, 256):
        for overlap in (0, 1, 2):
            chunks = chunk_pages(pages, half_chars, max_tokens=max_tokens, overlap_sentences=overlap)
            assert_offsets(pages, chunks)
            assert {c.page_start for c in chunks} == {1, 2, 3}


def test_no_chunk_over_max_tokens() -> None:
    pages = [FakePage(1, JA * 3), FakePage(2, EN * 3)]
    for counter in (half_chars, words, with_bos_eos):
        for max_tokens in (12, 30, 100):
            for c in chunk_pages(pages, counter, max_tokens=max_tokens):
                assert c.token_count == counter(c.text)
                assert c.token_count <= max_tokens, (counter.__name__, max_tokens, c.text)


def test_single_word_longer_than_max_is_kept_whole() -> None:
    url = "https://example.com/" + "a" * 200
    page = FakePage(1, f"See {url} now.")
    chunks = chunk_pages([page], half_chars, max_tokens=20)
    assert_offsets([page], chunks)
    assert any(url in c.text for c in chunks)
    over = [c for c in chunks if c.token_count > 20]
    assert len(over) == 1 and url in over[0].text and len(over[0].text.split()) == 1


def test_japanese_sentence_ends_are_chunk_ends() -> None:
    page = FakePage(1, JA)
    for c in chunk_pages([page], half_chars, max_tokens=40, overlap_sentences=0):
        assert c.text[-1] in "。」", c.text


def test_closing_bracket_stays_with_its_sentence() -> None:
    text = "「吾輩はここで始めて人間というものを見た。」しかも書生であった。"
    spans = [text[s:e] for s, e in sentence_spans(text)]
    assert spans == ["「吾輩はここで始めて人間というものを見た。」", "しかも書生であった。"]


def test_long_japanese_sentence_not_split_inside_a_word() -> None:
    # One 300-character sentence, no punctuation: it must be cut, but only between phrases.
    sentence = "東京特許許可局の職員が申請書類を確認して" * 15 + "東京特許許可局に提出した。"
    page = FakePage(1, sentence)
    chunks = chunk_pages([page], half_chars, max_tokens=24, overlap_sentences=0)
    assert len(chunks) > 3
    assert_offsets([page], chunks)
    starts = {c.char_start for c in chunks} | {c.char_end for c in chunks}
    for i in range(len(sentence)):
        if sentence.startswith("東京特許許可局", i):
            assert not any(i < cut < i + 7 for cut in starts), "cut inside 東京特許許可局"
    assert "".join(c.text for c in chunks) == sentence  # no overlap: pieces tile the sentence


def test_long_english_sentence_cut_at_spaces() -> None:
    sentence = " ".join(f"word{i}" for i in range(200)) + "."
    page = FakePage(1, sentence)
    chunks = chunk_pages([page], half_chars, max_tokens=30, overlap_sentences=0)
    assert len(chunks) > 5
    for c in chunks:
        assert c.token_count <= 30
        assert c.char_start == 0 or sentence[c.char_start - 1] == " "
        assert c.char_end == len(sentence) or sentence[c.char_end] == " "


def test_overlap_repeats_previous_sentence() -> None:
    sents = [f"Sentence number {i} is here." for i in range(12)]
    page = FakePage(1, " ".join(sents))
    chunks = chunk_pages([page], words, max_tokens=15, overlap_sentences=1)
    assert len(chunks) >= 4
    for a, b in zip(chunks, chunks[1:], strict=False):
        last_of_a = a.text.split(". ")[-1]
        assert b.text.startswith(last_of_a.rstrip(".")), (a.text, b.text)
        assert b.char_start < a.char_end  # overlapping spans
    no_overlap = chunk_pages([page], words, max_tokens=15, overlap_sentences=0)
    for a, b in zip(no_overlap, no_overlap[1:], strict=False):
        assert b.char_start > a.char_end - 1


def test_overlap_skipped_when_it_does_not_fit() -> None:
    page = FakePage(1, "aaaa bbbb cccc dddd. eeee ffff gggg hhhh.")
    chunks = chunk_pages([page], words, max_tokens=4, overlap_sentences=1)
    assert [c.text for c in chunks] == ["aaaa bbbb cccc dddd.", "eeee ffff gggg hhhh."]


def test_english_abbreviations_and_decimals_do_not_end_sentences() -> None:
    text = "Pi is 3.14 exactly. See Fig. 3, e.g. the left plot. Mr. Smith met J. Doe. Then they left."
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got[0] == "Pi is 3.14 exactly."
    assert got[1] == "See Fig. 3, e.g. the left plot."
    assert "Mr. Smith met J. Doe" in got[2]


def test_lines_and_list_items_are_sentence_boundaries() -> None:
    text = "1. Introduction\n2. Method\n\n・ 項目\n本文。続き。"
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == ["1. Introduction", "2. Method", "・ 項目", "本文。", "続き。"]


def test_full_width_period_style_japanese() -> None:
    text = "可能.非完備の場合, リスク中立確率は一意ではない. 次の文."
    got = [text[s:e] for s, e in sentence_spans(text)]
    assert got == ["可能.", "非完備の場合, リスク中立確率は一意ではない.", "次の文."]


def test_tokens_counted_once_per_sentence() -> None:
    calls: list[str] = []

    def counting(text: str) -> int:
        calls.append(text)
        return half_chars(text)

    page = FakePage(1, (JA + "\n") * 50)
    chunk_pages([page], counting, max_tokens=64)
    assert len(calls) == len(set(calls))  # never the same string twice
    assert len(calls) < 200


def test_empty_pages_give_no_chunks() -> None:
    assert chunk_pages([FakePage(1, ""), FakePage(2, "  \n ")], half_chars) == []


def test_invalid_max_tokens() -> None:
    with pytest.raises(ValueError):
        chunk_pages([FakePage(1, "x")], half_chars, max_tokens=0)


def test_random_texts_keep_offsets() -> None:
    rng = random.Random(7)
    alphabet = list("あいうえお漢字東京。、「」 .!?\n") + ["word", "3.14", "e.g.", "Fig.", "\n\n"]
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        page = FakePage(1, text)
        chunks = chunk_pages(
            [page], half_chars, max_tokens=rng.randint(1, 30), overlap_sentences=rng.randint(0, 2)
        )
        assert_offsets([page], chunks)


def test_property_offsets_and_limits() -> None:
    hypothesis = require_module("hypothesis")
    st = require_module("hypothesis.strategies")

    @hypothesis.settings(max_examples=150, deadline=None)
    @hypothesis.given(
        text=st.text(
            alphabet=st.sampled_from(list("あいう東京特許許可局漢字。、」「 abc.?!\n\t3")), max_size=300
        ),
        max_tokens=st.integers(min_value=1, max_value=64),
        overlap=st.integers(min_value=0, max_value=3),
    )
    def check(text: str, max_tokens: int, overlap: int) -> None:
        page = FakePage(1, text)
        chunks = chunk_pages([page], half_chars, max_tokens=max_tokens, overlap_sentences=overlap)
        assert_offsets([page], chunks)
        for c in chunks:
            # Over the limit only when the chunk is a single unsplittable word.
            assert c.token_count <= max_tokens or len(c.text.split()) == 1
        # Every non-space character of the page lands in some chunk.
        covered: set[int] = set()
        for c in chunks:
            covered.update(range(c.char_start, c.char_end))
        assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())

    check()
