"""OpenAI-compatible chat completions over Shiori's answering, so existing clients can talk to it.

The last user message is the question, earlier user/assistant turns are the history. Citations and
sources travel in extra fields (`citations`, `sources`, `abstained`) that OpenAI clients ignore; in
stream mode they come in the final chunk, before `data: [DONE]`.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field, model_validator

from app.api.deps import ContainerDep, ShutdownDep
from app.api.routes.ask import admit, answer_whole
from app.api.schemas import MAX_HISTORY_MESSAGES, MAX_MESSAGE_CHARS, ErrorOut
from app.api.security import ReaderDep
from app.api.sse import stream_events
from app.core.errors import InvalidInput
from app.core.generation import Message
from app.services.answer_events import (
    AnswerOut,
    CitationsEvent,
    DoneEvent,
    ErrorEvent,
    SourcesEvent,
    TokenEvent,
)
from app.services.answering import AnswerService, AskRequest

router = APIRouter(prefix="/v1", tags=["openai"])
MAX_CONTENT_PARTS = 100


class ContentPart(BaseModel):
    """One part of a message's content. Only text parts are read; others (images, ...) are ignored."""

    type: str = Field(max_length=50)
    text: str | None = None
    model_config = {"extra": "allow"}

    @model_validator(mode="after")
    def _text_part_has_text(self) -> ContentPart:
        if self.type == "text" and self.text is None:
            raise ValueError("a text part needs `text`, a string")
        return self


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | Annotated[list[ContentPart], Field(max_length=MAX_CONTENT_PARTS)] | None = None


class ChatCompletionIn(BaseModel):
    model: str = "shiori"
    # The history /api/v1/ask accepts, its question, and a few system/tool messages.
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_HISTORY_MESSAGES + 10)
    stream: bool = False
    collection: str = Field("default", description="Shiori extension: the collection to answer from")
    k: int | None = Field(None, ge=1, le=50, description="Shiori extension: passages to retrieve")
    model_config = {"extra": "allow"}  # temperature, max_tokens, ...: accepted, answering decides


def _text(content: str | list[ContentPart] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(part.text or "" for part in content if part.type == "text")


def to_request(body: ChatCompletionIn) -> AskRequest:
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise InvalidInput("The last message must be the user's question.", code="no_question")
    if len(turns) - 1 > MAX_HISTORY_MESSAGES:
        raise InvalidInput(
            f"At most {MAX_HISTORY_MESSAGES} earlier messages are kept; send fewer.", code="history_too_long"
        )
    if any(len(_text(m.content)) > MAX_MESSAGE_CHARS for m in body.messages):
        raise InvalidInput(
            f"A message is longer than {MAX_MESSAGE_CHARS} characters.", code="message_too_long"
        )
    history: list[Message] = [
        {"role": "user" if m.role == "user" else "assistant", "content": _text(m.content)} for m in turns[:-1]
    ]
    return AskRequest(_text(turns[-1].content), body.collection, history, body.k)


@router.get("/models", responses={503: {"model": ErrorOut}})
def list_models(container: ContainerDep, principal: ReaderDep) -> dict[str, Any]:
    model = container.generator.model_id if container.generator is not None else "none"
    return {"object": "list", "data": [{"id": model, "object": "model", "created": 0, "owned_by": "shiori"}]}


@router.post(
    "/chat/completions",
    responses={
        200: {"content": {"text/event-stream": {}}},
        404: {"model": ErrorOut},
        503: {"model": ErrorOut},
    },
)
async def chat_completions(
    body: ChatCompletionIn,
    request: Request,
    container: ContainerDep,
    principal: ReaderDep,
    shutdown: ShutdownDep,
) -> Any:
    req = to_request(body)
    service, ticket = await admit(request, container, principal, req)
    model = container.generator.model_id if container.generator is not None else body.model
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        result = await answer_whole(request, service, req, ticket)
        return JSONResponse(_completion(cid, created, model, result))
    # Streamed content can't be taken back: no second attempt replaces a flagged answer here.
    req = dataclasses.replace(req, revise=False)
    cancel = threading.Event()
    events = stream_events(
        lambda: _chunks(service, req, ticket, cancel, cid, created, model),
        cancel,
        on_close=ticket.close,
        shutdown=shutdown,
    )
    return StreamingResponse(_openai_framing(events), media_type="text/event-stream")


def _usage(done: DoneEvent | None) -> dict[str, int]:
    prompt = (done.prompt_tokens or 0) if done is not None else 0
    completion = done.tokens if done is not None else 0
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion(cid: str, created: int, model: str, result: AnswerOut) -> dict[str, Any]:
    return {
        "id": cid,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": result.answer},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(result.timings),
        "citations": [c.model_dump(mode="json") for c in result.citations],
        "sources": [s.model_dump(mode="json") for s in result.sources],
        "abstained": result.abstained,
        "revised_from": result.revised_from,
    }


def _chunks(
    service: AnswerService,
    req: AskRequest,
    ticket: Any,
    cancel: threading.Event,
    cid: str,
    created: int,
    model: str,
) -> Iterator[tuple[str, dict[str, Any]]]:
    base = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model}
    first = {"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}
    yield "chunk", {**base, "choices": [first]}
    extra: dict[str, Any] = {}
    for ev in service.stream(req, ticket=ticket, cancel=cancel):
        if isinstance(ev, TokenEvent):
            delta = {"index": 0, "delta": {"content": ev.text}, "finish_reason": None}
            yield "chunk", {**base, "choices": [delta]}
        elif isinstance(ev, SourcesEvent):
            extra["sources"] = [s.model_dump(mode="json") for s in ev.sources]
        elif isinstance(ev, CitationsEvent):
            extra["citations"] = [c.model_dump(mode="json") for c in ev.citations]
        elif isinstance(ev, DoneEvent):
            extra["abstained"] = ev.abstained
            extra["usage"] = _usage(ev)
        elif isinstance(ev, ErrorEvent):
            extra["error"] = ev.model_dump()
    final = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], **extra}
    yield "chunk", final


async def _openai_framing(events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """OpenAI streams unnamed `data:` lines and ends with `data: [DONE]`."""
    async for raw in events:
        text = raw.decode()
        name = text.split("\n", 1)[0].removeprefix("event: ")
        data = text.split("data: ", 1)[1].rstrip("\n")
        if name == "error":  # an exception in the producer: pass it on the OpenAI way
            data = json.dumps({"error": json.loads(data)}, ensure_ascii=False)
        yield f"data: {data}\n\n".encode()
    yield b"data: [DONE]\n\n"
