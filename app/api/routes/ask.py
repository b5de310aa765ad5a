from __future__ import annotations

import threading
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse

from app.api.deps import ContainerDep, ShutdownDep
from app.api.schemas import AskIn, AskOut, ErrorOut
from app.api.security import ReaderDep, caller_id, check_collection
from app.api.sse import run_until_disconnect, stream_events
from app.core.errors import NotReady
from app.core.slots import Ticket
from app.services.answer_events import AnswerOut
from app.services.answering import AnswerService, AskRequest
from app.services.container import Container
from app.services.keys import Principal

router = APIRouter(prefix="/api/v1", tags=["answer"])

SSE_DOC = (
    "With `stream: true` the response is `text/event-stream` with events `sources` (numbered passages, "
    "sent when retrieval is done), `token` (`{text}` deltas), `citations` (checked citations with "
    "document, page and character span), `done` (timings: retrieval_ms, ttft_ms, tokens, tokens_per_s, "
    "dropped passages) and `error` (`{detail, code}`; `timeout`, or `shutting_down` when the server is "
    "restarting: ask again)."
)


def _service(container: Container) -> AnswerService:
    if container.answers is None:
        raise NotReady("Answering is not available in this process.", code="answering_unavailable")
    return container.answers


async def admit(
    request: Request, container: Container, principal: Principal, req: AskRequest
) -> tuple[AnswerService, Ticket]:
    """Everything that can refuse a question before an answer starts (what /api/v1/ask and
    /v1/chat/completions share): the key's collection, the question itself, the generator's state,
    and a place in line (QueueFull / CallerQueueFull: 429 with Retry-After)."""
    check_collection(principal, req.collection)
    service = _service(container)
    await anyio.to_thread.run_sync(service.check, req)
    return service, container.slots.reserve(caller_id(principal, request))


async def answer_whole(
    request: Request, service: AnswerService, req: AskRequest, ticket: Ticket
) -> AnswerOut:
    """JSON mode: the whole answer, stopped if the client goes away; the place in line is freed."""
    try:
        return await run_until_disconnect(
            request, lambda cancel: service.answer(req, ticket=ticket, cancel=cancel)
        )
    finally:
        ticket.close()


@router.post(
    "/ask",
    response_model=AskOut,
    description="Answer a question from the collection's documents, with numbered citations. " + SSE_DOC,
    responses={
        200: {"content": {"text/event-stream": {}}},
        404: {"model": ErrorOut},
        422: {"model": ErrorOut},
        429: {"model": ErrorOut},
        503: {"model": ErrorOut},
    },
)
async def ask(
    body: AskIn, request: Request, container: ContainerDep, principal: ReaderDep, shutdown: ShutdownDep
) -> Any:
    req = AskRequest(
        question=body.question,
        collection=body.collection,
        history=[{"role": m.role, "content": m.content} for m in body.history],
        k=body.k,
    )
    service, ticket = await admit(request, container, principal, req)
    if not body.stream:
        result = await answer_whole(request, service, req, ticket)
        return JSONResponse(result.model_dump(mode="json"))
    cancel = threading.Event()
    return StreamingResponse(
        stream_events(
            lambda: service.stream(req, ticket=ticket, cancel=cancel),
            cancel,
            on_close=ticket.close,
            shutdown=shutdown,
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
