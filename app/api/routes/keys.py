"""API keys over HTTP (admin keys valid for every collection), and "who am I" for any key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from app.api.deps import ContainerDep, SessionDep
from app.api.schemas import MAX_ID, CreatedKeyOut, ErrorOut, KeyIn, KeyOut, WhoAmIOut
from app.api.security import AdminDep, Guard, ReaderDep
from app.core.errors import Forbidden
from app.db import models as m
from app.db.session import session_scope
from app.services import keys as keys_service
from app.services.keys import Principal

router = APIRouter(prefix="/api/v1", tags=["auth"])


def key_out(row: m.ApiKey) -> KeyOut:
    return KeyOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        role=row.role,
        collections=row.collections,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _unrestricted(principal: Principal) -> None:
    # A key limited to some collections must not mint keys for others, nor see them in key lists.
    if principal.collections is not None:
        raise Forbidden("Managing keys needs an admin key valid for every collection.")


@router.get("/auth/me", response_model=WhoAmIOut)
def who_am_i(principal: ReaderDep, request: Request) -> WhoAmIOut:
    """The calling key's name, role and collections; `auth_required` says whether the server wants keys
    (a UI can call this first and ask for a key on 401)."""
    guard: Guard = request.app.state.guard
    return WhoAmIOut(
        auth_required=guard.required,
        name=principal.name,
        role=principal.role,
        collections=sorted(principal.collections) if principal.collections is not None else None,
    )


@router.get("/keys", response_model=list[KeyOut])
def list_keys(principal: AdminDep, session: SessionDep, include_revoked: bool = False) -> list[KeyOut]:
    _unrestricted(principal)
    return [key_out(k) for k in keys_service.list_keys(session, include_revoked=include_revoked)]


@router.post(
    "/keys",
    response_model=CreatedKeyOut,
    status_code=status.HTTP_201_CREATED,
    responses={422: {"model": ErrorOut}},
)
def create_key(body: KeyIn, principal: AdminDep, container: ContainerDep) -> CreatedKeyOut:
    """Create a key. The response holds the key itself, once; only its hash is stored."""
    _unrestricted(principal)
    with session_scope(container.factory, write=True) as session:
        created = keys_service.create_key(session, body.role, name=body.name, collections=body.collections)
    return CreatedKeyOut(**key_out(created.row).model_dump(), key=created.token)


@router.delete(
    "/keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={404: {"model": ErrorOut}},
)
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    principal: AdminDep,
    container: ContainerDep,
    request: Request,
) -> Response:
    """Revoke a key: it stops working at once on this server (other replicas: within `auth.cache_s`)."""
    _unrestricted(principal)
    with session_scope(container.factory, write=True) as session:
        keys_service.revoke_key(session, str(key_id))
    guard: Guard = request.app.state.guard
    if guard.verifier is not None:
        guard.verifier.invalidate()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
