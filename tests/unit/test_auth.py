"""Access control: every role against every endpoint, wrong and revoked keys, and keys limited to
collections, which must not even learn that other collections exist (404, never 403)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.api.app import create_app
from app.core.errors import ConfigurationError, InvalidInput
from app.core.generation.fake import FakeGenerator
from app.core.settings import Settings
from app.db import models as m
from app.db.session import session_scope
from app.services import keys as keys_service
from app.services.container import build_database
from tests.support.apps import add_key, settings_for
from tests.support.http import api_client
from tests.support.pdf_files import write_pdf

pytestmark = pytest.mark.unit

ALPHA_TEXT = "Alpha notes. The alpha reactor runs at 300 kelvin.\n"
BETA_TEXT = "Beta notes. The beta reactor runs at 500 kelvin.\n"
SCRIPT = ["The ", "reactor ", "runs ", "at ", "300 ", "kelvin ", "[1]", "."]


@dataclass
class World:
    client: TestClient
    settings: Settings
    keys: dict[str, str]
    alpha_doc: int
    beta_doc: int

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"} if who in self.keys else {}


def wait_ready(client: TestClient, doc_id: int, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if client.get(f"/api/v1/documents/{doc_id}", headers=headers).json()["status"] == "ready":
            return
        time.sleep(0.05)
    raise AssertionError(f"document {doc_id} not ready")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    settings = settings_for(tmp_path_factory.mktemp("auth") / "data")
    keys = {
        "admin": add_key(settings, "admin"),
        "writer": add_key(settings, "writer"),
        "reader": add_key(settings, "reader"),
        "reader_alpha": add_key(settings, "reader", ["alpha"]),
        "writer_alpha": add_key(settings, "writer", ["alpha"]),
        "admin_alpha": add_key(settings, "admin", ["alpha"]),
        "revoked": add_key(settings, "admin"),
    }
    engine, factory = build_database(settings)
    with session_scope(factory, write=True) as s:
        keys_service.revoke_key(s, keys["revoked"][:12])
    engine.dispose()
    with api_client(create_app(settings, generator=FakeGenerator(SCRIPT))) as client:
        admin = {"Authorization": f"Bearer {keys['admin']}"}
        ids = []
        # Alpha's is a PDF, so that its page image and its character boxes can be drawn.
        alpha_pdf = write_pdf(tmp_path_factory.mktemp("alpha") / "alpha.pdf", [ALPHA_TEXT.strip()])
        for name, file in (
            ("alpha", ("alpha.pdf", alpha_pdf.read_bytes())),
            ("beta", ("beta.txt", BETA_TEXT)),
        ):
            assert client.post("/api/v1/collections", json={"name": name}, headers=admin).status_code == 201
            r = client.post(f"/api/v1/collections/{name}/documents", files=[("files", file)], headers=admin)
            ids.append(r.json()["documents"][0]["document_id"])
        for doc_id in ids:
            wait_ready(client, doc_id, admin)
        yield World(client, settings, keys, ids[0], ids[1])


# ---- the matrix ------------------------------------------------------------------------------------
# (method, path, json body, least role). {A} is a document in collection alpha.
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "/api/v1/collections", None, "reader"),
    ("POST", "/api/v1/collections", {"name": "made-by-{who}"}, "writer"),
    ("GET", "/api/v1/collections/{collection}/documents", None, "reader"),
    ("POST", "/api/v1/collections/{collection}/documents", None, "writer"),
    ("GET", "/api/v1/documents/{document_id}", None, "reader"),
    ("GET", "/api/v1/documents/{document_id}/file", None, "reader"),
    ("GET", "/api/v1/documents/{document_id}/pages/{page}", None, "reader"),
    ("GET", "/api/v1/documents/{document_id}/pages/{page}/boxes", None, "reader"),
    ("GET", "/api/v1/documents/{document_id}/pages/{page}/image", None, "reader"),
    ("DELETE", "/api/v1/documents/{document_id}", None, "writer"),
    ("POST", "/api/v1/search", {"query": "reactor", "collection": "alpha"}, "reader"),
    ("POST", "/api/v1/ask", {"question": "How hot is the reactor?", "collection": "alpha"}, "reader"),
    (
        "POST",
        "/v1/chat/completions",
        {"messages": [{"role": "user", "content": "How hot is the reactor?"}], "collection": "alpha"},
        "reader",
    ),
    ("GET", "/v1/models", None, "reader"),
    ("GET", "/api/v1/auth/me", None, "reader"),
    ("GET", "/api/v1/keys", None, "admin"),
    ("POST", "/api/v1/keys", {"role": "reader", "name": "from-{who}"}, "admin"),
    ("DELETE", "/api/v1/keys/{key_id}", None, "admin"),
    ("GET", "/metrics", None, "admin"),
]
RANK = {"reader": 0, "writer": 1, "admin": 2}
CALLERS = ["nobody", "wrong", "revoked", "reader", "writer", "admin"]


def call(world: World, method: str, path: str, body: dict[str, Any] | None, who: str) -> Any:
    headers = world.h(who)
    if who == "wrong":
        headers = {"Authorization": "Bearer shk_" + "x" * 43}
    # Deleting for real would change the world: allowed callers hit an id that doesn't exist (404).
    doc = 999_999 if method == "DELETE" else world.alpha_doc
    if path.endswith("/boxes"):
        path += "?start=0&end=5"
    url = path.format(collection="alpha", document_id=doc, page=1, key_id=999_999)
    if body is not None:
        body = {k: (v.format(who=who) if isinstance(v, str) else v) for k, v in body.items()}
    if path.endswith("/documents") and method == "POST":
        return world.client.post(
            url, files=[("files", (f"{who}.txt", f"{who} text.".encode()))], headers=headers
        )
    return world.client.request(method, url, json=body, headers=headers)


@pytest.mark.parametrize("who", CALLERS)
@pytest.mark.parametrize(
    ("method", "path", "body", "least"), ENDPOINTS, ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS]
)
def test_role_matrix(
    world: World, method: str, path: str, body: dict[str, Any] | None, least: str, who: str
) -> None:
    r = call(world, method, path, body, who)
    if who == "nobody":
        assert r.status_code == 401 and r.json()["code"] == "missing_api_key", r.text
        assert r.headers["www-authenticate"] == "Bearer"
    elif who in ("wrong", "revoked"):
        assert r.status_code == 401 and r.json()["code"] == "invalid_api_key", r.text
    elif RANK[who] < RANK[least]:
        assert r.status_code == 403 and r.json()["code"] == "forbidden", r.text
    else:
        assert r.status_code not in (401, 403) and r.status_code < 500, r.text
        if method != "DELETE":
            assert r.status_code in (200, 201, 202), r.text


def test_matrix_covers_every_api_route(world: World) -> None:
    """A new route must be added to the matrix (and so be protected), or this fails."""
    paths = world.client.get("/openapi.json").json()["paths"]
    app_routes = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(("/api/", "/v1/", "/metrics"))
        for method in operations
    }
    assert app_routes == {(m_, p) for m_, p, _, _ in ENDPOINTS}


def test_health_and_docs_stay_open(world: World) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert world.client.get(path).status_code == 200, path


def test_x_api_key_header_works_too(world: World) -> None:
    r = world.client.get("/api/v1/auth/me", headers={"X-API-Key": world.keys["reader_alpha"]})
    assert r.status_code == 200
    assert r.json() == {
        "auth_required": True,
        "name": "reader-['alpha']",
        "role": "reader",
        "collections": ["alpha"],
    }


# ---- keys limited to collections --------------------------------------------------------------------
def test_restricted_key_sees_only_its_collections(world: World) -> None:
    names = [
        c["name"] for c in world.client.get("/api/v1/collections", headers=world.h("reader_alpha")).json()
    ]
    assert names == ["alpha"]
    everything = [
        c["name"] for c in world.client.get("/api/v1/collections", headers=world.h("reader")).json()
    ]
    assert {"alpha", "beta", "default"} <= set(everything)


@pytest.mark.parametrize("who", ["reader_alpha", "writer_alpha", "admin_alpha"])
def test_other_collections_look_exactly_like_missing_ones(world: World, who: str) -> None:
    c, h = world.client, world.h(who)

    def same_404(hidden: Any, missing: Any, hidden_name: str, missing_name: str) -> None:
        assert hidden.status_code == missing.status_code == 404, (hidden.text, missing.text)
        assert hidden.json()["code"] == missing.json()["code"]
        assert hidden.json()["detail"].replace(hidden_name, "X") == missing.json()["detail"].replace(
            missing_name, "X"
        )

    same_404(
        c.get("/api/v1/collections/beta/documents", headers=h),
        c.get("/api/v1/collections/nope/documents", headers=h),
        "beta",
        "nope",
    )
    for body in (
        lambda coll: ("/api/v1/search", {"query": "reactor", "collection": coll}),
        lambda coll: ("/api/v1/ask", {"question": "How hot?", "collection": coll}),
        lambda coll: (
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "How hot?"}], "collection": coll},
        ),
    ):
        hidden_path, hidden_body = body("beta")
        missing_path, missing_body = body("nope")
        same_404(
            c.post(hidden_path, json=hidden_body, headers=h),
            c.post(missing_path, json=missing_body, headers=h),
            "beta",
            "nope",
        )
    for suffix in ("", "/file", "/pages/1", "/pages/1/boxes?start=0&end=5", "/pages/1/image"):
        same_404(
            c.get(f"/api/v1/documents/{world.beta_doc}{suffix}", headers=h),
            c.get(f"/api/v1/documents/999999{suffix}", headers=h),
            str(world.beta_doc),
            "999999",
        )


def test_restricted_writer_cannot_touch_other_collections(world: World) -> None:
    c, h = world.client, world.h("writer_alpha")
    up = c.post("/api/v1/collections/beta/documents", files=[("files", ("x.txt", b"x"))], headers=h)
    assert up.status_code == 404 and up.json()["code"] == "collection_not_found"
    gone = c.delete(f"/api/v1/documents/{world.beta_doc}", headers=h)
    assert gone.status_code == 404 and gone.json()["code"] == "document_not_found"
    assert c.get(f"/api/v1/documents/{world.beta_doc}", headers=world.h("admin")).status_code == 200
    # Creating: 403 whether or not the collection exists (a 409 would reveal that it does).
    for name in ("beta", "brand-new"):
        r = c.post("/api/v1/collections", json={"name": name}, headers=h)
        assert r.status_code == 403, r.text
    assert (
        c.post("/api/v1/collections", json={"name": "alpha"}, headers=h).json()["code"] == "collection_exists"
    )


def test_restricted_key_searches_its_collection(world: World) -> None:
    r = world.client.post(
        "/api/v1/search",
        json={"query": "reactor kelvin", "collection": "alpha"},
        headers=world.h("reader_alpha"),
    )
    assert r.status_code == 200
    found = {p["document_id"] for p in r.json()["passages"]}
    assert world.alpha_doc in found and world.beta_doc not in found


def test_restricted_admin_cannot_manage_keys(world: World) -> None:
    r = world.client.post("/api/v1/keys", json={"role": "admin"}, headers=world.h("admin_alpha"))
    assert r.status_code == 403
    assert world.client.get("/api/v1/keys", headers=world.h("admin_alpha")).status_code == 403


# ---- key life cycle ----------------------------------------------------------------------------------
def test_key_created_over_http_works_and_revocation_is_immediate(world: World) -> None:
    c, admin = world.client, world.h("admin")
    r = c.post("/api/v1/keys", json={"role": "reader", "name": "ci", "collections": ["alpha"]}, headers=admin)
    assert r.status_code == 201
    created = r.json()
    token = created["key"]
    assert token.startswith("shk_") and created["prefix"] == token[:12]
    listed = c.get("/api/v1/keys", headers=admin).json()
    assert created["id"] in {k["id"] for k in listed} and all("key" not in k for k in listed)
    mine = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/auth/me", headers=mine).json()["collections"] == ["alpha"]
    assert c.delete(f"/api/v1/keys/{created['id']}", headers=admin).status_code == 204
    r = c.get("/api/v1/auth/me", headers=mine)
    assert r.status_code == 401 and r.json()["code"] == "invalid_api_key"


def test_revocation_elsewhere_applies_at_once_without_cache(world: World) -> None:
    token = add_key(world.settings, "reader")
    mine = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/collections", headers=mine).status_code == 200
    engine, factory = build_database(world.settings)
    with session_scope(factory, write=True) as s:  # as `shiori keys revoke` in another process
        keys_service.revoke_key(s, token[:12])
    engine.dispose()
    assert world.client.get("/api/v1/collections", headers=mine).status_code == 401


def test_only_a_hash_is_stored(world: World) -> None:
    engine, factory = build_database(world.settings)
    with session_scope(factory) as s:
        rows = list(s.scalars(select(m.ApiKey)))
    engine.dispose()
    token = world.keys["reader"]
    row = next(r for r in rows if r.key_hash == keys_service.hash_token(token))
    stored = " ".join(str(getattr(r, col.key)) for r in rows for col in m.ApiKey.__table__.columns)
    assert token not in stored and token[12:] not in stored and row.prefix == token[:12]


# ---- when auth applies ---------------------------------------------------------------------------------
def test_required_without_any_key_refuses_to_start(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "data", worker={"embedded": False})
    with pytest.raises(ConfigurationError, match="keys create"), api_client(create_app(settings)):
        pass


def test_auto_mode_follows_the_bind_address(tmp_path: Path) -> None:
    local = settings_for(tmp_path / "a", auth={"mode": "auto"}, worker={"embedded": False})
    with api_client(create_app(local)) as client:
        assert client.get("/api/v1/collections").status_code == 200  # loopback: no key needed
        assert client.get("/metrics").status_code == 200
    network = settings_for(
        tmp_path / "b", auth={"mode": "auto"}, server={"host": "0.0.0.0"}, worker={"embedded": False}
    )
    with pytest.raises(ConfigurationError, match=r"listens on 0\.0\.0\.0"), api_client(create_app(network)):
        pass
    token = add_key(network, "reader")
    with api_client(create_app(network)) as client:
        assert client.get("/api/v1/collections").status_code == 401
        assert client.get("/api/v1/collections", headers={"X-API-Key": token}).status_code == 200


def test_disabled_serves_a_network_without_keys(tmp_path: Path) -> None:
    settings = settings_for(
        tmp_path / "data", auth={"mode": "disabled"}, server={"host": "0.0.0.0"}, worker={"embedded": False}
    )
    with api_client(create_app(settings)) as client:
        assert client.get("/api/v1/collections").status_code == 200


def test_key_validation(tmp_path: Path) -> None:
    engine, factory = build_database(settings_for(tmp_path / "data"))
    with session_scope(factory, write=True) as s:
        with pytest.raises(InvalidInput):
            keys_service.create_key(s, "root")
        with pytest.raises(InvalidInput):
            keys_service.create_key(s, "reader", collections=["a/b"])
        created = keys_service.create_key(s, "reader", collections=["b", "a", "a"])
        assert created.row.collections == ["a", "b"] and len(created.token) == 4 + 43
        assert keys_service.principal_for(s, created.token) == keys_service.Principal(
            name="reader key", role="reader", collections=frozenset({"a", "b"}), key_id=created.row.id
        )
        assert keys_service.principal_for(s, created.token + "x") is None
    engine.dispose()


# ---- the CLI -------------------------------------------------------------------------------------------
def test_keys_cli_create_list_revoke(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    for k in [k for k in os.environ if k.startswith("SHIORI_")]:
        monkeypatch.delenv(k)
    monkeypatch.setenv("SHIORI_PATHS__DATA_DIR", str(tmp_path / "data"))
    assert main(["serve", "--host", "0.0.0.0"]) == 2  # refuses before binding: no key yet
    assert "keys create --role admin" in capsys.readouterr().err
    assert main(["keys", "create", "--role", "writer", "--collections", "alpha,beta", "--name", "ci"]) == 0
    out, err = capsys.readouterr()
    token = out.strip()
    assert token.startswith("shk_") and "\n" not in token  # the key alone on stdout: KEY=$(shiori keys …)
    assert "shown only this once" in err and "alpha, beta" in err

    assert main(["keys", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(k["name"], k["role"], k["collections"], k["prefix"]) for k in listed] == [
        ("ci", "writer", ["alpha", "beta"], token[:12])
    ]
    assert token not in json.dumps(listed)

    assert main(["keys", "revoke", token[:12]]) == 0
    assert "Revoked key" in capsys.readouterr().out
    assert main(["keys", "list"]) == 0
    assert "No API keys" in capsys.readouterr().out
    assert main(["keys", "list", "--all"]) == 0
    assert "(revoked)" in capsys.readouterr().out
    assert main(["keys", "revoke", "shk_nothing"]) == 2
    assert "No API key" in capsys.readouterr().err
    assert main(["keys", "create", "--role", "reader", "--collections", "a/b"]) == 2
