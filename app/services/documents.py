"""Collections and documents in the database and in storage: spool uploads (dedup by sha256), list,
inspect, delete. Every function works in the session it is given and never commits: the caller's
`session_scope` is the unit of work (the write use cases are in `app.services.library`)."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.core.errors import Conflict, InvalidInput, NotFound, PayloadTooLarge
from app.db import models as m

logger = logging.getLogger(__name__)

_COLLECTION_NAME = re.compile(r"^[^\s/\\][^/\\]{0,99}$")
COPY_BLOCK = 1 << 20


# ---- collections ---------------------------------------------------------------------------------
def validate_collection_name(name: str) -> str:
    name = unicodedata.normalize("NFC", name.strip())
    if not _COLLECTION_NAME.match(name) or any(unicodedata.category(c).startswith("C") for c in name):
        raise InvalidInput(
            "A collection name is 1-100 characters, without slashes or control characters.",
            code="invalid_collection_name",
        )
    return name


def create_collection(session: Session, name: str) -> m.Collection:
    name = validate_collection_name(name)
    if session.scalar(select(m.Collection.id).where(m.Collection.name == name)) is not None:
        raise Conflict(f"Collection {name!r} already exists.", code="collection_exists")
    coll = m.Collection(name=name)
    session.add(coll)
    session.flush()
    return coll


def get_or_create_collection(session: Session, name: str) -> m.Collection:
    coll = session.scalar(select(m.Collection).where(m.Collection.name == name))
    return coll if coll is not None else create_collection(session, name)


def get_collection(session: Session, name: str) -> m.Collection:
    coll = session.scalar(select(m.Collection).where(m.Collection.name == name))
    if coll is None:
        raise NotFound(f"No collection named {name!r}.", code="collection_not_found")
    return coll


def list_collections(session: Session) -> list[tuple[m.Collection, int]]:
    counts = (
        select(m.Document.collection_id, func.count(m.Document.id).label("n"))
        .group_by(m.Document.collection_id)
        .subquery()
    )
    rows = session.execute(
        select(m.Collection, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.collection_id == m.Collection.id)
        .order_by(m.Collection.name)
    ).all()
    return [(c, int(n)) for c, n in rows]


# ---- uploads -------------------------------------------------------------------------------------
# Embeddings, overrides and isolates of the Unicode bidirectional algorithm, and the implicit marks.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def validate_filename(raw: str | None) -> str:
    """The name shown to people. Never used to build a path (files are stored by content hash)."""
    if raw is None or not raw.strip():
        raise InvalidInput("Each uploaded file needs a file name.", code="invalid_filename")
    name = unicodedata.normalize("NFC", raw)
    if any(unicodedata.category(c) == "Cc" for c in name):
        raise InvalidInput("The file name contains control characters.", code="invalid_filename")
    if any(c in BIDI_CONTROLS for c in name):
        # U+202E shows "report\u202Efdp.exe" as "reportexe.pdf": a name must read as it is.
        raise InvalidInput(
            "The file name contains bidirectional control characters; rename the file.",
            code="invalid_filename",
        )
    if "/" in name or "\\" in name or name.strip() in {".", ".."}:
        raise InvalidInput(
            f"The file name {name!r} contains a path; send just the file's name.", code="invalid_filename"
        )
    if len(name.encode()) > 255:
        raise InvalidInput("The file name is longer than 255 bytes.", code="invalid_filename")
    return name.strip()


@dataclass
class SpooledUpload:
    """An upload written to a temporary file beside the uploads folder, with its hash and size."""

    path: Path
    filename: str
    size: int
    sha256: str

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class UploadWriter:
    """Streams one upload to disk, hashing as it goes and stopping at the size limit."""

    def __init__(self, uploads_dir: Path, filename: str, max_bytes: int) -> None:
        tmp_dir = uploads_dir / ".incoming"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix="up-")
        self._fh: BinaryIO = os.fdopen(fd, "wb")
        self.path = Path(tmp)
        self.filename = filename
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.max_bytes:
            self.abort()
            raise PayloadTooLarge(
                f"{self.filename!r} is larger than the upload limit of {self.max_bytes:,} bytes.",
                code="file_too_large",
            )
        self._hash.update(data)
        self._fh.write(data)

    def finish(self) -> SpooledUpload:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        return SpooledUpload(self.path, self.filename, self.size, self._hash.hexdigest())

    def abort(self) -> None:
        if not self._fh.closed:
            self._fh.close()
        self.path.unlink(missing_ok=True)


def spool_file(src: BinaryIO, uploads_dir: Path, filename: str, max_bytes: int) -> SpooledUpload:
    writer = UploadWriter(uploads_dir, filename, max_bytes)
    try:
        while block := src.read(COPY_BLOCK):
            writer.write(block)
    except BaseException:
        writer.abort()
        raise
    return writer.finish()


@dataclass
class Registered:
    document: m.Document
    job_id: int | None
    duplicate: bool


def register_upload(
    session: Session, uploads_dir: Path, coll: m.Collection, upload: SpooledUpload
) -> Registered:
    """Store the file by hash and queue a job, or report the existing document if it's a duplicate.
    The caller commits (one transaction per file: `Library.add_uploads`)."""
    existing = session.scalar(
        select(m.Document).where(m.Document.collection_id == coll.id, m.Document.sha256 == upload.sha256)
    )
    if existing is not None:
        upload.discard()
        return Registered(existing, None, True)
    rel = Path(str(coll.id)) / upload.sha256[:2] / upload.sha256
    dest = uploads_dir / rel
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(upload.path, dest)  # same filesystem: atomic
    doc = m.Document(
        collection_id=coll.id,
        filename=upload.filename,
        size_bytes=upload.size,
        sha256=upload.sha256,
        storage_path=str(rel),
        status=m.DocumentStatus.queued,
    )
    job = m.IngestJob(document=doc, stage="queued")
    try:
        with session.begin_nested():  # a savepoint: a lost race undoes only these two rows
            session.add_all([doc, job])
    except IntegrityError:  # the same file raced in through another request
        existing = session.scalar(
            select(m.Document).where(m.Document.collection_id == coll.id, m.Document.sha256 == upload.sha256)
        )
        if existing is None:
            raise
        return Registered(existing, None, True)
    return Registered(doc, job.id, False)


# ---- reading and deleting ------------------------------------------------------------------------
def list_documents(
    session: Session,
    coll: m.Collection,
    *,
    status: m.DocumentStatus | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[m.Document]:
    stmt = (
        select(m.Document)
        .options(selectinload(m.Document.job))
        .where(m.Document.collection_id == coll.id)
        .order_by(m.Document.id)
        .limit(limit)
        .offset(offset)
    )
    if status is not None:
        stmt = stmt.where(m.Document.status == status)
    return list(session.scalars(stmt))


def get_document(session: Session, document_id: int) -> m.Document:
    doc = session.scalar(
        select(m.Document)
        .options(selectinload(m.Document.job), selectinload(m.Document.collection))
        .where(m.Document.id == document_id)
    )
    if doc is None:
        raise NotFound(f"No document with id {document_id}.", code="document_not_found")
    return doc


def get_page(session: Session, document_id: int, number: int) -> m.Page:
    """One page's normalised text: the text citation and passage offsets (char_start/char_end) point into."""
    page = session.scalar(select(m.Page).where(m.Page.document_id == document_id, m.Page.number == number))
    if page is not None:
        return page
    doc = get_document(session, document_id)  # raises document_not_found
    if doc.status != m.DocumentStatus.ready:
        raise NotFound(
            f"Document {document_id} is not ready yet (status: {doc.status.value}).", code="page_not_found"
        )
    if doc.pages is not None and 1 <= number <= doc.pages:
        raise NotFound(f"Page {number} has no readable text (it was not indexed).", code="page_not_found")
    raise NotFound(f"Document {document_id} has no page {number}.", code="page_not_found")


def document_file(uploads_dir: Path, doc: m.Document) -> Path:
    path = uploads_dir / doc.storage_path
    if not path.is_file():
        raise NotFound("The original file is missing from storage.", code="file_missing")
    return path


def delete_document(session: Session, uploads_dir: Path, doc: m.Document) -> Path:
    """Delete the row (chunks, pages and job go with it). Returns the stored file, for the caller to
    remove once the transaction has committed."""
    # A Core DELETE: the database cascades to chunks, pages and the job (ON DELETE CASCADE).
    session.execute(delete(m.Document).where(m.Document.id == doc.id))
    return uploads_dir / doc.storage_path


def delete_paths(paths: Iterable[Path]) -> None:
    for p in paths:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
