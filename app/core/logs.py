"""Logging set-up for the entrypoints: text or JSON lines, each carrying the current request id.

The request id lives in a context variable: the API's middleware sets it for each request, and
``anyio.to_thread`` (and the SSE producer thread) copy the context, so log lines written while serving a
request, in any thread, carry its id.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

request_id_var: ContextVar[str | None] = ContextVar("shiori_request_id", default=None)

NOISY_LOGGERS = ("httpx", "sentence_transformers", "urllib3", "filelock", "alembic", "faiss.loader")

# Attributes every LogRecord has; anything else on a record came from `extra=` and is worth printing.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def _request_id(record: logging.LogRecord) -> str | None:
    rid = getattr(record, "request_id", None)
    return rid if isinstance(rid, str) else request_id_var.get()


# Control characters (and Unicode line breaks) that would let a logged value start a line of its own.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """``\\n``, ``\\r``, ``\\x1b``... instead of the characters themselves: a URL path with ``%0a`` or a
    file name with an ANSI escape can't forge or hide log lines."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        # One record is one line: the message's own control characters are escaped; a traceback
        # (added after this, by format()) keeps its lines below it.
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = _request_id(record)
        if rid is None:
            return line
        first, nl, rest = line.partition("\n")  # keep a traceback below the line it belongs to
        return f"{first} request_id={escape_controls(rid)}{nl}{rest}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = _request_id(record)
        if rid is not None:
            out["request_id"] = rid
        if record.threadName and record.threadName != "MainThread":
            out["thread"] = record.threadName
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key != "request_id" and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class _ShioriHandler(logging.StreamHandler):  # type: ignore[type-arg]  # generic only in stubs
    """Ours, so a second call replaces it rather than adding another."""


def configure_logging(level: str | int = "INFO", fmt: str = "text", stream: TextIO | None = None) -> None:
    """Log ``fmt`` ("text" or "json") lines to stderr from the root logger. Like ``basicConfig``, leaves
    logging alone where someone else configured it already (a test runner, an embedding program)."""
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    root = logging.getLogger()
    if any(not isinstance(h, _ShioriHandler) for h in root.handlers):
        return
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = _ShioriHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
