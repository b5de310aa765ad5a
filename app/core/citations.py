"""Parse, map and check the [n] citations of a generated answer.

The answering service shows the model numbered sources and asks it to end each sentence with
markers like [1] or [1][2]. Small models also write [1, 2], ［1］, 【1】 or [1-3]; all of those are
markers (bare parentheses are not: (1) is too often list numbering). Markers for numbers with no
source are removed from the answer. Each marker belongs to the sentence it ends, including one
written after the 。 or period ("…である。[1]"). Each explicit citation is checked lexically against
its source (app.core.support); a sentence with content and no marker, or whose markers all fail the
check, gets an "inferred" citation when another source clearly contains it, and is flagged
unsupported when nothing backs it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from app.core.chunking import sentence_spans
from app.core.crosslingual import Similar, across, to_support, unbacked
from app.core.key_terms import Term, TermIndex, contexts, key_terms, topic_spans, whole_name
from app.core.question_type import asked_about, asks_for_number, gives_number
from app.core.support import Passage, Units, containment, content_units, has_content

# Thresholds, from scoring 45 hand-written claims against real passages (ja: ../shared/corpus/seeds,
# en: XQuAD contexts; a subset is in tests/unit/test_citations.py). Verbatim and reworded claims
# score 0.9-1.0; paraphrases that keep the key terms 0.67-0.95 (Carolina's defense allowed only 308
# points… 0.67; Short had eleven sacks… 0.67). Wrong dates or counts score 0.33-0.42, claims half
# true and half invented 0.36-0.49, invented facts on the same topic 0.12-0.43 (except a flipped
# negation, ローカルで実行できます vs 実行する機能は提供されていません, 0.65: lexical overlap cannot see
# it), unrelated claims < 0.05. 0.55 sits in the gap, a little nearer the unsupported side because a
# 1.5B model paraphrases more loosely than these examples. Inference names a source the model did not
# cite, so it asks for more: 0.7 clears every unsupported example, flipped negation included.
SUPPORT_THRESHOLD = 0.55
INFER_THRESHOLD = 0.7
# A number or name of a claim is backed when one sentence of the source holds it and this share of the
# words around it in the claim (its clause, app.core.key_terms.contexts).
PLACE_THRESHOLD = 0.5
# A bare answer (「4900億[1]。」) has no words around its number: the question's are its context. It is
# flagged when the sentences holding it hold under ASK_HERE of the question's words and another sentence
# of the source holds ASK_GAP more (GPT-3's token count given for its parameter count). From
# bench/claims.py's bare answers (a reference answer against another number or name of its passage):
# JSQuAD-valid and XQuAD-en, figures in README's claims table.
ASK_HERE = 0.34
ASK_GAP = 0.5

Status = Literal["verified", "unsupported", "inferred"]
Marker = tuple[int, int, tuple[int, ...]]

_NUM = r"[0-9０-９]{1,3}"
_PREFIX = r"(?:(?:sources?|refs?|docs?|資料|出典|文書)\s*)?"
_MARKER = re.compile(
    rf"[\[［【]\s*{_PREFIX}{_NUM}(?:\s*(?:[,，、;；]|[-–~〜～])\s*{_PREFIX}{_NUM})*\s*[\]］】]", re.IGNORECASE
)
# A document's own reference markers, which a small model copies into its answer ("…提案されました
# [Zhao2023]。", "[Vaswani et al., 2017]"): not [n] citations, and not part of the claim either (a name
# the key-term check would look for next to the fact).
_AUTHOR_YEAR = r"[A-Z][A-Za-z'-]+(?:\s+et\s+al\.?)?,?\s?\d{4}[a-z]?"
_BIBLIOGRAPHIC = re.compile(rf"[\[［]\s*{_AUTHOR_YEAR}(?:\s*[,;，、]\s*{_AUTHOR_YEAR})*\s*[\]］]")
_MARKER_PART = re.compile(r"[0-9０-９]+|[-–~〜～]")
_MAX_RANGE = 20  # [1-3] is 1, 2, 3; [1-300] is not a range anybody means
_CLOSING = ("Po", "Pe", "Pf")  # 。, ) 」 and the like: no space before them


@dataclass(frozen=True)
class SourceRef:
    number: int  # 1-based number shown to the model
    text: str  # exactly the text shown to the model for this source
    title: str = ""  # shown above it (the document's title): may be all that names its topic


@dataclass(frozen=True)
class Citation:
    number: int  # the source number
    sentence_index: int  # index into CitationReport.sentences
    support: float  # 0..1, how well the source supports the sentence
    status: Status
    evidence_start: int  # [start, end) span inside SourceRef.text that best supports the sentence
    evidence_end: int
    missing: tuple[str, ...] = ()  # numbers and names of the sentence that the evidence lacks


@dataclass(frozen=True)
class AnswerSentence:
    start: int  # offsets into CitationReport.answer
    end: int
    text: str
    numbers: tuple[int, ...]  # valid source numbers cited by explicit markers
    supported: bool  # False when it has a claim but no cited or inferred source supports it


@dataclass
class CitationReport:
    answer: str  # the answer without markers that point at no source
    sentences: list[AnswerSentence]
    citations: list[Citation]
    invalid_numbers: list[int]  # sorted, unique
    unsupported_sentences: list[int]
    # False when the question asks for a number (app.core.question_type) and the answer gives none:
    # its words may all be in the source, but it answers something else.
    answers_question: bool = True

    @property
    def flagged(self) -> bool:
        """Does the reader see a warning: a citation that doesn't back its sentence, a sentence no
        source backs, or no number where the question asks for one."""
        unsupported = any(c.status == "unsupported" for c in self.citations)
        return unsupported or bool(self.unsupported_sentences) or not self.answers_question


def find_markers(text: str) -> list[Marker]:
    """(start, end, numbers) of each citation marker, numbers unique in written order."""
    return [(m.start(), m.end(), _numbers(m.group())) for m in _MARKER.finditer(text)]


def strip_markers(text: str) -> str:
    return _MARKER.sub(" ", text)


_OPEN_MARKER = re.compile(r"[\[［【][^\]］】]{0,16}$")


def says_something(text: str, *, streaming: bool = False) -> bool:
    """Whether ``text`` says anything: a letter or digit beyond its citation markers ("[1]" alone,
    or an empty answer, does not). ``streaming``: the text is still growing, so a trailing "[1" may
    yet close into a marker and doesn't count."""
    if streaming:
        text = _OPEN_MARKER.sub("", text)
    return any(ch.isalnum() for ch in strip_markers(text))


def support_score(claim: str, passage: str) -> tuple[float, tuple[int, int]]:
    """How much of ``claim`` (markers ignored) ``passage`` contains, and the evidence span in it."""
    return Passage(passage).support(content_units(strip_markers(claim)))


def check_citations(
    answer: str,
    sources: Sequence[SourceRef],
    *,
    question: str = "",
    topic: str = "",
    support_threshold: float = SUPPORT_THRESHOLD,
    infer_threshold: float = INFER_THRESHOLD,
    similar: Similar | None = None,
) -> CitationReport:
    """Drop markers that point at no source, split the answer into sentences and check each sentence
    against the sources it cites (or, citing none, against all of them). A citation holds only when its
    evidence also contains the sentence's numbers and names (app.core.key_terms); ``question`` names
    the topic, which the source may name in another sentence than the evidence. With ``similar``
    (app.core.crosslingual), a sentence written in another language than its source is checked by
    meaning instead of words. ``topic`` (default ``question``) is the question whose numbers and
    names the cited sources must name: the user's own, where ``question`` joins a follow-up with the
    question before it."""
    passages = {s.number: _Source(s.text, s.title) for s in sources}
    if len(passages) != len(sources):
        raise ValueError("source numbers must be unique")
    asked = _Asked.of(question, topic) if question else None
    text, invalid = answer, set[int]()
    while True:  # a removal can join its neighbours into a new marker: "[[7]8]"
        cleaned, dropped = _drop_invalid(text, passages.keys())
        if cleaned == text:
            break
        text, invalid = cleaned, invalid | dropped
    markers = find_markers(text)
    named = _topic_terms(topic or question, question)
    sentences: list[AnswerSentence] = []
    citations: list[Citation] = []
    spans = _sentence_spans(text, markers)
    claims = [_BIBLIOGRAPHIC.sub(" ", strip_markers(text[a:b])) for a, b in spans]
    units = [content_units(c) for c in claims]
    # A bare answer (「柔道」, "Sunni Arabs", 「レーニン」) has too few words to measure support by, but
    # it is the whole answer: it is checked all the same, or an invented name passes unflagged. A
    # short sentence beside others (「はい。」, 「以上です。」) is not.
    bare = sum(1 for c in claims if says_something(c)) == 1 and not is_refusal(text)
    for index, (start, end) in enumerate(spans):
        numbers = tuple(dict.fromkeys(n for s, e, ns in markers if start <= s and e <= end for n in ns))
        claim_text, claim = claims[index], units[index]
        # (by words only: a few words say too little for a meaning match across languages)
        measured = has_content(claim) or (
            bare and bool(claim) and not any(across(claim_text, p.text) for p in passages.values())
        )
        terms = key_terms(claim_text) if measured else []
        own: list[Citation] = []
        for n in numbers:
            score, (a, b), missing = passages[n].check(claim_text, claim, terms, asked, similar)
            status: Status = "verified" if score >= support_threshold and not missing else "unsupported"
            own.append(Citation(n, index, score, status, a, b, missing))
        # Citing nothing, or only sources that don't hold it (small models often write the wrong
        # number: "[2]" for what source 1 says): the source that clearly contains it is named too, as
        # inferred, and the wrong citation stays flagged. A source that names none of the question's
        # names is about something else (the スカイツリー page, asked about 東京タワー): the sentence is
        # traced to it all the same, flagged, with the names it lacks.
        others = {n: p for n, p in passages.items() if n not in numbers}
        if others and measured and not any(c.status == "verified" for c in own):
            checked = ((n, p.check(claim_text, claim, terms, asked, similar)) for n, p in others.items())
            n, (score, (a, b), missing) = max(checked, key=_by_score)
            if score >= infer_threshold and not missing:
                if _about(passages[n], named, question):
                    own.append(Citation(n, index, score, "inferred", a, b))
                else:
                    lacks = tuple(t.text for t in named)
                    own.append(Citation(n, index, score, "unsupported", a, b, lacks))
        supported = not measured or any(c.status != "unsupported" for c in own)
        sentences.append(AnswerSentence(start, end, text[start:end], numbers, supported))
        citations.extend(own)
    lacking = _unnamed(named, question, [passages[n] for n in sorted({c.number for c in citations})])
    if lacking:  # every citation answers another question: each is flagged, naming what it lacks
        citations = [
            replace(c, status="unsupported", missing=tuple(dict.fromkeys((*c.missing, *lacking))))
            for c in citations
        ]
        cited = {c.sentence_index for c in citations}
        sentences = [replace(s, supported=s.supported and i not in cited) for i, s in enumerate(sentences)]
    unsupported = [i for i, s in enumerate(sentences) if not s.supported]
    off = bool(question) and asks_for_number(question) and not gives_number(strip_markers(text))
    off = off and not is_refusal(text)
    return CitationReport(text, sentences, citations, sorted(invalid), unsupported, answers_question=not off)


@dataclass(frozen=True)
class _Asked:
    """The question as the check reads it: its numbers and names, and what it asks about (its other
    words, without the asking: パラメータ数 of 「GPT-3のパラメータ数は？」)."""

    terms: TermIndex
    about: Units | None  # None when too few words are left to place anything by

    @classmethod
    def of(cls, question: str, own: str = "") -> _Asked:
        """``own``: the user's own words, where ``question`` joins a follow-up with the question before
        it (「パラメータ数は？」 after 「GPT-3の学習データの量は？」 asks about パラメータ数 alone). A
        follow-up's own words decide even when they are few (「その高さは？」: 高さ, not the 完成 of the
        「東京タワーはいつ完成しましたか？」 before it); only one with none left is read joined."""
        follow_up = bool(own) and own.strip() != question.strip()
        for text in (own, question) if own else (question,):
            about = content_units(asked_about(text, [whole_name(text, t).text for t in key_terms(text)]))
            if has_content(about) or (follow_up and text is own and about):
                return cls(TermIndex(question), about)
        return cls(TermIndex(question), None)


class _Source:
    """One source: its windows for support and, made on first use, the terms of each sentence."""

    def __init__(self, text: str, title: str = "") -> None:
        self.text = text
        self.title = title
        self.passage = Passage(text)
        self._whole: TermIndex | None = None
        self._named: TermIndex | None = None
        self._sentences: list[tuple[TermIndex, frozenset[str]]] | None = None

    def names(self, term: Term) -> bool:
        """Does the source, with its title, name ``term`` anywhere? A Latin-script name of five
        letters or more also counts as named by a word one edit away: people misspell names in their
        questions (Bedigo for Bendigo) and write the adjective (Californian, Indian)."""
        named = self._named = self._named or TermIndex(f"{self.title}\n{self.text}")
        if named.has(term):
            return True
        word = term.key[1:] if term.key.startswith("@") else ""
        return len(word) >= 5 and any(_one_edit(word, w) for w in named.words if abs(len(w) - len(word)) <= 1)

    def check(
        self,
        claim_text: str,
        claim: Units,
        terms: list[Term],
        asked: _Asked | None,
        similar: Similar | None = None,
    ) -> tuple[float, tuple[int, int], tuple[str, ...]]:
        """Support, evidence span and the terms of the claim this source does not back. A claim in
        the other language is checked by meaning (``similar``): the words it shares with the source
        are only names and numbers, and "Llama 3 was stronger than GPT-4" would pass on those."""
        if similar is not None and across(claim_text, self.text):
            return self.check_across(claim_text, similar)
        return self._check_words(claim_text, claim, terms, asked)

    def _check_words(
        self, claim_text: str, claim: Units, terms: list[Term], asked: _Asked | None
    ) -> tuple[float, tuple[int, int], tuple[str, ...]]:
        score, span = self.passage.support(claim)
        whole = self._whole = self._whole or TermIndex(self.text)
        # The topic the question named (東京タワー in 東京タワーの高さは333メートル) may be named in
        # another sentence than the fact: it is backed by being in the source, and left out of the
        # words that place the other terms.
        topics = {
            t.key: spans
            for t in terms
            if asked is not None
            and asked.terms.has(t)
            and whole.has(t)
            and (spans := topic_spans(claim_text, t))
        }
        blanked = [span for spans in topics.values() for span in spans]
        about = asked.about if asked is not None else None
        missing = tuple(
            t.text
            for t in terms
            if t.key not in topics and not self._backs(t, claim_text, blanked, whole, about)
        )
        return score, span, missing

    def check_across(
        self, claim_text: str, similar: Similar
    ) -> tuple[float, tuple[int, int], tuple[str, ...]]:
        """The same for a claim in the other language: by meaning (app.core.crosslingual), and only
        its numbers must be in the source."""
        spans = self.passage.windows
        if not spans:
            return 0.0, (0, 0), ()
        scores = similar(claim_text, [self.text[a:b] for a, b in spans])
        best = max(range(len(spans)), key=lambda i: (scores[i], -i))
        return to_support(scores[best]), spans[best], unbacked(claim_text, self.text)

    def _backs(
        self,
        term: Term,
        claim_text: str,
        topics: list[tuple[int, int]],
        whole: TermIndex,
        about: Units | None = None,
    ) -> bool:
        """Does a sentence of the source hold ``term`` together with the words around it in the claim?
        "推計で2010人" is not backed by a passage that says 2010 only as a year in another sentence. A
        term with too few words around it to place (Answer: 1998.) is placed by what the question
        asks ``about``, if given: it must not come from a sentence about something else."""
        if not whole.has(term):
            return False
        places = [around for around in contexts(claim_text, term, topics) if has_content(around)]
        if not places:
            return about is None or self._answers(term, about)
        return any(
            index.has(term) and containment(around, keys) >= PLACE_THRESHOLD
            for around in places
            for index, keys in self.sentences()
        )

    def _answers(self, term: Term, about: Units) -> bool:
        """Could ``term``, given alone as the answer, answer a question ``about`` these words? Not when
        the sentences holding it hold few of them and another sentence holds clearly more: the slide
        line 「GPT-3の場合、データに含まれる総トークン数は約4900億」 beside 「モデルのパラメータの数」
        does not give GPT-3's parameter count."""
        here, elsewhere = 0.0, 0.0
        for index, keys in self.sentences():
            share = containment(about, keys)
            if index.has(term):
                here = max(here, share)
            else:
                elsewhere = max(elsewhere, share)
        return here >= ASK_HERE or elsewhere < here + ASK_GAP

    def sentences(self) -> list[tuple[TermIndex, frozenset[str]]]:
        if self._sentences is None:
            self._sentences = [(TermIndex(self.text[a:b]), keys) for a, b, keys in _clauses(self.passage)]
        return self._sentences


# What ends a sentence at the end of a line; a line that ends otherwise was wrapped (a PDF's text layer
# keeps its line breaks: 「労働基準法(昭和 22 年法律第 49\n号)第 65 条に規定する」).
_ENDS_SENTENCE = re.compile(r"[。．.!?！？:：」』)）\]]\s*$")
# What opens a new item at the start of a line (a slide's bullets): the line before it ended its item.
_OPENS_ITEM = re.compile(r"\s*(?:[•・●○■□◆◇▪‣*-]|\d{1,2}[.)](?!\d))")


def _topic_terms(topic: str, question: str) -> list[Term]:
    """The numbers and names of the question (what it is about: オランダ, 2013年, 東京タワー) that its
    answer's sources must name. ``topic`` is the user's own question: a follow-up that names something
    new (「スカイツリーは？」 after 「東京タワーの高さは？」) need not find the old topic in its sources;
    one that names nothing (「それはいつ？」) is held to the ``question`` it was searched with. A name
    is read whole (東京タワー, not the 東京 of 東京スカイツリー: key_terms.whole_name)."""
    if not question:
        return []
    return [whole_name(topic, t) for t in key_terms(topic) if _names_topic(t)] or [
        whole_name(question, t) for t in key_terms(question) if _names_topic(t)
    ]


def _about(source: _Source, named: list[Term], question: str) -> bool:
    """Does ``source`` name one of the question's names at least (a comparison's source names one
    side)? Across languages names don't compare: yes. None of them: it lacks them all."""
    return not named or across(question, source.text) or any(source.names(t) for t in named)


def _unnamed(named: list[Term], question: str, cited: Sequence[_Source]) -> tuple[str, ...]:
    """The question's names and numbers (``named``: _topic_terms) that none of the cited sources
    names, text and title together (a comparison cites one source for each side). This catches an
    answer whose words its source holds but which answers another question: 「オランダの公式の英語表記
    は？」 answered with a sentence from a page about Laos, 「2013年のGDPは？」 with another year's
    figure. Across languages names don't compare (katakana and Latin letters): no check there."""
    if not question or not cited or any(across(question, source.text) for source in cited):
        return ()
    return tuple(dict.fromkeys(t.text for t in named if not any(source.names(t) for source in cited)))


def _names_topic(term: Term) -> bool:
    """Is this term of a question one its answer's source must name? Small numbers mostly count what
    is asked for (「漢字4文字で」, 「もう1つは」, "the 15th century") and acronyms are often spelled out in
    the page (EU, US): neither is required. Years, amounts and names are."""
    if term.kind == "number":
        return not term.key[1:].isdigit() or int(term.key[1:]) >= 100
    return not (term.text.isascii() and term.text.isupper())


def _one_edit(a: str, b: str) -> bool:
    """Are two words one insertion, deletion, substitution or swap of neighbours apart (or equal)?"""
    if a == b:
        return True
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]])
    short, long = (a, b) if len(a) < len(b) else (b, a)
    if len(long) - len(short) != 1:
        return False
    i = next((i for i, (x, y) in enumerate(zip(short, long, strict=False)) if x != y), len(short))
    return short[i:] == long[i + 1 :]


def _clauses(passage: Passage) -> list[tuple[int, int, frozenset[str]]]:
    """The passage's sentences, each joined with the next where a line break cut it mid-sentence, so a
    number and the words around it on two wrapped lines are still read as one place. A line that
    opens with a bullet starts a new item: slide lines end without punctuation."""
    text, out = passage.text, list[tuple[int, int, frozenset[str]]]()
    for a, b, keys in passage.sentences:
        wrapped = out and "\n" in text[out[-1][1] : a] and not _OPENS_ITEM.match(text, a)
        if wrapped and not _ENDS_SENTENCE.search(text[out[-1][0] : out[-1][1]]):
            prev = out.pop()
            out.append((prev[0], b, prev[2] | keys))
        else:
            out.append((a, b, keys))
    return out


def _by_score(item: tuple[int, tuple[float, tuple[int, int], tuple[str, ...]]]) -> tuple[float, int]:
    return item[1][0], -item[0]  # best score; the lower source number on a tie


def _numbers(marker: str) -> tuple[int, ...]:
    out: list[int] = []
    parts = _MARKER_PART.findall(marker)
    for i, part in enumerate(parts):
        if not part[0].isdigit():
            continue
        n = int(part)  # int() reads full-width digits too
        if i >= 2 and not parts[i - 1][0].isdigit() and out and 0 < n - out[-1] <= _MAX_RANGE:
            out.extend(range(out[-1] + 1, n))
        out.append(n)
    return tuple(dict.fromkeys(out))


def _drop_invalid(answer: str, valid: Container[int]) -> tuple[str, set[int]]:
    """Remove markers (or the numbers inside them) that point at no source, tidying the spaces."""
    invalid: set[int] = set()
    out = ""
    pos = 0
    for start, end, numbers in find_markers(answer):
        keep = [n for n in numbers if n in valid]
        if len(keep) == len(numbers):
            continue
        invalid.update(n for n in numbers if n not in valid)
        out += answer[pos:start]
        pos = end
        if keep:
            marker = answer[start:end]
            out += f"{marker[0]}{', '.join(map(str, keep))}{marker[-1]}"
            continue
        nxt = answer[end : end + 1]
        if out.endswith((" ", "\t")) and (not nxt or nxt.isspace() or unicodedata.category(nxt) in _CLOSING):
            out = out.rstrip(" \t")  # "foo [7]. Bar" -> "foo. Bar"
        elif not out or out.endswith("\n"):
            while pos < len(answer) and answer[pos] in " \t":
                pos += 1  # "[7] Bar" at a line start -> "Bar"
    return out + answer[pos:], invalid


def _sentence_spans(text: str, markers: list[Marker]) -> list[tuple[int, int]]:
    """Sentence spans where every marker lies inside the sentence it ends. Markers are blanked before
    splitting ("true.[1] Next" must split like "true. Next") and those left between sentences join
    the sentence before them (the first one, for markers that open the answer)."""
    blanked = list(text)
    for start, end, _ in markers:
        blanked[start:end] = " " * (end - start)
    spans = sentence_spans("".join(blanked))
    if not spans:
        return [(markers[0][0], markers[-1][1])] if markers else []
    for start, end, _ in markers:
        i = sum(1 for s, _ in spans if s <= start) - 1
        if i < 0:
            spans[0] = (start, spans[0][1])
        elif end > spans[i][1]:
            spans[i] = (spans[i][0], end)
    return spans


_REFUSAL_PHRASES = (
    r"記載(?:が|は)?(?:あり|ござい)ません|記載(?:が|は)ない|(?:記載|言及|説明|記述)が?されて(?:い|おり)ません",
    r"(?:わか|分か|判)りません|不明です|見(?:つか|当た)りません|(?:情報|記述|答え)(?:が|は)(?:あり|見つかり)ません",
    r"(?:含まれて|書かれて|述べられて)(?:い|おり)ません|(?:お?答え|回答)(?:でき|いたしかね|しかね)ません",
    r"\b(?:do|does|did)(?: not|n't) (?:contain|mention|include|provide|say|specify|state|cover|discuss)",
    r"\bnot (?:mentioned|stated|specified|provided|found|covered|included|available|discussed|given)\b",
    r"\bno (?:information|mention|details?|data|answer)\b",
    r"\bi (?:do not|don't|cannot|can't) (?:know|answer|find)",
    r"\b(?:cannot|can't|unable to) (?:answer|determine|find|be determined|be answered)",
    r"\b(?:insufficient|not enough) information\b",
)
_REFUSAL = re.compile("|".join(_REFUSAL_PHRASES), re.IGNORECASE)
_REFUSAL_MAX_CHARS = 120  # a refusal sentence longer than this is an answer that mentions a gap


def is_refusal(answer: str) -> bool:
    """Did the model decline to answer? True when some short sentence says the sources don't have the
    answer and nothing else in the answer is cited or says much: "資料には記載がありません。",
    "I'm sorry, the documents do not contain this." A cited answer that notes a gap in passing is not."""
    text = unicodedata.normalize("NFKC", answer).replace("’", "'")
    sentences = [text[s:e] for s, e in sentence_spans(text)]
    refusals = [s for s in sentences if _REFUSAL.search(s) and len(s) <= _REFUSAL_MAX_CHARS]
    others = [s for s in sentences if s not in refusals and has_content(content_units(strip_markers(s)))]
    return bool(refusals) and len(others) <= 1 and not any(find_markers(s) for s in others)
