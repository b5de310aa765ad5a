"""What kind of answer a question asks for, where that is plain from its words: a number.

"GPT-3の学習データに含まれる総トークン数はどれくらいですか？" asks for a quantity; an answer that
copies the right slide's words but gives no number ("データとなる大量のテキスト(固定)…") answers
something else, however well its words match the source. Only questions whose words ask for a count,
a year, an amount or an age count; 「いつ」 and "when" do not (明治時代, "after the war").
"""

from __future__ import annotations

import re
import unicodedata

_ASKS_NUMBER = re.compile(
    r"何(?:年|月|日|人|個|回|件|倍|歳|才|時間|分|秒|台|冊|本|枚|社|カ国|か国|ヶ国|位|番目|割|パーセント|%|"
    r"メートル|キロ|センチ|グラム|トン|円|ドル|万|億|世紀)|いくつ|いくら|どれ(?:くらい|ぐらい|ほど)|"
    r"どの(?:くらい|ぐらい)|\bhow (?:many|much|old|long|far|tall|high|large|big)\b|"
    r"\b(?:what|which) (?:year|percentage|percent|number|age|amount)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"[0-9]|[一二三四五六七八九十百千万億兆〇零半]|\b(?:one|two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million|billion|dozen|"
    r"half|once|twice)\b",
    re.IGNORECASE,
)


# How a question asks, apart from what it asks about: the asking phrases above and the bare
# interrogatives (何, 誰, "what" and the like are stop words already).
_INTERROGATIVE = re.compile(
    r"何|誰|どこ|いつ|どれ|どの|どんな|なぜ|どう|いかに|\b(?:in )?what (?:kind|type) of\b", re.IGNORECASE
)


def asked_about(question: str, terms: list[str]) -> str:
    """The question without how it asks and without ``terms`` (its numbers and names, as written):
    what it asks about. 「GPT-3のパラメータ数は何個？」 with ["GPT-3"] -> 「 のパラメータ数は  ？」."""
    text = unicodedata.normalize("NFKC", question)
    for term in sorted(terms, key=len, reverse=True):
        text = text.replace(unicodedata.normalize("NFKC", term), " | ")
    return _INTERROGATIVE.sub(" | ", _ASKS_NUMBER.sub(" | ", text))


def asks_for_number(question: str) -> bool:
    return _ASKS_NUMBER.search(unicodedata.normalize("NFKC", question)) is not None


def gives_number(answer: str) -> bool:
    return _NUMBER.search(unicodedata.normalize("NFKC", answer)) is not None
