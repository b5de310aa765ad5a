"""Reading a Server-Sent Events body (`event: name` / `data: json` blocks) in tests."""

from __future__ import annotations

import json
from typing import Any


def parse_sse(raw: str) -> list[tuple[str, Any]]:
    """``(event name, decoded data)`` for each event, in order."""
    events = []
    for block in raw.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in lines:
            events.append((lines.get("event", "message"), json.loads(lines["data"])))
    return events


def first_of_each(raw: str) -> dict[str, Any]:
    """The first event of each name: ``{"sources": ..., "done": ...}``."""
    out: dict[str, Any] = {}
    for name, data in parse_sse(raw):
        out.setdefault(name, data)
    return out
