"""The transformers generator backend on a tiny Llama-style causal LM this test builds and saves itself
(no hub, no download): it loads from a local folder, applies the folder's chat template, streams the
same text the model generates when run directly, respects max_tokens and stops when cancelled."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from app.core.errors import ModelUnavailable
from app.core.generation import GenerationOptions, Message, create_generator
from app.core.generation.hf import TransformersGenerator
from app.core.settings import Settings

pytestmark = pytest.mark.integration

WORDS = "tokyo tower is red tall osaka castle old the what color of answer source one two three".split()
SPECIAL = ["<pad>", "<unk>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
MESSAGES: list[Message] = [
    {"role": "system", "content": "answer from the source"},
    {"role": "user", "content": "what color is tokyo tower"},
]


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = tmp_path_factory.mktemp("tiny-causal-lm")
    vocab = {w: i for i, w in enumerate([*SPECIAL, *WORDS])}
    core = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    core.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        unk_token="<unk>",
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        additional_special_tokens=SPECIAL[4:],
    )
    tokenizer.chat_template = TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=vocab["<s>"],
        eos_token_id=vocab["</s>"],
        pad_token_id=vocab["<pad>"],
        initializer_range=0.5,  # large random weights: a varied greedy output
    )
    model = LlamaForCausalLM(config).eval()
    # Never emit end-of-sequence or other specials, so every run goes on to max_tokens.
    model.generation_config.suppress_tokens = list(range(len(SPECIAL)))
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def direct_generate(path: Path, max_new_tokens: int, repeat_penalty: float, dtype: Any) -> str:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).eval()
    text = tok.apply_chat_template(MESSAGES, add_generation_prompt=True, tokenize=False)
    ids = tok(text, add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            repetition_penalty=repeat_penalty,
        )
    return str(tok.decode(out[0, ids.shape[-1] :], skip_special_tokens=True))


def test_streams_what_the_model_generates_directly(tiny_lm: Path) -> None:
    gen = TransformersGenerator(tiny_lm)
    assert not gen.loaded
    gen.warm_up()
    assert gen.loaded and gen.model_id == tiny_lm.name
    options = GenerationOptions(max_tokens=12, repeat_penalty=1.1)
    deltas = list(gen.stream(MESSAGES, options))
    assert len(deltas) > 1  # streamed piece by piece, not in one block
    streamed = "".join(deltas).strip()
    # In the dtype the generator chose (bfloat16 where the CPU has it): random weights this large
    # make greedy outputs in bfloat16 and float32 part after a few tokens.
    assert streamed == direct_generate(tiny_lm, 12, 1.1, gen.dtype).strip()
    assert len(streamed.split()) == 12  # exactly max_tokens words (no end-of-sequence possible)


def test_counts_tokens_with_its_own_tokenizer_and_template(tiny_lm: Path) -> None:
    gen = TransformersGenerator(tiny_lm)
    assert gen.count_tokens("tokyo tower is red") == 4
    assert gen.count_tokens("") == 0
    # system tag + 4 words + user tag + 5 words + assistant tag
    assert gen.prompt_tokens(MESSAGES) == 1 + 4 + 1 + 5 + 1


def test_cancel_stops_generation_within_a_token_or_two(tiny_lm: Path) -> None:
    gen = TransformersGenerator(tiny_lm)
    cancel = threading.Event()
    got: list[str] = []
    for delta in gen.stream(MESSAGES, GenerationOptions(max_tokens=400), cancel):
        got.append(delta)
        if len(got) == 3:
            cancel.set()
    assert 3 <= len(got) <= 5
    # The model is free again at once: a second request runs to completion.
    assert len("".join(gen.stream(MESSAGES, GenerationOptions(max_tokens=5))).split()) == 5


def test_factory_picks_the_backend_and_a_missing_folder_is_an_error(tiny_lm: Path, tmp_path: Path) -> None:
    settings = Settings(generator={"backend": "transformers", "model_path": tiny_lm, "isolate": False})
    gen = create_generator(settings)
    assert isinstance(gen, TransformersGenerator)
    assert gen.count_tokens("osaka castle") == 2
    with pytest.raises(ModelUnavailable, match="does not exist"):
        TransformersGenerator(tmp_path / "nope").warm_up()


def test_the_transformers_backend_runs_in_its_own_process_by_default(tiny_lm: Path) -> None:
    from app.core.generation.process import ProcessGenerator

    gen = create_generator(Settings(generator={"backend": "transformers", "model_path": tiny_lm}))
    assert isinstance(gen, ProcessGenerator) and gen.spec["backend"] == "transformers"
    try:
        gen.warm_up()
        assert gen.pid is not None and gen.pid != os.getpid()
        assert gen.count_tokens("osaka castle") == 2
        local = TransformersGenerator(tiny_lm)
        opts = GenerationOptions(max_tokens=6)
        assert "".join(gen.stream(MESSAGES, opts)) == "".join(local.stream(MESSAGES, opts))
    finally:
        gen.close()
