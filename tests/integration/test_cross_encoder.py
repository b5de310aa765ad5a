"""The cross-encoder reranker on a tiny model this test builds and saves itself (no hub, no download)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.core.errors import ModelUnavailable
from app.core.rerank import create_reranker
from app.core.rerank.cross_encoder import CrossEncoderReranker
from app.core.settings import RerankSettings

pytestmark = pytest.mark.integration

WORDS = "tokyo tower is red tall osaka castle old the what color of".split()


@pytest.fixture(scope="module")
def tiny_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    out = tmp_path_factory.mktemp("tiny-cross-encoder")
    # A word-level BERT-style tokenizer built from a list, through the `tokenizers` API that every
    # transformers version reads (the vocab-file constructors changed between versions).
    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS])}
    core = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    core.normalizer = normalizers.BertNormalizer(lowercase=True)
    core.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    assert tokenizer.unk_token_id not in tokenizer("tokyo tower")["input_ids"]
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(WORDS) + 5,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=1,
        initializer_range=0.2,  # large random weights, so different passages score differently
    )
    BertForSequenceClassification(config).eval().save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_scores_match_the_model_run_directly(tiny_cross_encoder: Path) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    query = "what color is tokyo tower"
    passages = ["tokyo tower is red", "osaka castle is old", "the tower is tall"]
    reranker = create_reranker(RerankSettings(backend="cross-encoder", model_path=tiny_cross_encoder))
    assert isinstance(reranker, CrossEncoderReranker)
    scores = reranker.rerank(query, passages)
    assert scores.shape == (3,) and scores.dtype == np.float32

    tok = AutoTokenizer.from_pretrained(tiny_cross_encoder)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_cross_encoder).eval()
    with torch.no_grad():
        logits = model(**tok([query] * 3, passages, return_tensors="pt", padding=True)).logits[:, 0]
    # sentence-transformers applies a sigmoid to single-label cross-encoders.
    np.testing.assert_allclose(scores, torch.sigmoid(logits).numpy(), atol=1e-5)
    assert len(set(np.round(scores, 6))) == 3  # the passages are told apart
    assert reranker.rerank(query, []).shape == (0,)


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    reranker = CrossEncoderReranker(tmp_path / "nope")
    with pytest.raises(ModelUnavailable, match="SHIORI_RERANK__MODEL_PATH"):
        reranker.rerank("q", ["p"])
