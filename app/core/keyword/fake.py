"""A dependency-free analyzer for unit tests: lower-cased words, and single characters for CJK."""

from __future__ import annotations

import re

_TERM = re.compile(r"[a-z0-9]+|[^\W\da-z_]", re.IGNORECASE)


class FakeAnalyzer:
    fields: tuple[str, ...] = ("word",)
    script_field: str | None = None

    @property
    def analyzer_id(self) -> str:
        return "fake-v1"

    def analyze(self, text: str) -> dict[str, list[str]]:
        return {"word": [t.lower() for t in _TERM.findall(text)]}
