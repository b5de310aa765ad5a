"""Dependencies as Annotated aliases, so routes stay one-liners."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.core.errors import NotReady
from app.core.metrics import Metrics
from app.core.settings import Settings
from app.services.container import Container
from app.services.retrieval import Retriever


def get_container(request: Request) -> Container:
    container: Container | None = getattr(request.app.state, "container", None)
    if container is None:
        raise NotReady("The service is still starting.", code="starting")
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_shutdown(request: Request) -> threading.Event:
    """Set once the server has been told to stop (app factory, `shiori serve`)."""
    event: threading.Event = request.app.state.shutting_down
    return event


ShutdownDep = Annotated[threading.Event, Depends(get_shutdown)]


def get_settings(container: ContainerDep) -> Settings:
    return container.settings


def get_session(container: ContainerDep) -> Iterator[Session]:
    """A read session. Nothing in a route commits: writes go through a use case's `session_scope`."""
    session = container.factory()
    try:
        yield session
    finally:
        session.close()


def get_retriever(container: ContainerDep) -> Retriever:
    if container.retriever is None:
        raise NotReady("Search is not available in this process.", code="search_unavailable")
    return container.retriever


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
RetrieverDep = Annotated[Retriever, Depends(get_retriever)]


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


MetricsDep = Annotated[Metrics, Depends(get_metrics)]
