"""The write use cases on documents (#14, item 2): adding files and deleting documents keep the
database, the stored files and the index in step, and only `session_scope` commits."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.errors import Forbidden, NotFound, PayloadTooLarge
from app.core.settings import Settings
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from app.services import documents as docs
from app.services.container import build_database
from app.services.library import Library

pytestmark = pytest.mark.unit


class RecordingIndex:
    def __init__(self) -> None:
        self.removed: list[int] = []

    def remove_document(self, document_id: int) -> bool:
        self.removed.append(document_id)
        return True


@pytest.fixture
def setup(make_settings: Callable[..., Settings], db_url: str) -> Iterator[tuple[Library, SessionFactory]]:
    settings = make_settings(db_url, limits={"max_upload_bytes": 1000})
    engine, factory = build_database(settings)
    library = Library(factory, settings.paths.uploads_dir, max_upload_bytes=1000, index=RecordingIndex())
    yield library, factory
    engine.dispose()


def count(factory: SessionFactory, model: type) -> int:
    with session_scope(factory) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def stored_files(library: Library) -> list[Path]:
    return [p for p in library.uploads_dir.rglob("*") if p.is_file()]


def test_add_deduplicates_and_queues(setup: tuple[Library, SessionFactory], tmp_path: Path) -> None:
    library, factory = setup
    first = library.add_bytes("default", "a.txt", b"hello")
    again = library.add_bytes("default", "copy-of-a.txt", b"hello")
    assert not first.duplicate and first.job_id is not None and first.status == "queued"
    assert again.duplicate and again.document_id == first.document_id and again.job_id is None
    path = tmp_path / "b.md"
    path.write_text("# b", encoding="utf-8")
    from_path = library.add_file("default", path)
    assert from_path.filename == "b.md" and not from_path.duplicate
    assert count(factory, m.Document) == 2 and count(factory, m.IngestJob) == 2
    assert len(stored_files(library)) == 2  # by content: the duplicate left nothing behind


def test_a_bad_file_leaves_nothing_and_loses_nothing(setup: tuple[Library, SessionFactory]) -> None:
    library, factory = setup
    library.add_bytes("default", "ok.txt", b"fine")
    with pytest.raises(PayloadTooLarge):
        library.add_bytes("default", "big.txt", b"x" * 1001)
    with pytest.raises(NotFound):
        library.add_bytes("nope", "c.txt", b"no such collection")
    assert count(factory, m.Document) == 1 and len(stored_files(library)) == 1


def test_delete_removes_rows_file_and_index_entry(setup: tuple[Library, SessionFactory]) -> None:
    library, factory = setup
    added = library.add_bytes("default", "a.txt", b"hello")
    library.create_collection("secret")
    hidden = library.add_bytes("secret", "s.txt", b"classified")
    with pytest.raises(NotFound) as exc:  # a key that can't see the collection: "no such document"
        library.delete_document(hidden.document_id, can_use=lambda name: name == "default")
    assert exc.value.code == "document_not_found" and count(factory, m.Document) == 2
    library.delete_document(added.document_id, can_use=lambda name: name == "default")
    assert count(factory, m.Document) == 1 and count(factory, m.IngestJob) == 1
    assert len(stored_files(library)) == 1
    assert library.index is not None and library.index.removed == [added.document_id]  # type: ignore[attr-defined]
    with pytest.raises(NotFound):
        library.delete_document(added.document_id)


def test_collections_respect_the_keys_scope(setup: tuple[Library, SessionFactory]) -> None:
    library, _ = setup
    with pytest.raises(Forbidden):
        library.create_collection("other", can_use=lambda name: name == "mine")
    assert library.create_collection("mine", can_use=lambda name: name == "mine").name == "mine"


def test_document_functions_never_commit(setup: tuple[Library, SessionFactory]) -> None:
    """The transaction rule: work done through app.services.documents is undone by a rollback."""
    library, factory = setup
    up = docs.spool_file(io.BytesIO(b"draft"), library.uploads_dir, "d.txt", 1000)
    session = factory()
    try:
        docs.register_upload(session, library.uploads_dir, docs.get_collection(session, "default"), up)
        session.rollback()
    finally:
        session.close()
    assert count(factory, m.Document) == 0
