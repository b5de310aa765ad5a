"""Request and response bodies of the v1 API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

DocStatus = Literal["queued", "processing", "ready", "failed"]


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


class SearchIn(BaseModel):
    query: str = Field(min_length=1, examples=["Transformerを提案した論文は？"])
    collection: str = "default"
    k: int = Field(5, ge=1)


class PassageOut(BaseModel):
    chunk_id: int
    document_id: int
    title: str
    filename: str
    page: int = Field(description="1-based physical page where the passage starts")
    page_end: int
    page_label: str | None = Field(description="Printed page label, when the PDF defines one")
    char_start: int = Field(description="Offset of the passage in the page's normalised text")
    char_end: int
    text: str
    score: float
    retriever: str


class SearchOut(BaseModel):
    query: str
    collection: str
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
