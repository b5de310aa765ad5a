"""The app factory: builds heavy objects once in the lifespan and stores them on ``app.state``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import Depends, FastAPI

from app.api import hardening
from app.api.errors import install_error_handlers
from app.api.openapi import install_openapi
from app.api.routes import ask, collections, documents, health, keys, metrics, openai_compat, search
from app.api.security import API_RESPONSES, authenticate
from app.api.ui import install_ui
from app.core.embedding import Embedder
from app.core.generation import Generator
from app.core.metrics import Metrics
from app.core.settings import Settings

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, embedder: Embedder | None = None, generator: Generator | None = None
) -> FastAPI:
    cfg = settings or Settings()
    registry = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.services.container import build_container
        from ingestion.worker import Worker

        container = await anyio.to_thread.run_sync(
            lambda: build_container(
                cfg, embedder=embedder, generator=generator, with_generator=True, metrics=registry
            )
        )
        try:
            await anyio.to_thread.run_sync(hardening.activate, guard, container, registry)
        except BaseException:
            await anyio.to_thread.run_sync(container.close)
            raise
        assert container.index_sync is not None
        container.index_sync.start()
        container.preload_generator()
        workers = [
            Worker(
                cfg,
                container.factory,
                container.embedder,
                metrics=registry,
                on_job_done=container.index_sync.wake,  # a finished document is searchable at once
            )
            for _ in range(cfg.worker.threads if cfg.worker.embedded else 0)
        ]
        for worker in workers:
            worker.start_thread()
        app.state.container = container
        logger.info("shiori ready db=%s", container.engine.url.render_as_string(hide_password=True))
        try:
            yield
        finally:
            app.state.container = None
            for worker in workers:
                worker.stop_event.set()  # all finish their current job together
            for worker in workers:
                await anyio.to_thread.run_sync(worker.stop)
            await anyio.to_thread.run_sync(container.close)

    app = FastAPI(
        title="Shiori",
        version="0.1.0",
        description="Question answering over your own documents. Errors are `{detail, code}`.",
        lifespan=lifespan,
        # /docs comes from the UI build (app.api.ui), not FastAPI's CDN-loaded pages; no /redoc.
        docs_url=None,
        redoc_url=None,
    )
    app.state.container = None
    # Set by the server on SIGTERM/SIGINT, before it drains connections: open answer streams end
    # with a `shutting_down` error event instead of being cut off (see app.api.sse).
    app.state.shutting_down = threading.Event()
    guard = hardening.install(app, cfg, registry)
    install_error_handlers(app)
    app.include_router(health.router)
    if cfg.metrics.enabled:
        app.include_router(metrics.router)
    # Every API route needs a key when auth is on (and counts against the caller's rate limit).
    for module in (collections, documents, search, ask, openai_compat, keys):
        app.include_router(module.router, dependencies=[Depends(authenticate)], responses=API_RESPONSES)
    install_ui(app)  # after the API routes: `/` and `/assets` only
    install_openapi(app)
    return app
