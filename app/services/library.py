"""The write use cases on documents: add files to a collection, delete a document.

Each keeps the database, the stored files and the search index in step. Transactions follow one
rule: a `session_scope` is the unit of work and the only thing that commits; the functions of
`app.services.documents` work inside the session they are given and never commit.

The API's upload route, `shiori ingest`, `shiori eval`, the benches and the tests all add files
through `Library`, so a file is spooled, hashed, deduplicated and queued the same way everywhere.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from app.core.errors import Forbidden
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from app.services import documents as docs
from app.services.keys import document_not_found


class DocumentIndex(Protocol):
    """What deleting needs of the search index: forget a document at once."""

    def remove_document(self, document_id: int) -> object: ...


class DerivedFiles(Protocol):
    """Files made from a document (rendered pages): dropped when it is deleted."""

    def forget(self, document_id: int) -> None: ...


@dataclass(frozen=True)
class AddedFile:
    document_id: int
    job_id: int | None = None  # None for a duplicate: the file is already in the collection
    filename: str = ""
    status: str = "queued"
    duplicate: bool = False


class Library:
    def __init__(
        self,
        factory: SessionFactory,
        uploads_dir: Path,
        *,
        max_upload_bytes: int,
        index: DocumentIndex | None = None,
        derived: DerivedFiles | None = None,
    ) -> None:
        self.factory = factory
        self.uploads_dir = uploads_dir
        self.max_upload_bytes = max_upload_bytes
        self.index = index
        self.derived = derived

    # ---- collections ---------------------------------------------------------------------------
    def ensure_collection(self, name: str) -> None:
        with session_scope(self.factory, write=True) as session:
            docs.get_or_create_collection(session, name)

    def create_collection(self, name: str, *, can_use: Callable[[str], bool] | None = None) -> m.Collection:
        """A new, empty collection. ``can_use(name)`` False: 403 whatever the name (answering 409
        for an existing one would tell a key limited to other collections that it exists)."""
        name = docs.validate_collection_name(name)
        if can_use is not None and not can_use(name):
            raise Forbidden("This key may only create the collections it is limited to.")
        with session_scope(self.factory, write=True) as session:
            return docs.create_collection(session, name)

    def check_collection(self, name: str) -> None:
        """Raises collection_not_found (404) for a collection that doesn't exist."""
        with session_scope(self.factory) as session:
            docs.get_collection(session, name)

    # ---- adding --------------------------------------------------------------------------------
    def add_uploads(self, collection: str, uploads: Sequence[docs.SpooledUpload]) -> list[AddedFile]:
        """Register spooled uploads, one transaction each: a failure on one file never loses the
        files registered before it. Spooled files not moved into storage are removed."""
        out = []
        try:
            for up in uploads:
                with session_scope(self.factory, write=True) as session:
                    coll = docs.get_collection(session, collection)
                    reg = docs.register_upload(session, self.uploads_dir, coll, up)
                    out.append(
                        AddedFile(
                            document_id=reg.document.id,
                            job_id=reg.job_id,
                            filename=up.filename,
                            status=reg.document.status.value,
                            duplicate=reg.duplicate,
                        )
                    )
        finally:
            for up in uploads:
                up.discard()  # no-op for files moved into storage
        return out

    def add_file(self, collection: str, source: Path | BinaryIO, filename: str | None = None) -> AddedFile:
        """Add a local file (or an open binary stream) under ``filename`` (default: the path's name).
        Raises the upload's errors (invalid_filename, file_too_large) with nothing left behind."""
        if isinstance(source, Path):
            name = docs.validate_filename(filename or source.name)
            with source.open("rb") as fh:
                spooled = docs.spool_file(fh, self.uploads_dir, name, self.max_upload_bytes)
        else:
            name = docs.validate_filename(filename)
            spooled = docs.spool_file(source, self.uploads_dir, name, self.max_upload_bytes)
        return self.add_uploads(collection, [spooled])[0]

    def add_bytes(self, collection: str, filename: str, data: bytes) -> AddedFile:
        return self.add_file(collection, io.BytesIO(data), filename)

    # ---- deleting ------------------------------------------------------------------------------
    def delete_document(self, document_id: int, *, can_use: Callable[[str], bool] | None = None) -> None:
        """Delete the document (its chunks, pages and job go with it), then its stored file, and take
        it out of search at once. ``can_use(collection)`` False: 404, worded like a missing one."""
        with session_scope(self.factory, write=True) as session:
            doc = docs.get_document(session, document_id)
            if can_use is not None and not can_use(doc.collection.name):
                raise document_not_found(document_id)
            stored = docs.delete_document(session, self.uploads_dir, doc)
        stored.unlink(missing_ok=True)  # after the commit: a failed delete never loses the file
        if self.derived is not None:
            self.derived.forget(document_id)
        if self.index is not None:
            self.index.remove_document(document_id)
