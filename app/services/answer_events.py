"""What an answer is made of: the events `AnswerService.stream()` yields, and the whole answer.

Defined once. The SSE layer sends each event as `event: <name>` with the model as its data, JSON mode
and `shiori eval` collect them into an `AnswerOut`, the OpenAI adapter and the CLI read them as
objects, and the UI's TypeScript types are generated from the OpenAPI schema these models appear in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class SourceOut(BaseModel):
    number: int
    chunk_id: int
    document_id: int
    title: str
    filename: str
    page: int
    page_label: str | None
    char_start: int
    char_end: int
    text: str = Field(description="The passage")
    shown: str = Field(description="What the model was shown (selected sentences of the passage)")
    spans: list[list[int]] = Field(description="Page-text offsets of the shown pieces")
    score: float
    ocr: bool = Field(False, description="The page's text was read by OCR (a scan or an image)")


class CitationOut(BaseModel):
    number: int
    sentence_index: int
    status: Literal["verified", "unsupported", "inferred"]
    support: float
    chunk_id: int
    document_id: int
    title: str
    page: int
    page_label: str | None
    char_start: int = Field(description="Evidence span in the page's text")
    char_end: int
    ocr: bool = Field(False, description="The page's text was read by OCR (a scan or an image)")
    missing: list[str] = Field(
        [],  # pydantic copies it per instance
        description="Numbers and names of the sentence that the cited evidence does not contain "
        "(the citation is then unsupported)",
    )


class AnswerSentenceOut(BaseModel):
    start: int
    end: int
    text: str
    numbers: list[int]
    supported: bool


# Every field is always sent: say so in the schema (the UI's generated types then need no `?`).
ALWAYS_SENT = ConfigDict(json_schema_serialization_defaults_required=True)


class Event(BaseModel):
    """An event of an answer's stream; ``name`` is its SSE event name."""

    model_config = ALWAYS_SENT
    name: ClassVar[str]


class SourcesEvent(Event):
    """Sent as soon as retrieval is done, before the first token."""

    name: ClassVar[str] = "sources"
    sources: list[SourceOut]
    dropped: list[int] = Field(description="Chunk ids that did not fit the context")
    query: str = Field(description="What was searched (a follow-up joined with the previous question)")
    more_queries: list[str] = Field(
        default_factory=list,
        description="What was searched besides: a follow-up on its own (fused with `query`), and in a "
        "second round the model's own queries",
    )


class TokenEvent(Event):
    name: ClassVar[str] = "token"
    text: str = Field(description="The next piece of the answer")


class CitationsEvent(Event):
    """After the last token: the answer as checked, and each citation resolved to a page span."""

    name: ClassVar[str] = "citations"
    answer: str
    citations: list[CitationOut]
    sentences: list[AnswerSentenceOut]
    invalid_numbers: list[int] = Field(description="[n] markers that name no source")
    answers_question: bool = Field(
        True,
        description="False when the question asks for a number (a count, a year) and the answer gives none",
    )
    revised_from: str | None = Field(
        None,
        description="The streamed answer, when the check flagged it and a second attempt from the one "
        "source that holds most of the question's words passed: `answer` replaces it",
    )


class DoneEvent(Event):
    name: ClassVar[str] = "done"
    abstained: bool
    abstain_reason: Literal["weak_evidence", "model_declined", "empty_answer"] | None = Field(
        None,
        description="weak_evidence: search found nothing close enough; model_declined: the model said "
        "the sources don't say; empty_answer: the model twice said nothing but citation markers",
    )
    best_score: float | None = Field(
        None, description="The best passage's dense similarity to the question (what abstain_below compares)"
    )
    cancelled: bool = False
    retrieval_ms: float
    ttft_ms: float | None = None
    tokens: int = 0
    tokens_per_s: float | None = None
    generation_ms: float | None = None
    prompt_tokens: int | None = Field(None, description="Tokens of the prompt the model read")
    dropped: list[int] = Field(default_factory=list)
    refusal_logprob: float | None = Field(
        None, description="Log-probability that the model opened with the refusal, read before it answered"
    )
    second_look: Literal["compound", "weak_evidence"] | None = Field(
        None, description="Why a second search round ran before the answer (none: it did not)"
    )
    second_look_ms: float | None = Field(
        None, description="What that round took: the model's queries and their searches"
    )
    rewrite_ms: float | None = Field(
        None, description="What the model's rewrite of a follow-up into a standalone question took"
    )
    recheck_ms: float | None = Field(
        None,
        description="What the second attempt took, when the check flagged the first answer (none: it "
        "did not run)",
    )
    revised: bool = Field(False, description="The second attempt replaced the streamed answer")


class ErrorEvent(Event):
    """The answer ended early: `timeout`, `generator_crashed`, `generator_unavailable`,
    `shutting_down` (the server is restarting: ask again), `internal_error`."""

    name: ClassVar[str] = "error"
    detail: str
    code: str


AnswerEvent = SourcesEvent | TokenEvent | CitationsEvent | DoneEvent | ErrorEvent
EVENT_TYPES: tuple[type[Event], ...] = (SourcesEvent, TokenEvent, CitationsEvent, DoneEvent, ErrorEvent)


class AnswerOut(BaseModel):
    """The whole answer at once (JSON mode), built from the events."""

    model_config = ALWAYS_SENT

    answer: str
    abstained: bool
    sources: list[SourceOut]
    citations: list[CitationOut]
    sentences: list[AnswerSentenceOut] = Field(default_factory=list)
    revised_from: str | None = Field(None, description="The `citations` event's `revised_from`")
    dropped: list[int] = Field(default_factory=list, description="Chunk ids that did not fit the context")
    timings: DoneEvent | None = Field(None, description="The `done` event")
    error: ErrorEvent | None = None

    @classmethod
    def collect(cls, events: Iterable[AnswerEvent]) -> AnswerOut:
        """Fold a stream of events into one answer."""
        out = cls(answer="", abstained=False, sources=[], citations=[])
        for ev in events:
            if isinstance(ev, SourcesEvent):
                out.sources, out.dropped = ev.sources, ev.dropped
            elif isinstance(ev, TokenEvent):
                out.answer += ev.text
            elif isinstance(ev, CitationsEvent):
                out.answer, out.citations, out.sentences = ev.answer, ev.citations, ev.sentences
                out.revised_from = ev.revised_from
            elif isinstance(ev, DoneEvent):
                out.abstained, out.timings = ev.abstained, ev
            elif isinstance(ev, ErrorEvent):
                out.error = ev
        return out
