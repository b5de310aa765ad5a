"""Answering: retrieve → abstain or pack the context → stream the model's answer → check citations.

`AnswerService.stream()` yields typed events (`app.services.answer_events`), the same ones the API
sends as Server-Sent Events: sources (as soon as retrieval is done), token (text deltas), citations,
done (timings, usage, what was dropped) and error. JSON mode, the OpenAI adapter and the CLI consume
the same stream.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from app.core.abstention import FITTED, Decision, decide, unanswerable_p
from app.core.citations import CitationReport, SourceRef, check_citations, is_refusal, says_something
from app.core.crosslingual import EmbeddingSimilarity
from app.core.errors import GeneratorCrashed, GeneratorUnavailable, InvalidInput
from app.core.followup import parse_rewrite, previous_question, rewrite_turn, search_queries
from app.core.fusion import fuse_rankings
from app.core.generation import GenerationOptions, Generator, Message, create_generator
from app.core.metrics import Metrics
from app.core.prompting import (
    ABSTAIN_TEXT,
    SEP,
    Lang,
    PackedSource,
    build_messages,
    coverage_gap,
    detect_language,
    fixed_prefix,
    most_covered,
    pack_sources,
    question_coverage,
    with_retry_note,
)
from app.core.second_look import merge, parse_queries, query_turn, reason_to_look
from app.core.settings import Settings
from app.core.slots import Ticket
from app.db.session import session_scope
from app.services.answer_events import (
    AnswerEvent,
    AnswerOut,
    AnswerSentenceOut,
    CitationOut,
    CitationsEvent,
    DoneEvent,
    ErrorEvent,
    SourceOut,
    SourcesEvent,
    TokenEvent,
)
from app.services.documents import get_collection
from app.services.retrieval import Passage, Retriever

logger = logging.getLogger(__name__)

# answer.recheck_off_question also sends back an answer the check passes when every source it cites
# holds at least this much less of the question's content units than the best source shown (the model
# copied from a neighbouring passage; its words are there, so the check can't tell). Chosen on
# JSQuAD-valid's first 100 rows, checked on two other samples (README, Revised answers).
OFF_QUESTION_GAP = 0.2


@dataclass
class AskRequest:
    question: str
    collection: str = "default"
    history: list[Message] = field(default_factory=list)
    k: int | None = None
    # A flagged answer may be replaced by a second attempt (answer.recheck) that arrives whole in the
    # `citations` event. False for a client that shows only the streamed tokens and cannot take them back.
    revise: bool = True


class AnswerService:
    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        generator: Generator,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.retriever = retriever
        self.generator = generator
        self.metrics = metrics

    # ---- public ------------------------------------------------------------------------------
    def check(self, req: AskRequest) -> None:
        """Fail fast (before a stream starts) on a bad question or an unknown collection."""
        self._validate(req)
        with session_scope(self.retriever.factory) as session:
            get_collection(session, req.collection)
        available = getattr(self.generator, "check_available", None)
        if available is not None:
            available()  # 503 + Retry-After now, rather than an error event later

    def stream(
        self, req: AskRequest, *, ticket: Ticket | None = None, cancel: threading.Event | None = None
    ) -> Iterator[AnswerEvent]:
        """Events for one question. Holds ``ticket``'s generation slot only while the model runs."""
        if self.metrics is None:
            yield from self._events(req, ticket, cancel)
            return
        try:
            for ev in self._events(req, ticket, cancel):
                if isinstance(ev, DoneEvent):
                    self.metrics.observe_answer(ev.model_dump())
                elif isinstance(ev, ErrorEvent):
                    self.metrics.answers.labels("error").inc()
                yield ev
        except Exception:
            self.metrics.answers.labels("error").inc()
            raise

    def _events(
        self, req: AskRequest, ticket: Ticket | None, cancel: threading.Event | None
    ) -> Iterator[AnswerEvent]:
        cfg = self.settings.answer
        cancel = cancel or threading.Event()
        question = self._validate(req)
        lang = detect_language(question)
        queries = search_queries(question, req.history, self.settings.limits.max_query_chars)
        query = queries[0]
        rewrite_ms = None
        previous = previous_question(req.history)
        if cfg.rewrite_followups and query != question and previous is not None:
            # The rules saw a follow-up: the model writes it as a question that stands alone.
            t_rewrite = time.perf_counter()
            if ticket is not None:
                ticket.acquire(timeout=cfg.timeout_s)
            rewrite = self.rewrite_followup(question, previous, lang, cancel)
            query, queries = (rewrite, [rewrite]) if rewrite else (query, queries)
            rewrite_ms = (time.perf_counter() - t_rewrite) * 1000
        t0 = time.perf_counter()
        found = self.search_all(queries, req.collection, req.k or cfg.k)
        retrieval_ms = (time.perf_counter() - t0) * 1000
        best = max((evidence_score(p) for p in found), default=None)

        if best is None or best < cfg.abstain_below:
            if ticket is not None:
                ticket.close()  # held for a rewrite, if one ran: the abstention needs no model
            yield SourcesEvent(sources=[], dropped=[], query=query)
            yield from self._abstain(lang, retrieval_ms, best, reason="weak_evidence")
            return

        passages, more_queries = found, queries[1:]
        look = reason_to_look(query, best, cfg.second_look_below) if cfg.second_look else None
        look_ms = None
        if look is not None:
            t_look = time.perf_counter()
            passages, looked = self._second_look(query, lang, req, found, ticket, cancel)
            more_queries += looked
            look_ms = (time.perf_counter() - t_look) * 1000
        packed = pack_sources(
            # sentences are chosen by the words of every query that was searched
            " ".join([question, *more_queries]),
            passages,
            self.generator.count_tokens,
            budget=cfg.context_tokens,
            lang=lang,
            select=cfg.select_sentences,
        )
        dropped = [p.chunk_id for p in passages if p.chunk_id in set(packed.dropped)]
        yield SourcesEvent(
            sources=[source_out(s) for s in packed.sources],
            dropped=dropped,
            query=query,
            more_queries=more_queries,
        )
        history = list(req.history)[-cfg.history_turns * 2 :] if cfg.history_turns else []
        messages = build_messages(question, packed.sources, lang, history, examples=cfg.examples)

        def from_one(source: PackedSource) -> list[Message]:
            return build_messages(question, [source], lang, history, examples=cfg.examples)

        events = self._generate(
            messages,
            query,
            packed.sources,
            lang,
            retrieval_ms,
            dropped,
            ticket,
            cancel,
            best_dense=best,
            asked=question,
            recheck_with=from_one if cfg.recheck and req.revise else None,
        )
        for ev in events:
            if isinstance(ev, DoneEvent):
                ev = ev.model_copy(
                    update={
                        "best_score": best,
                        "second_look": look,
                        "second_look_ms": None if look_ms is None else round(look_ms, 1),
                        "rewrite_ms": None if rewrite_ms is None else round(rewrite_ms, 1),
                    }
                )
            yield ev

    def _brief(self, turn: Message, lang: Lang, max_tokens: int, cancel: threading.Event) -> str | None:
        """A short piece of work for the model before the answer (a rewrite, search queries): ``turn``
        after the answer prompt's fixed prefix, which llama.cpp's prefix cache already holds, so only
        the turn itself is evaluated. None when the model is down (the answer will say so)."""
        messages = [*fixed_prefix(lang, examples=self.settings.answer.examples), turn]
        options = GenerationOptions(max_tokens=max_tokens, stop=("\n\n",))
        try:
            return self._whole(messages, options, cancel)
        except (GeneratorCrashed, GeneratorUnavailable) as exc:
            logger.warning("skipped asking the model before the answer: %s", exc.detail)
            return None

    def _whole(
        self,
        messages: list[Message],
        options: GenerationOptions,
        cancel: threading.Event,
        deadline: float | None = None,
    ) -> str | None:
        """All the text of one generation that nobody watches stream (a brief, a second attempt); None
        when it runs past ``deadline``. The generator's errors are the caller's to handle."""
        text = ""
        tokens = self.generator.stream(messages, options, cancel)
        try:
            for delta in tokens:
                text += delta
                if deadline is not None and time.monotonic() > deadline:
                    return None
        finally:
            close = getattr(tokens, "close", None)
            if close is not None:
                close()  # stops the model at once
        return text

    def search_all(self, queries: Sequence[str], collection: str, k: int) -> list[Passage]:
        """The best ``k`` passages for one query, or for several (a follow-up joined with the previous
        question, and on its own) fused by rank; each is searched twice as deep so the fusion sees
        where the lists agree."""
        if len(queries) == 1:
            return self.retriever.search(queries[0], collection, k).passages
        lists = [self.retriever.search(q, collection, 2 * k).passages for q in queries]
        return fuse_rankings(lists, k)

    def _second_look(
        self,
        query: str,
        lang: Lang,
        req: AskRequest,
        first: list[Passage],
        ticket: Ticket | None,
        cancel: threading.Event,
    ) -> tuple[list[Passage], list[str]]:
        """One more round: the model's own search queries, each searched, merged with the first round's
        passages. The first round stands alone when the model writes no usable query."""
        cfg = self.settings.answer
        if ticket is not None:  # the model writes the queries: that needs the generation slot
            ticket.acquire(timeout=cfg.timeout_s)
        queries = self.more_queries(query, lang, cancel)
        if not queries:
            return first, []
        k = req.k or cfg.k
        more = [self.retriever.search(q, req.collection, k).passages for q in queries]
        return merge(first, more, k), queries

    def more_queries(self, query: str, lang: Lang, cancel: threading.Event) -> list[str]:
        """The model's search queries for a second round (up to two; none if it wrote none)."""
        text = self._brief(query_turn(query, lang), lang, self.settings.answer.second_look_tokens, cancel)
        queries = parse_queries(text or "", query, self.settings.limits.max_query_chars)
        logger.info("second look: %d queries from %r", len(queries), (text or "")[:120])
        return queries

    def rewrite_followup(
        self, question: str, previous: str, lang: Lang, cancel: threading.Event | None = None
    ) -> str | None:
        """The model's standalone version of a follow-up question (None: it wrote nothing usable)."""
        turn = rewrite_turn(question, previous, lang)
        text = self._brief(turn, lang, self.settings.answer.second_look_tokens, cancel or threading.Event())
        return parse_rewrite(text or "", question, self.settings.limits.max_query_chars, previous=previous)

    def answer(
        self, req: AskRequest, *, ticket: Ticket | None = None, cancel: threading.Event | None = None
    ) -> AnswerOut:
        """The whole answer at once (JSON mode). ``cancel`` stops it (the client went away). A crashed
        or unreachable generator is raised (a 503), not folded into the answer."""
        out = AnswerOut.collect(self.stream(req, ticket=ticket, cancel=cancel))
        if out.error is not None and out.error.code == GeneratorCrashed.code:
            raise GeneratorCrashed(out.error.detail)
        if out.error is not None and out.error.code == GeneratorUnavailable.code:
            raise GeneratorUnavailable(out.error.detail)
        return out

    # ---- steps -------------------------------------------------------------------------------
    def _validate(self, req: AskRequest) -> str:
        question = req.question.strip()
        if not question:
            raise InvalidInput("The question is empty.", code="empty_question")
        limit = self.settings.limits.max_query_chars
        if len(question) > limit:
            raise InvalidInput(f"The question is longer than {limit} characters.", code="question_too_long")
        return question

    def _abstain(
        self, lang: str, retrieval_ms: float, best: float | None, *, reason: Literal["weak_evidence"]
    ) -> Iterator[AnswerEvent]:
        text = ABSTAIN_TEXT["ja" if lang == "ja" else "en"]
        yield TokenEvent(text=text)
        yield CitationsEvent(answer=text, citations=[], sentences=[], invalid_numbers=[])
        yield DoneEvent(
            abstained=True, abstain_reason=reason, best_score=best, retrieval_ms=round(retrieval_ms, 1)
        )

    def _generate(
        self,
        messages: list[Message],
        query: str,
        sources: Sequence[PackedSource],
        lang: Lang,
        retrieval_ms: float,
        dropped: list[int],
        ticket: Ticket | None,
        cancel: threading.Event,
        *,
        best_dense: float | None = None,
        asked: str = "",
        recheck_with: Callable[[PackedSource], list[Message]] | None = None,
    ) -> Iterator[AnswerEvent]:
        cfg = self.settings
        options = GenerationOptions(
            max_tokens=cfg.generator.max_tokens, repeat_penalty=cfg.generator.repeat_penalty
        )
        deadline = time.monotonic() + cfg.answer.timeout_s
        if ticket is not None:
            ticket.acquire(timeout=cfg.answer.timeout_s)
        text, ttft_ms, timed_out, shown = "", None, False, False
        t_start = time.perf_counter()
        # Never an answer that says nothing: tokens are held back until the answer has some content
        # (a bare "[1]" is not shown), and an answer that ends without any is asked for once more,
        # with a note saying what was wrong; a second one becomes an honest abstention.
        attempts: tuple[list[Message], ...] = (messages, with_retry_note(messages, lang))
        refusal_lp: float | None = None
        decision: Decision = "model"
        report: CitationReport | None = None
        revised_from: str | None = None
        recheck_ms: float | None = None
        gen_s: float | None = None
        try:
            policy = cfg.answer.refuse_above is not None or cfg.answer.insist_below is not None
            if cfg.answer.read_refusal_odds or policy:
                # How likely the model is to open with the refusal, read before it writes anything: the
                # prompt it evaluates here is reused by the stream, so this costs a few tokens' time.
                refusal_lp = self.generator.opening_logprob(messages, ABSTAIN_TEXT[lang])
            if policy:
                # the query, as for the citation check: a follow-up's topic is in the question before it.
                # Across languages (an English question over Japanese pages) shared words say nothing:
                # no coverage, so the evidence decision leaves it to the model.
                texts = [s.text for s in sources]
                same_language = detect_language(" ".join(texts)) == lang
                coverage = question_coverage(query, texts) if same_language else None
                # fitted on the bundled e5's similarities: another embedder's mean something else
                fitted = FITTED if cfg.embedding.model_path is None else None
                p = unanswerable_p(cfg.answer.decide_by, refusal_lp, best_dense, coverage, fitted)
                decision = decide(p, cfg.answer.refuse_above, cfg.answer.insist_below)
            if decision == "refuse":
                attempts = ()
            elif decision == "insist":
                options = replace(options, avoid_opening=ABSTAIN_TEXT[lang])
            for attempt, prompt in enumerate(attempts):
                text = ""
                tokens_iter = self.generator.stream(prompt, options, cancel)
                try:
                    for delta in tokens_iter:
                        text += delta
                        if not shown:
                            if not says_something(text, streaming=True):
                                continue
                            shown, delta = True, text  # what was held back goes out with it
                            ttft_ms = (time.perf_counter() - t_start) * 1000
                        yield TokenEvent(text=delta)
                        if time.monotonic() > deadline:
                            timed_out = True
                            break
                finally:
                    close = getattr(tokens_iter, "close", None)
                    if close is not None:
                        close()  # stops the model at once (llama.cpp stops decoding when its stream closes)
                if not shown and says_something(text):  # it ended on an unclosed "[1": that is content
                    shown, ttft_ms = True, (time.perf_counter() - t_start) * 1000
                    yield TokenEvent(text=text)
                if shown or timed_out or cancel.is_set() or attempt == len(attempts) - 1:
                    break
                logger.info("answer without content (%r): asking once more", text[:40])
            gen_s = time.perf_counter() - t_start
            if recheck_with is not None and shown and not (timed_out or cancel.is_set() or is_refusal(text)):
                report = self._check(text, sources, query, asked)
                # flagged, or backed by a source that speaks of the question clearly less than another
                cited = {c.number for c in report.citations}
                off = (
                    cfg.answer.recheck_off_question
                    and coverage_gap(query, sources, cited) >= OFF_QUESTION_GAP
                )
                if report.flagged or off:
                    t_re = time.perf_counter()
                    second = self._recheck(recheck_with, query, sources, options, cancel, deadline, asked)
                    recheck_ms = (time.perf_counter() - t_re) * 1000
                    if second is not None:
                        revised_from, (text, report) = text, second
        except (GeneratorCrashed, GeneratorUnavailable) as exc:
            # The model's process died (or the external server went away) mid-answer: this answer
            # ends here, with what it said so far discarded by the client; the next one gets a
            # restarted generator.
            logger.warning("answer ended: %s", exc.detail)
            yield ErrorEvent(detail=exc.detail, code=exc.code)
            return
        finally:
            if ticket is not None:
                ticket.close()  # free the slot before the citation work (a flagged answer's is done)
        if gen_s is None:
            gen_s = time.perf_counter() - t_start
        if timed_out:
            yield ErrorEvent(detail="The answer took too long and was stopped.", code="timeout")
        declined = decision == "refuse"  # the model's odds of refusing were high enough to go by
        empty = not shown and not cancel.is_set() and not declined
        if empty or declined:
            text = ABSTAIN_TEXT[lang]
            if declined:  # the abstention is the first text the reader sees
                ttft_ms = (time.perf_counter() - t_start) * 1000
            yield TokenEvent(text=text)
        if report is None:  # checked already where the answer went to the recheck
            report = self._check(text, sources, query, asked)
        refused = empty or declined or is_refusal(text)
        yield citations_out(report, sources, revised_from=revised_from)
        tokens = self.generator.count_tokens(text) if text else 0
        streamed = tokens if revised_from is None else self.generator.count_tokens(revised_from)
        decode_s = gen_s - (ttft_ms or 0) / 1000
        try:
            prompt_tokens: int | None = self.generator.prompt_tokens(messages)  # for OpenAI's `usage`
        except Exception:  # only a figure: the answer is complete without it
            logger.debug("prompt token count failed", exc_info=True)
            prompt_tokens = None
        yield DoneEvent(
            abstained=refused,
            abstain_reason="empty_answer" if empty else "model_declined" if refused else None,
            cancelled=cancel.is_set() and not timed_out,
            retrieval_ms=round(retrieval_ms, 1),
            ttft_ms=round(ttft_ms, 1) if ttft_ms is not None else None,
            tokens=tokens if revised_from is None else tokens + streamed,  # both attempts' tokens
            # of the streamed answer (a second attempt is timed by recheck_ms)
            tokens_per_s=round((streamed - 1) / decode_s, 2) if streamed > 1 and decode_s > 0 else None,
            generation_ms=round(gen_s * 1000, 1),
            prompt_tokens=prompt_tokens,
            dropped=dropped,
            refusal_logprob=None if refusal_lp is None else round(refusal_lp, 4),
            recheck_ms=None if recheck_ms is None else round(recheck_ms, 1),
            revised=revised_from is not None,
        )

    def _check(self, text: str, sources: Sequence[PackedSource], query: str, asked: str) -> CitationReport:
        """The citation check of ``text`` against the sources the model was shown. The query, not the
        bare question: a follow-up's topic is in the question before it."""
        crosslingual = self.settings.answer.crosslingual_support
        return check_citations(
            text,
            [SourceRef(s.number, s.text, s.passage.title) for s in sources],
            question=query,
            topic=asked,
            similar=EmbeddingSimilarity(self.retriever.embedder) if crosslingual else None,
        )

    def _recheck(
        self,
        prompt_for: Callable[[PackedSource], list[Message]],
        query: str,
        sources: Sequence[PackedSource],
        options: GenerationOptions,
        cancel: threading.Event,
        deadline: float,
        asked: str,
    ) -> tuple[str, CitationReport] | None:
        """A second attempt at an answer the check flagged, from the one source that holds most of the
        question's words (a small model that copies from the wrong passage of several reads one passage
        well), and its check. None unless it says something, doesn't decline and the check passes it:
        then the first answer stands, flags and all. Measured in README, Revised answers."""
        source = most_covered(query, sources)
        try:
            text = self._whole(prompt_for(source), options, cancel, deadline)
        except (GeneratorCrashed, GeneratorUnavailable) as exc:  # the first answer is whole: keep it
            logger.warning("second attempt at a flagged answer failed: %s", exc.detail)
            return None
        if text is None or cancel.is_set() or not says_something(text) or is_refusal(text):
            return None
        report = self._check(text, [source], query, asked)
        logger.info(
            "flagged answer, second attempt from [%d]: %s",
            source.number,
            "kept" if not report.flagged else "flagged too",
        )
        return None if report.flagged else (text, report)


def evidence_score(p: Passage) -> float:
    """How strongly a passage matches the question, on the scale the abstention threshold is
    calibrated on: the dense (cosine) similarity, whatever the search mode ranked by."""
    dense = getattr(p, "dense_score", None)
    return float(dense if dense is not None else p.score)


def source_out(s: PackedSource) -> SourceOut:
    p: Passage = s.passage  # type: ignore[assignment]
    return SourceOut(
        number=s.number,
        chunk_id=p.chunk_id,
        document_id=p.document_id,
        title=p.title,
        filename=p.filename,
        page=p.page,
        page_label=p.page_label,
        char_start=p.char_start,
        char_end=p.char_end,
        text=p.text,
        shown=s.text,
        spans=[list(span) for span in s.spans],
        score=p.score,
        ocr=p.ocr,
    )


def _page_span(source: PackedSource, start: int, end: int) -> tuple[int, int]:
    """Map a [start, end) span of the text shown to the model back to offsets in the page text."""
    pos = 0
    p: Passage = source.passage  # type: ignore[assignment]
    for a, b in source.spans:
        piece = p.text[a - p.char_start : b - p.char_start].strip()
        lead = len(p.text[a - p.char_start : b - p.char_start]) - len(
            p.text[a - p.char_start : b - p.char_start].lstrip()
        )
        if start < pos + len(piece):
            s = a + lead + max(0, start - pos)
            e = a + lead + min(len(piece), end - pos)
            return s, max(s, e)
        pos += len(piece) + len(SEP)
    return source.spans[0][0], source.spans[-1][1]


def citations_out(
    report: CitationReport, sources: Sequence[PackedSource], *, revised_from: str | None = None
) -> CitationsEvent:
    by_number = {s.number: s for s in sources}
    items = []
    for c in report.citations:
        src = by_number[c.number]
        p: Passage = src.passage  # type: ignore[assignment]
        if c.evidence_end > c.evidence_start:
            span = _page_span(src, c.evidence_start, c.evidence_end)
        else:  # no lexical overlap (e.g. an English sentence citing a Japanese page): the whole passage
            span = (src.spans[0][0], src.spans[-1][1])
        items.append(
            CitationOut(
                number=c.number,
                sentence_index=c.sentence_index,
                status=c.status,
                support=round(c.support, 3),
                chunk_id=p.chunk_id,
                document_id=p.document_id,
                title=p.title,
                page=p.page,
                page_label=p.page_label,
                char_start=span[0],
                char_end=span[1],
                ocr=p.ocr,
                missing=list(c.missing),
            )
        )
    sentences = [
        AnswerSentenceOut(
            start=s.start, end=s.end, text=s.text, numbers=list(s.numbers), supported=s.supported
        )
        for s in report.sentences
    ]
    return CitationsEvent(
        answer=report.answer,
        citations=items,
        sentences=sentences,
        invalid_numbers=report.invalid_numbers,
        answers_question=report.answers_question,
        revised_from=revised_from,
    )


_MARKER = re.compile(r"\s*\[\d+\]")


def make_eval_answer_fn(container: Any) -> Callable[[str, str], tuple[str, bool, list[int]]]:
    """The hook `shiori eval --answers` calls: ``fn(question, collection) -> (answer, abstained,
    cited chunk ids)``. The answer comes back without its [n] markers, so that EM/F1 score the words.
    A container built without a generator gets one from its settings here (loaded once)."""
    service: AnswerService | None = container.answers
    if service is None:
        if container.retriever is None:
            raise InvalidInput("Answering needs the search index.", code="answering_unavailable")
        generator = container.generator or create_generator(container.settings)
        container.generator = generator
        service = container.answers = AnswerService(container.settings, container.retriever, generator)

    def answer(question: str, collection: str) -> tuple[str, bool, list[int]]:
        out = service.answer(AskRequest(question=question, collection=collection))
        if out.error is not None:
            logger.warning("eval answer error code=%s", out.error.code)
        cited = list(dict.fromkeys(c.chunk_id for c in out.citations))
        return _MARKER.sub("", out.answer).strip(), out.abstained, cited

    return answer
