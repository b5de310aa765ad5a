"""One settings object for the whole service, read from the environment (prefix ``SHIORI_``).

Nested sections use a double underscore: ``SHIORI_DB__URL``, ``SHIORI_EMBEDDING__BACKEND``.
Build it with ``Settings()`` in an entrypoint (app factory, worker, CLI); never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class PathsSettings(BaseModel):
    data_dir: Path = Path("./data")

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


class DatabaseSettings(BaseModel):
    # None means "SQLite file inside data_dir"; see Settings.database_url.
    url: str | None = None
    echo: bool = False
    sqlite_busy_timeout_ms: int = 30_000


class EmbeddingSettings(BaseModel):
    backend: Literal["sbert", "fake"] = "sbert"
    # None means the bundled multilingual-e5-small, converted by `shiori models prepare`.
    model_path: Path | None = None
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    batch_size: int = Field(32, ge=1, le=1024)
    device: str = "cpu"
    threads: int | None = None  # torch intra-op threads; None = number of cores
    fake_dim: int = 64
    fake_delay_s: float = Field(0.0, ge=0, description="fake backend only: seconds per text (fault tests)")


class ChunkingSettings(BaseModel):
    # Sized in the embedding model's own tokens (e5-small reads at most 512).
    max_tokens: int = Field(256, ge=16, le=512)
    overlap_sentences: int = Field(1, ge=0, le=5)


class GeneratorSettings(BaseModel):
    # None means the bundled Qwen2.5 GGUF assembled by `shiori models prepare`.
    gguf_path: Path | None = None


class IndexSettings(BaseModel):
    sync_interval_s: float = Field(1.0, gt=0)
    snapshot_interval_s: float = Field(30.0, gt=0)


class WorkerSettings(BaseModel):
    embedded: bool = True  # run an ingestion worker thread inside `shiori serve`
    poll_interval_s: float = Field(0.5, gt=0)
    lease_s: float = Field(60.0, gt=1)
    max_attempts: int = Field(3, ge=1)
    backoff_base_s: float = Field(5.0, ge=0)
    backoff_max_s: float = Field(300.0, ge=0)


class LimitsSettings(BaseModel):
    max_upload_bytes: int = Field(100 * 1024 * 1024, ge=1)
    max_files_per_upload: int = Field(20, ge=1)
    max_pages: int = Field(5_000, ge=1)
    max_k: int = Field(100, ge=1)
    max_query_chars: int = Field(2_000, ge=1)


class ServerSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SHIORI_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    paths: PathsSettings = PathsSettings()
    db: DatabaseSettings = DatabaseSettings()
    embedding: EmbeddingSettings = EmbeddingSettings()
    chunking: ChunkingSettings = ChunkingSettings()
    generator: GeneratorSettings = GeneratorSettings()
    index: IndexSettings = IndexSettings()
    worker: WorkerSettings = WorkerSettings()
    limits: LimitsSettings = LimitsSettings()
    server: ServerSettings = ServerSettings()
    default_collection: str = "default"

    @property
    def database_url(self) -> str:
        if self.db.url:
            return self.db.url
        return f"sqlite:///{(self.paths.data_dir / 'shiori.db').resolve()}"

    @property
    def embedding_model_path(self) -> Path:
        return self.embedding.model_path or self.paths.models_dir / "multilingual-e5-small"

    @property
    def generator_gguf_path(self) -> Path:
        return self.generator.gguf_path or self.paths.models_dir / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
