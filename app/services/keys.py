"""API keys and who a request acts for.

A key is a random token (``shk_`` + 43 URL-safe characters, 256 bits), shown once at creation; the
database keeps only its SHA-256. Each key has a role (reader < writer < admin) and optionally a list of
collections it may use. A key limited to collections must not learn that any other collection exists,
so callers answer "not found" for those, exactly as for a collection that doesn't exist.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Literal, cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.errors import ConfigurationError, InvalidInput, NotFound
from app.core.settings import Settings
from app.db import models as m
from app.db.session import SessionFactory, session_scope
from app.services.documents import validate_collection_name

Role = Literal["reader", "writer", "admin"]
ROLES: tuple[Role, ...] = ("reader", "writer", "admin")
_RANK = {role: i for i, role in enumerate(ROLES)}
TOKEN_PREFIX = "shk_"


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: a key, or everyone (auth off)."""

    name: str
    role: Role
    collections: frozenset[str] | None = None  # None: every collection
    key_id: int | None = None

    def has_role(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]

    def can_use(self, collection: str) -> bool:
        return self.collections is None or collection in self.collections


ANONYMOUS = Principal(name="anonymous", role="admin")


def collection_not_found(name: str) -> NotFound:
    """The one error for a missing collection and for one the key may not see (indistinguishable)."""
    return NotFound(f"No collection named {name!r}.", code="collection_not_found")


def document_not_found(document_id: int) -> NotFound:
    return NotFound(f"No document with id {document_id}.", code="document_not_found")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def auth_required(settings: Settings) -> bool:
    mode = settings.auth.mode
    if mode == "auto":
        return not is_loopback(settings.server.host)
    return mode == "required"


# ---- key management ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CreatedKey:
    row: m.ApiKey
    token: str  # the only time it exists outside the caller's hands


def create_key(
    session: Session, role: str, *, name: str | None = None, collections: list[str] | None = None
) -> CreatedKey:
    if role not in ROLES:
        raise InvalidInput(f"The role must be one of {', '.join(ROLES)}.", code="invalid_role")
    allowed = sorted({validate_collection_name(c) for c in collections}) if collections is not None else None
    if allowed is not None and not allowed:
        raise InvalidInput("A key limited to collections needs at least one.", code="invalid_collections")
    name = (name or "").strip() or f"{role} key"
    if len(name) > 100:
        raise InvalidInput("A key name is at most 100 characters.", code="invalid_key_name")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = m.ApiKey(name=name, prefix=token[:12], key_hash=hash_token(token), role=role, collections=allowed)
    session.add(row)
    session.flush()
    return CreatedKey(row, token)


def list_keys(session: Session, *, include_revoked: bool = False) -> list[m.ApiKey]:
    stmt = select(m.ApiKey).order_by(m.ApiKey.id)
    if not include_revoked:
        stmt = stmt.where(m.ApiKey.revoked_at.is_(None))
    return list(session.scalars(stmt))


def revoke_key(session: Session, key: str) -> m.ApiKey:
    """Revoke by id or by the key's prefix (as `keys list` shows it). Revoking twice is harmless."""
    stmt = select(m.ApiKey)
    stmt = stmt.where(m.ApiKey.id == int(key)) if key.isdigit() else stmt.where(m.ApiKey.prefix == key)
    rows = list(session.scalars(stmt))
    if not rows:
        raise NotFound(f"No API key {key!r}.", code="key_not_found")
    if len(rows) > 1:
        raise InvalidInput(f"{key!r} matches several keys; revoke by id.", code="ambiguous_key")
    row = rows[0]
    if row.revoked_at is None:
        row.revoked_at = m.utcnow()
        session.flush()
    return row


def count_active_keys(session: Session) -> int:
    return int(session.scalar(select(func.count(m.ApiKey.id)).where(m.ApiKey.revoked_at.is_(None))) or 0)


def ensure_keys_exist(settings: Settings, factory: SessionFactory) -> int:
    """Where keys are required, at least one must exist (else the server could only answer 401):
    raises ConfigurationError, so the server does not start. Returns the number of active keys."""
    with session_scope(factory) as session:
        active = count_active_keys(session)
    if active == 0:
        why = (
            f"the server listens on {settings.server.host}, not only on this machine"
            if settings.auth.mode == "auto"
            else "auth.mode is 'required'"
        )
        raise ConfigurationError(
            f"API keys are required ({why}) but none exists. Create one with "
            "`shiori keys create --role admin`, or set SHIORI_AUTH__MODE=disabled to serve without keys "
            "on purpose."
        )
    return active


def principal_for(session: Session, token: str) -> Principal | None:
    """The principal of an active key, or None. Looked up by hash; compared in constant time."""
    digest = hash_token(token)
    row = session.scalar(select(m.ApiKey).where(m.ApiKey.key_hash == digest))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, digest):
        return None
    colls = frozenset(row.collections) if row.collections is not None else None
    return Principal(name=row.name, role=cast(Role, row.role), collections=colls, key_id=row.id)


class KeyVerifier:
    """Resolves tokens to principals, reusing each answer for ``cache_s`` (0: ask the database every
    time). Revocation through this process takes effect at once; through another process (the CLI,
    another replica) within ``cache_s``."""

    def __init__(self, factory: SessionFactory, cache_s: float = 5.0, max_entries: int = 10_000) -> None:
        self.factory = factory
        self.cache_s = cache_s
        self.max_entries = max_entries
        self._cache: dict[str, tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def verify(self, token: str) -> Principal | None:
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        now = time.monotonic()
        if self.cache_s > 0:
            with self._lock:
                hit = self._cache.get(digest)
            if hit is not None and hit[0] > now:
                return hit[1]
        with session_scope(self.factory) as session:
            principal = principal_for(session, token)
        if self.cache_s > 0:
            with self._lock:
                if len(self._cache) >= self.max_entries:
                    self._cache.clear()  # wrong keys flooding in: start over rather than grow
                self._cache[digest] = (now + self.cache_s, principal)
        return principal

    def invalidate(self) -> None:
        with self._lock:
            self._cache.clear()
