"""Process-wide settings: where the registry lives and how to reach it.

``rh.configure(registry="s3://bucket/team", data_config={...})`` or the environment
variable ``RHCORE_REGISTRY`` put the registry on any system, so a team shares names,
Runs and clusters. Unset, it is the folder ``~/.rh/registry``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import attrs

from rhcore import layout


@attrs.define
class Settings:
    """What :func:`configure` sets. ``None`` means: take the environment or the default."""

    registry: str | None = None
    data_config: dict[str, Any] = attrs.field(factory=dict)


_settings = Settings()


def configure(*, registry: str | None = None, data_config: dict[str, Any] | None = None) -> Settings:
    """Set where the registry lives (a URL or local path) and the ``data_config`` to reach it.

    Arguments left as None keep their current value. Returns the settings now in force.
    """
    if registry is not None:
        _settings.registry = os.fspath(registry)
    if data_config is not None:
        _settings.data_config = dict(data_config)
    return _settings


@contextlib.contextmanager
def using(*, registry: str | None = None, data_config: dict[str, Any] | None = None) -> Iterator[Settings]:
    """:func:`configure` for the duration of a ``with`` block."""
    before = (_settings.registry, dict(_settings.data_config))
    try:
        yield configure(registry=registry, data_config=data_config)
    finally:
        _settings.registry, _settings.data_config = before


def reset() -> None:
    """Forget everything :func:`configure` set."""
    _settings.registry = None
    _settings.data_config = {}


def registry_url() -> str:
    """The registry's location: configured, else ``RHCORE_REGISTRY``, else ``~/.rh/registry``."""
    return _settings.registry or os.environ.get("RHCORE_REGISTRY") or str(layout.default_registry_path())


def registry_data_config() -> dict[str, Any]:
    """The ``data_config`` used to reach the registry."""
    return dict(_settings.data_config)
