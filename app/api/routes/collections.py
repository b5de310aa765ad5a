from __future__ import annotations

from fastapi import APIRouter, status

from app.api.deps import ContainerDep, SessionDep
from app.api.schemas import CollectionIn, CollectionOut, ErrorOut
from app.api.security import ReaderDep, WriterDep
from app.services import documents as docs

router = APIRouter(prefix="/api/v1/collections", tags=["collections"])


@router.post(
    "",
    response_model=CollectionOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
def create_collection(body: CollectionIn, principal: WriterDep, container: ContainerDep) -> CollectionOut:
    coll = container.library.create_collection(body.name, can_use=principal.can_use)
    return CollectionOut(id=coll.id, name=coll.name, documents=0, created_at=coll.created_at)


@router.get("", response_model=list[CollectionOut])
def list_collections(principal: ReaderDep, session: SessionDep) -> list[CollectionOut]:
    return [
        CollectionOut(id=c.id, name=c.name, documents=n, created_at=c.created_at)
        for c, n in docs.list_collections(session)
        if principal.can_use(c.name)
    ]
