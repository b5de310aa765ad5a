"""Chat-template control strings in untrusted text (documents, questions, history).

A prompt is a template's control tokens (`<|im_start|>`, `<|im_end|>`, ...) around message contents.
If the contents are tokenised with special tokens on, a document that contains
`<|im_end|>\n<|im_start|>system\n...` becomes a real turn boundary and a new system message.

Two defences, by what a backend controls:

- **Structural** (llama_cpp): `split_rendered` finds each message's content in the rendered prompt, so
  the template is tokenised with special tokens and the contents as plain text. Nothing in a content
  can become a control token, whatever the model's vocabulary.
- **Textual** (backends whose server or tokenizer parses the whole text: openai, transformers):
  `neutralize` breaks up every string shaped like a control token of the common template families
  with a word joiner (U+2060), which no tokenizer merges into a special token. The model still reads
  the characters; they just can't act.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence

from app.core.generation import Message

WORD_JOINER = "\u2060"

# ChatML / Qwen / Llama 3 / Phi (`<|...|>`), Llama 2 / Mistral (`[INST]`, `<s>`), Gemma (`<start_of_turn>`),
# and the generic BOS/EOS spellings.
_CONTROL = re.compile(
    r"<\|[^|<>\s]{1,64}\|>|<｜[^｜<>\s]{1,64}｜>|\[/?(?:INST|SYS)\]|<</?SYS>>|</?s>"
    r"|<(?:start_of_turn|end_of_turn|bos|eos|pad|unk)>",
    re.IGNORECASE,
)


def neutralize(text: str) -> str:
    """`text` with each control-token-shaped string broken after its first character."""
    return _CONTROL.sub(lambda m: m.group(0)[0] + WORD_JOINER + m.group(0)[1:], text)


def neutralize_messages(messages: Sequence[Message]) -> list[Message]:
    return [Message(role=m["role"], content=neutralize(m["content"])) for m in messages]


def split_rendered(
    render: Callable[[Sequence[Message]], str], messages: Sequence[Message]
) -> list[tuple[str, bool]] | None:
    """The prompt as pieces ``(text, is_template)``: template text (tokenise with special tokens) and
    message contents (tokenise as plain text), in order. ``render(messages) -> str`` is the chat
    template. Each content is replaced by a random marker before rendering, so nothing a content says
    can be mistaken for the template. None if the template did not keep every content exactly once
    (a template that edits contents): the caller then falls back to `neutralize`."""
    nonce = secrets.token_hex(8)
    marked = [Message(role=m["role"], content=f"\ue000{nonce}:{i}\ue001") for i, m in enumerate(messages)]
    rendered = render(marked)
    marker = re.compile(rf"\ue000{nonce}:(\d+)\ue001")
    pieces: list[tuple[str, bool]] = []
    seen: list[int] = []
    pos = 0
    for match in marker.finditer(rendered):
        pieces.append((rendered[pos : match.start()], True))
        index = int(match.group(1))
        seen.append(index)
        pieces.append((messages[index]["content"], False))
        pos = match.end()
    pieces.append((rendered[pos:], True))
    if sorted(seen) != list(range(len(messages))):
        return None
    return [(text, is_template) for text, is_template in pieces if text]
