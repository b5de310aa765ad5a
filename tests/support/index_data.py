"""A database with collections, documents and chunks (fake-embedded), made directly: for the index
tests, which need `ready` documents without running ingestion."""

from __future__ import annotations

import numpy as np

from app.core.embedding.fake import FakeEmbedder
from app.db import models as m
from app.db.migrate import upgrade_database
from app.db.session import SessionFactory, make_engine, make_session_factory, session_scope

EMB = FakeEmbedder(dim=32)


def index_database(url: str) -> SessionFactory:
    """A migrated database with one collection, "c"."""
    engine = make_engine(url)
    upgrade_database(engine)
    factory = make_session_factory(engine)
    with session_scope(factory, write=True) as s:
        s.add(m.Collection(name="c"))
    return factory


def add_document(
    factory: SessionFactory,
    texts: list[str],
    status: m.DocumentStatus = m.DocumentStatus.ready,
    coll: str = "c",
) -> int:
    with session_scope(factory, write=True) as s:
        c = s.query(m.Collection).filter_by(name=coll).one_or_none()
        if c is None:
            c = m.Collection(name=coll)
            s.add(c)
            s.flush()
        doc = m.Document(
            collection_id=c.id,
            filename="doc.txt",
            size_bytes=1,
            sha256=np.random.bytes(32).hex(),
            storage_path="x",
            status=status,
        )
        s.add(doc)
        s.flush()
        vecs = EMB.embed_documents(texts)
        s.add_all(
            m.Chunk(
                document_id=doc.id,
                ordinal=i,
                page_start=i + 1,
                page_end=i + 1,
                char_start=0,
                char_end=len(t),
                text=t,
                token_count=1,
                embedding=vecs[i].astype("<f4").tobytes(),
            )
            for i, t in enumerate(texts)
        )
        return doc.id


def coll_id(factory: SessionFactory, name: str = "c") -> int:
    with session_scope(factory) as s:
        return s.query(m.Collection).filter_by(name=name).one().id
