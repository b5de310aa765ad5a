"""Builds the heavy objects once per process (engine, embedder, indexes, generator) from settings
and wires them together; the behaviour lives in the objects (`Library`, `IndexRegistry`, `IndexSync`,
`Retriever`, `AnswerService`).

The API's app factory, the worker entrypoint and the CLI all use this, so they wire things the same way.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from app.core.embedding import Embedder, create_embedder
from app.core.errors import GeneratorUnavailable
from app.core.generation import Generator, create_generator
from app.core.metrics import Metrics
from app.core.settings import Settings
from app.core.slots import GenerationSlots
from app.db.migrate import upgrade_database
from app.db.session import SessionFactory, make_engine, make_session_factory, session_scope, wait_for_database
from app.services.answering import AnswerService
from app.services.documents import get_or_create_collection
from app.services.index_sync import IndexSync
from app.services.indexing import IndexRegistry, create_registry
from app.services.library import Library
from app.services.page_images import PageImages
from app.services.retrieval import Retriever, create_retriever

logger = logging.getLogger(__name__)


@dataclass
class Container:
    settings: Settings
    engine: Engine
    factory: SessionFactory
    embedder: Embedder
    library: Library
    page_images: PageImages
    registry: IndexRegistry | None = None
    index_sync: IndexSync | None = None
    retriever: Retriever | None = None
    generator: Generator | None = None
    answers: AnswerService | None = None
    slots: GenerationSlots = field(default_factory=GenerationSlots)
    generator_error: str | None = None

    def close(self) -> None:
        if self.index_sync is not None:
            self.index_sync.stop()  # and writes the last snapshots
        elif self.registry is not None:
            self.registry.save_snapshots()
        close_generator = getattr(self.generator, "close", None)
        if close_generator is not None:
            close_generator()  # the generator process, if it has one
        self.engine.dispose()

    def generator_status(self) -> str:
        if self.generator is None:
            return "disabled"
        status = getattr(self.generator, "status", None)
        if status is not None:  # a supervised process or an external server says for itself
            return str(status())
        if self.generator_error:
            return "error"
        if self.generator.loaded:
            return "loaded"
        return "loading" if self.settings.generator.preload else "lazy"

    def generator_error_detail(self) -> str | None:
        return self.generator_error or getattr(self.generator, "last_error", None)

    def preload_generator(self) -> None:
        """Load the generator in the background so the API (search, uploads) serves meanwhile."""
        generator = self.generator
        if generator is None or not self.settings.generator.preload:
            return

        def load() -> None:
            try:
                generator.warm_up()
            except GeneratorUnavailable as exc:  # an external server not up yet: retried per question
                logger.warning("generator not available yet: %s", exc.detail)
            except Exception as exc:  # reported by /readyz and by /ask; search keeps working
                logger.exception("generator failed to load")
                self.generator_error = str(exc)

        t = threading.Thread(target=load, name="generator-load", daemon=True)
        t.start()


def build_database(settings: Settings, *, migrate: bool = True) -> tuple[Engine, SessionFactory]:
    settings.paths.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(
        settings.database_url,
        echo=settings.db.echo,
        sqlite_busy_timeout_ms=settings.db.sqlite_busy_timeout_ms,
    )
    wait_for_database(engine)
    if migrate:
        upgrade_database(engine)
    factory = make_session_factory(engine)
    with session_scope(factory, write=True) as session:
        get_or_create_collection(session, settings.default_collection)
    return engine, factory


def build_container(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    generator: Generator | None = None,
    with_index: bool = True,
    with_generator: bool = False,
    migrate: bool | None = None,
    metrics: Metrics | None = None,
) -> Container:
    engine, factory = build_database(
        settings, migrate=settings.db.migrate_on_start if migrate is None else migrate
    )
    embedder = embedder or create_embedder(settings)
    warm_up = getattr(embedder, "warm_up", None)
    if warm_up is not None:
        warm_up()
    page_images = PageImages(
        settings.paths.page_cache_dir,
        settings.paths.uploads_dir,
        cache_bytes=settings.page_images.cache_mb * 1024 * 1024,
        timeout_s=settings.page_images.render_timeout_s,
    )
    library = Library(
        factory,
        settings.paths.uploads_dir,
        max_upload_bytes=settings.limits.max_upload_bytes,
        derived=page_images,
    )
    c = Container(
        settings=settings,
        engine=engine,
        factory=factory,
        embedder=embedder,
        library=library,
        page_images=page_images,
    )
    if with_index:
        c.registry = create_registry(settings, factory, embedder)
        library.index = c.registry  # deleting a document takes it out of search at once
        c.index_sync = IndexSync(c.registry, settings.index)  # started by the API (`start()`)
        loaded = c.registry.load_snapshots()
        stats = c.registry.sync()
        logger.info(
            "index ready snapshots=%s synced_docs=%s chunks=%s",
            loaded,
            stats.added_documents,
            c.registry.total_chunks(),
        )
        c.retriever = create_retriever(settings, factory, embedder, c.registry)
    if with_generator and c.retriever is not None:
        c.generator = generator or create_generator(settings)
        if metrics is not None:
            metrics.watch_generator(c.generator)
        c.slots = GenerationSlots(
            settings.answer.slots, settings.answer.queue, per_caller=settings.answer.per_caller
        )
        c.answers = AnswerService(settings, c.retriever, c.generator, metrics=metrics)
    return c
