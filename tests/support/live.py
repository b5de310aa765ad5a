"""A real uvicorn server in a thread, for tests that need what only a socket shows (client
disconnects, proxy headers); the app is built by the test, so its state stays inspectable."""

from __future__ import annotations

import socket
import threading
from typing import Any

import uvicorn

from tests.support.waiting import wait_until


class LiveServer:
    def __init__(self, app: Any, **config: Any) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.app = app
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", **config)
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        wait_until(lambda: self.server.started, message="uvicorn to start")
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
