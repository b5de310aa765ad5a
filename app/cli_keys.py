"""`shiori keys create|list|revoke`: API keys, managed on the database directly (no server needed).

`create` prints the key itself alone on stdout (so `KEY=$(shiori keys create --role reader)` works) and
says the rest on stderr; the key is not stored and can't be shown again.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.core.settings import Settings


def _key_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "role": row.role,
        "collections": row.collections,
        "created_at": row.created_at.isoformat(),
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def _database(settings: Settings) -> Any:
    from app.services.container import build_database

    engine, factory = build_database(settings, migrate=settings.db.migrate_on_start)
    return engine, factory


def cmd_keys_create(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.session import session_scope
    from app.services.keys import create_key

    collections = [c for c in args.collections.split(",") if c.strip()] if args.collections else None
    engine, factory = _database(settings)
    try:
        with session_scope(factory, write=True) as session:
            created = create_key(session, args.role, name=args.name, collections=collections)
            info = _key_dict(created.row)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps({**info, "key": created.token}, ensure_ascii=False))
        return 0
    scope = ", ".join(info["collections"]) if info["collections"] else "every collection"
    print(f"Created {info['role']} key {info['id']} ({info['name']}) for {scope}.", file=sys.stderr)
    print(created.token)
    print("Store it now: it is shown only this once (only its hash is kept).", file=sys.stderr)
    return 0


def cmd_keys_list(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.session import session_scope
    from app.services.keys import list_keys

    engine, factory = _database(settings)
    try:
        with session_scope(factory) as session:
            rows = [_key_dict(r) for r in list_keys(session, include_revoked=args.all)]
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print("No API keys. Create one with `shiori keys create --role admin`.")
        return 0
    print(f"{'id':>4}  {'prefix':<13} {'role':<7} {'collections':<24} {'created':<20} name")
    for r in rows:
        colls = ",".join(r["collections"]) if r["collections"] else "*"
        state = "  (revoked)" if r["revoked_at"] else ""
        created = r["created_at"][:19].replace("T", " ")
        print(f"{r['id']:>4}  {r['prefix']:<13} {r['role']:<7} {colls:<24} {created:<20} {r['name']}{state}")
    return 0


def cmd_keys_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from app.db.session import session_scope
    from app.services.keys import revoke_key

    engine, factory = _database(settings)
    try:
        with session_scope(factory, write=True) as session:
            row = revoke_key(session, args.key)
            info = _key_dict(row)
    finally:
        engine.dispose()
    print(
        f"Revoked key {info['id']} ({info['prefix']}…, {info['name']}). Servers stop accepting it within "
        f"{settings.auth.cache_s:g} s."
    )
    return 0


def add_keys_parser(sub: Any) -> None:
    s = sub.add_parser("keys", help="manage API keys (create, list, revoke)")
    ksub = s.add_subparsers(dest="keys_command", required=True)

    k = ksub.add_parser("create", help="create a key and print it (once)")
    k.add_argument("--role", required=True, choices=["reader", "writer", "admin"])
    k.add_argument("--collections", help="comma-separated collections the key may use (default: all)")
    k.add_argument("--name", help="a label, e.g. who holds the key")
    k.add_argument("--json", action="store_true", help="print the key and its details as JSON")
    k.set_defaults(fn=cmd_keys_create)

    k = ksub.add_parser("list", help="list keys (never the keys themselves)")
    k.add_argument("--all", action="store_true", help="include revoked keys")
    k.add_argument("--json", action="store_true")
    k.set_defaults(fn=cmd_keys_list)

    k = ksub.add_parser("revoke", help="revoke a key by id or prefix")
    k.add_argument("key", help="the key's id or prefix (as `keys list` shows them)")
    k.set_defaults(fn=cmd_keys_revoke)
