"""Request and response bodies of the v1 API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.services.answer_events import AnswerOut

DocStatus = Literal["queued", "processing", "ready", "failed"]

# Ids are 64-bit and page numbers 32-bit in the database: larger numbers are a 422, not a driver error.
MAX_ID = 2**63 - 1
MAX_PAGE = 2**31 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE)]


class ErrorOut(BaseModel):
    detail: str
    code: str


class CollectionIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["default"])


class CollectionOut(BaseModel):
    id: int
    name: str
    documents: int
    created_at: datetime


class ProgressOut(BaseModel):
    stage: str | None
    attempts: int
    pages_done: int
    pages_total: int | None
    chunks_done: int
    chunks_total: int | None
    error: str | None = Field(description="Last error of a retried attempt, if any")


class DocumentOut(BaseModel):
    id: int
    collection: str
    filename: str
    title: str | None
    mime: str | None
    size_bytes: int
    sha256: str
    status: DocStatus
    pages: int | None = Field(description="Physical pages in the file")
    pages_indexed: int | None = Field(description="Pages with readable text that were indexed")
    chunk_count: int
    error: str | None = Field(description="Why the document failed, in words a person understands")
    created_at: datetime
    updated_at: datetime
    progress: ProgressOut | None


class UploadItemOut(BaseModel):
    document_id: int
    job_id: int | None = Field(description="None when the file was already in the collection")
    filename: str
    status: DocStatus
    duplicate: bool


class UploadOut(BaseModel):
    collection: str
    documents: list[UploadItemOut]


class PageOut(BaseModel):
    document_id: int
    page: int = Field(description="1-based physical page")
    page_label: str | None = Field(
        description='A PDF\'s printed page label, or an Office page\'s name ("Slide 3", "Sheet 売上")'
    )
    text: str = Field(description="The page's normalised text; passage and citation offsets point into it")
    ocr: bool = Field(False, description="The text was read by OCR (a scan or an image)")


class BoxRectOut(BaseModel):
    x0: float = Field(description="Left edge")
    y0: float = Field(description="Top edge")
    x1: float = Field(description="Right edge")
    y1: float = Field(description="Bottom edge")
    vertical: bool = Field(description="The rectangle runs down a column of vertical writing")

    def rounded(self) -> BoxRectOut:
        """To 1/100 point: finer than any screen shows, and a quarter of the JSON."""
        return self.model_copy(update={k: round(getattr(self, k), 2) for k in ("x0", "y0", "x1", "y1")})


class PageBoxesOut(BaseModel):
    document_id: int
    page: int = Field(description="1-based physical page")
    start: int = Field(description="Offset of the span in the page's normalised text")
    end: int
    width: float = Field(
        description="Page width in page units: PDF points (1/72 inch) of the page as displayed (its "
        "crop box, turned by its rotation); for an image file, 1/72 inch at its declared resolution. "
        "Scale rectangles by the width of the image they are drawn on over this"
    )
    height: float = Field(description="Page height in page units")
    rects: list[BoxRectOut] = Field(
        description="The span's character boxes merged per line (per column in vertical writing), in "
        "reading order; origin at the page's top-left corner, y down"
    )
    missing: int = Field(
        description="Characters of the span (not counting whitespace) without a box; they are not drawn"
    )


class SearchIn(BaseModel):
    query: str = Field(min_length=1, examples=["Transformerを提案した論文は？"])
    collection: str = "default"
    k: int = Field(5, ge=1)
    mode: Literal["hybrid", "dense", "keyword"] | None = Field(
        None, description="hybrid (dense + BM25, fused), dense or keyword; default from the server settings"
    )
    document_ids: list[RowId] | None = Field(
        None, max_length=1000, description="Only search these documents of the collection"
    )
    pages: list[PageNumber] | None = Field(
        None, max_length=5000, description="Only passages on (or running through) these 1-based pages"
    )
    rerank: bool | None = Field(
        None, description="Rerank with the configured cross-encoder (default: on when one is configured)"
    )


class PassageOut(BaseModel):
    chunk_id: int
    document_id: int
    title: str
    filename: str
    page: int = Field(description="1-based physical page where the passage starts")
    page_end: int
    page_label: str | None = Field(
        description='A PDF\'s printed page label, or an Office page\'s name ("Slide 3", "Sheet 売上")'
    )
    char_start: int = Field(description="Offset of the passage in the page's normalised text")
    char_end: int
    text: str
    score: float = Field(description="What the list is ranked by (fused, dense, BM25 or reranker score)")
    retriever: Literal["dense", "keyword", "dense+keyword"] = Field(
        description="Which retriever's candidates held the passage"
    )
    dense_score: float | None = Field(description="Cosine similarity to the query (dense and hybrid modes)")
    keyword_score: float | None = Field(description="BM25 score (keyword and hybrid modes)")
    rerank_score: float | None = Field(description="Cross-encoder score, when reranked")
    ocr: bool = Field(False, description="The page's text was read by OCR (a scan or an image)")


class SearchOut(BaseModel):
    query: str
    collection: str
    mode: Literal["hybrid", "dense", "keyword"]
    reranked: bool
    passages: list[PassageOut]
    timings_ms: dict[str, float]


class HealthOut(BaseModel):
    status: Literal["ok"]


class ReadyOut(BaseModel):
    status: Literal["ready", "starting"]
    database: bool
    embedding_model: str | None
    indexed_chunks: int
    worker: Literal["embedded", "external"]
    generator: Literal["loaded", "loading", "lazy", "restarting", "unreachable", "error", "disabled"] = Field(
        description="Answering model: loaded, loading in the background, loaded on first question, its "
        "process restarting after a crash, external server unreachable, failed"
    )
    generator_error: str | None = None
    generator_restarts: int = Field(0, description="Times the generator process was restarted")


# The same conversation limits for /api/v1/ask and /v1/chat/completions.
MAX_HISTORY_MESSAGES = 50
MAX_MESSAGE_CHARS = 20_000


class ChatMessageIn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_MESSAGE_CHARS)


class AskIn(BaseModel):
    question: str = Field(min_length=1, examples=["Transformerを提案した論文は？"])
    collection: str = "default"
    history: list[ChatMessageIn] = Field(default_factory=list, max_length=MAX_HISTORY_MESSAGES)
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve (default from settings)")
    stream: bool = False


# The answer's payloads are defined once, with the service that produces them.
AskOut = AnswerOut


class KeyIn(BaseModel):
    role: Literal["reader", "writer", "admin"]
    name: str | None = Field(None, max_length=100)
    collections: list[str] | None = Field(
        None, min_length=1, max_length=100, description="Collections the key may use (default: all)"
    )


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart")
    role: Literal["reader", "writer", "admin"]
    collections: list[str] | None
    created_at: datetime
    revoked_at: datetime | None


class CreatedKeyOut(KeyOut):
    key: str = Field(description="The key itself. Shown only this once; store it now")


class WhoAmIOut(BaseModel):
    auth_required: bool
    name: str
    role: Literal["reader", "writer", "admin"]
    collections: list[str] | None
