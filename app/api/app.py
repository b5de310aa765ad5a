"""The app factory: builds heavy objects once in the lifespan and stores them on ``app.state``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from app.api.errors import install_error_handlers
from app.api.routes import ask, collections, documents, health, openai_compat, search
from app.core.embedding import Embedder
from app.core.generation import Generator
from app.core.settings import Settings

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, embedder: Embedder | None = None, generator: Generator | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.services.container import build_container
        from ingestion.worker import Worker

        cfg = settings or Settings()
        container = await anyio.to_thread.run_sync(
            lambda: build_container(cfg, embedder=embedder, generator=generator, with_generator=True)
        )
        container.start_index_sync()
        container.preload_generator()
        worker = None
        if cfg.worker.embedded:
            worker = Worker(cfg, container.factory, container.embedder)
            worker.start_thread()
        app.state.container = container
        logger.info("shiori ready db=%s", container.engine.url.render_as_string(hide_password=True))
        try:
            yield
        finally:
            app.state.container = None
            if worker is not None:
                await anyio.to_thread.run_sync(worker.stop)
            await anyio.to_thread.run_sync(container.close)

    app = FastAPI(
        title="Shiori",
        version="0.1.0",
        description="Question answering over your own documents. Errors are `{detail, code}`.",
        lifespan=lifespan,
    )
    app.state.container = None
    install_error_handlers(app)
    for module in (health, collections, documents, search, ask, openai_compat):
        app.include_router(module.router)
    return app
