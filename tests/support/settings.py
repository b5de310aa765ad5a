"""Settings for tests, built only from what the test passes: never from `.env` or `SHIORI_*` variables.

A developer's `.env` (say, `SHIORI_GENERATOR__MAX_TOKENS=2048`) or an exported variable would otherwise
fill every field a test leaves unset, and the test would run something other than what it reads as.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from app.core.settings import Settings


class _ArgumentsOnly(Settings):
    """`Settings` whose one source is its constructor's arguments (then the field defaults)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def build_settings(*layers: Mapping[str, Any]) -> Settings:
    """Settings from ``layers`` merged in order, section by section: a dict updates that section's
    fields, anything else replaces the value. Unset fields keep their defaults."""
    data: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            current = data.get(key)
            if isinstance(value, Mapping) and isinstance(current, Mapping):
                data[key] = {**current, **value}
            else:
                data[key] = value
    return _ArgumentsOnly(**data)
