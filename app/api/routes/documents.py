from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Path, Query, Request, Response, status
from fastapi.responses import FileResponse

from app.api.deps import ContainerDep, SessionDep
from app.api.multipart import read_multipart
from app.api.schemas import (
    MAX_ID,
    MAX_PAGE,
    BoxRectOut,
    DocumentOut,
    ErrorOut,
    PageBoxesOut,
    PageOut,
    ProgressOut,
    UploadItemOut,
    UploadOut,
)
from app.api.security import ReaderDep, WriterDep, check_collection, check_document, check_document_id
from app.core.errors import InvalidInput, PayloadTooLarge
from app.core.page_render import MAX_WIDTH, MIN_WIDTH, ImageFormat
from app.db import models as m
from app.services import documents as docs
from app.services.page_boxes import span_boxes

router = APIRouter(prefix="/api/v1", tags=["documents"])

DocumentId = Annotated[int, Path(ge=1, le=MAX_ID)]

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            }
        },
    }
}


def document_out(doc: m.Document, collection: str) -> DocumentOut:
    job = doc.job
    progress = None
    if job is not None:
        progress = ProgressOut(
            stage=job.stage,
            attempts=job.attempts,
            pages_done=job.pages_done,
            pages_total=job.pages_total,
            chunks_done=job.chunks_done,
            chunks_total=job.chunks_total,
            error=job.error,
        )
    return DocumentOut(
        id=doc.id,
        collection=collection,
        filename=doc.filename,
        title=doc.title,
        mime=doc.mime,
        size_bytes=doc.size_bytes,
        sha256=doc.sha256,
        status=doc.status.value,
        pages=doc.pages,
        pages_indexed=doc.pages_indexed,
        chunk_count=doc.chunk_count,
        error=doc.error,
        created_at=doc.created_at,
        updated_at=doc.updated_at,
        progress=progress,
    )


@router.post(
    "/collections/{collection}/documents",
    response_model=UploadOut,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=_UPLOAD_BODY,
    responses={
        404: {"model": ErrorOut},
        413: {"model": ErrorOut},
        422: {"model": ErrorOut},
    },
)
async def upload_documents(
    collection: str, request: Request, container: ContainerDep, principal: WriterDep
) -> UploadOut:
    """Upload one or more files (form field `files`). Each is queued for ingestion; a file already in
    the collection (same content) is reported as a duplicate and not ingested again."""
    check_collection(principal, collection)
    library, limits = container.library, container.settings.limits
    await anyio.to_thread.run_sync(library.check_collection, collection)
    declared = request.headers.get("content-length")
    budget = limits.max_upload_bytes * limits.max_files_per_upload + 1024 * 1024
    if declared is not None and declared.isdigit() and int(declared) > budget:
        raise PayloadTooLarge(
            f"The upload is larger than the limit ({limits.max_upload_bytes:,} bytes per file).",
            code="file_too_large",
        )
    form = await read_multipart(
        request.headers.get("content-type", ""),
        request.stream(),
        uploads_dir=library.uploads_dir,
        file_field="files",
        max_file_bytes=limits.max_upload_bytes,
        max_files=limits.max_files_per_upload,
    )
    if not form.files:
        raise InvalidInput("No file was sent; use the form field `files`.", code="no_files")
    added = await anyio.to_thread.run_sync(library.add_uploads, collection, form.files)
    return UploadOut(collection=collection, documents=[UploadItemOut(**asdict(a)) for a in added])


@router.get(
    "/collections/{collection}/documents",
    response_model=list[DocumentOut],
    responses={404: {"model": ErrorOut}},
)
def list_documents(
    collection: str,
    principal: ReaderDep,
    session: SessionDep,
    status_filter: Annotated[m.DocumentStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[DocumentOut]:
    check_collection(principal, collection)
    coll = docs.get_collection(session, collection)
    return [
        document_out(d, coll.name)
        for d in docs.list_documents(session, coll, status=status_filter, limit=limit, offset=offset)
    ]


@router.get("/documents/{document_id}", response_model=DocumentOut, responses={404: {"model": ErrorOut}})
def get_document(document_id: DocumentId, principal: ReaderDep, session: SessionDep) -> DocumentOut:
    doc = docs.get_document(session, document_id)
    check_document(principal, doc)
    return document_out(doc, doc.collection.name)


@router.delete(
    "/documents/{document_id}", status_code=status.HTTP_204_NO_CONTENT, responses={404: {"model": ErrorOut}}
)
def delete_document(document_id: DocumentId, principal: WriterDep, container: ContainerDep) -> Response:
    """Delete the document, its chunks and its file. It disappears from search at once."""
    container.library.delete_document(document_id, can_use=principal.can_use)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/documents/{document_id}/pages/{page}",
    response_model=PageOut,
    responses={404: {"model": ErrorOut}},
)
def get_page(
    document_id: DocumentId,
    page: Annotated[int, Path(ge=1, le=MAX_PAGE)],
    principal: ReaderDep,
    session: SessionDep,
) -> PageOut:
    """A page's normalised text, the text that passage and citation `char_start`/`char_end` point into."""
    check_document_id(principal, session, document_id)
    row = docs.get_page(session, document_id, page)
    return PageOut(
        document_id=row.document_id, page=row.number, page_label=row.label, text=row.text, ocr=row.ocr
    )


@router.get(
    "/documents/{document_id}/pages/{page}/boxes",
    response_model=PageBoxesOut,
    responses={404: {"model": ErrorOut}},
)
def get_page_boxes(
    document_id: DocumentId,
    page: Annotated[int, Path(ge=1, le=MAX_PAGE)],
    principal: ReaderDep,
    session: SessionDep,
    start: Annotated[int, Query(ge=0, le=MAX_PAGE, description="First character of the span")],
    end: Annotated[int, Query(ge=1, le=MAX_PAGE, description="One past the span's last character")],
) -> PageBoxesOut:
    """Where characters `start` to `end` of the page's normalised text (the offsets of passages and
    citations) are printed on the page: rectangles to highlight on the page image. 404 with code
    `boxes_unavailable` for pages without character boxes (text and Office files, documents ingested
    before boxes were kept)."""
    check_document_id(principal, session, document_id)
    found = span_boxes(session, document_id, page, start, end)
    return PageBoxesOut(
        document_id=document_id,
        page=page,
        start=start,
        end=end,
        width=round(found.width, 2),
        height=round(found.height, 2),
        rects=[
            BoxRectOut(x0=r.x0, y0=r.y0, x1=r.x1, y1=r.y1, vertical=r.vertical).rounded() for r in found.rects
        ],
        missing=found.missing,
    )


@router.get(
    "/documents/{document_id}/file",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, 404: {"model": ErrorOut}},
)
def get_document_file(
    document_id: DocumentId, principal: ReaderDep, session: SessionDep, container: ContainerDep
) -> FileResponse:
    """The original file as uploaded (PDFs open inline; append #page=N to jump to a page)."""
    doc = docs.get_document(session, document_id)
    check_document(principal, doc)
    path = docs.document_file(container.settings.paths.uploads_dir, doc)
    media = doc.mime or "application/octet-stream"
    if media in {"text/html", "text/markdown"}:
        media = "text/plain; charset=utf-8"  # never render uploaded HTML in our origin
    return FileResponse(
        path,
        media_type=media,
        filename=doc.filename,
        content_disposition_type="inline" if media == "application/pdf" else "attachment",
        headers={"X-Content-Type-Options": "nosniff"},
    )


@router.get(
    "/documents/{document_id}/pages/{page}/image",
    response_class=FileResponse,
    responses={
        200: {"content": {"image/png": {}, "image/webp": {}}},
        404: {"model": ErrorOut},
        422: {"model": ErrorOut},
    },
)
def get_page_image(
    document_id: DocumentId,
    page: Annotated[int, Path(ge=1, le=MAX_PAGE)],
    principal: ReaderDep,
    session: SessionDep,
    container: ContainerDep,
    width: Annotated[int, Query(ge=MIN_WIDTH, le=MAX_WIDTH, description="pixels; rounded up to 100")] = 1200,
    format: Annotated[ImageFormat, Query()] = "png",  # noqa: A002 - the query parameter's name
) -> FileResponse:
    """A page of a PDF or an uploaded image, drawn `width` pixels wide (the page's shape kept). The
    first request renders it (a second or so), later ones come from the cache. Word, PowerPoint,
    Excel and text documents have no page images (404 `no_page_image`)."""
    doc = docs.get_document(session, document_id)
    check_document(principal, doc)
    image = container.page_images.get(session, doc, page, width, format)
    return FileResponse(
        image.path,
        media_type=image.media_type,
        headers={"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )
