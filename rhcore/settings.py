"""Process-wide settings: where the registry lives and how to reach it, and which stores'
pickles may be loaded.

``rh.configure(registry="s3://bucket/team", data_config={...})`` or the environment
variable ``RHCORE_REGISTRY`` put the registry on any system, so a team shares names,
Runs and clusters. Unset, it is the folder ``~/.rh/registry``.
``rh.configure(trusted=["s3://bucket/runs"])`` or ``RHCORE_TRUSTED`` (comma-separated)
names further places whose pickles may be unpickled; ``require_signature=True`` or
``RHCORE_REQUIRE_SIGNATURE=1`` loads only pickles signed with ``RHCORE_SIGNING_KEY``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from rhcore import layout


@attrs.define
class Settings:
    """What :func:`configure` sets. ``None`` means: take the environment or the default."""

    registry: str | None = None
    data_config: dict[str, Any] = attrs.field(factory=dict)
    trusted: list[str] = attrs.field(factory=list)
    """Places (URLs, local paths, system names) whose pickles may be loaded, besides the
    ones trusted by default."""
    require_signature: bool | None = None


_settings = Settings()


def configure(
    *,
    registry: str | None = None,
    data_config: dict[str, Any] | None = None,
    trusted: Iterable[str] | None = None,
    require_signature: bool | None = None,
) -> Settings:
    """Set where the registry lives (a URL or local path) and the ``data_config`` to reach
    it; which places' pickles may be loaded (``trusted``: URLs such as
    ``"s3://bucket/runs"``, local paths, or whole systems such as ``"github"``; added to
    the local disk, the registry and the clusters' run stores, which are trusted already);
    and whether only signed pickles load (``require_signature``).

    Arguments left as None keep their current value. Returns the settings now in force.
    """
    if registry is not None:
        _settings.registry = os.fspath(registry)
    if data_config is not None:
        _settings.data_config = dict(data_config)
    if trusted is not None:
        if isinstance(trusted, (str, os.PathLike)):
            trusted = [trusted]
        _settings.trusted = [os.fspath(place) for place in trusted]
    if require_signature is not None:
        _settings.require_signature = bool(require_signature)
    return _settings


@contextlib.contextmanager
def using(
    *,
    registry: str | None = None,
    data_config: dict[str, Any] | None = None,
    trusted: Iterable[str] | None = None,
    require_signature: bool | None = None,
) -> Iterator[Settings]:
    """:func:`configure` for the duration of a ``with`` block."""
    before = attrs.evolve(_settings, data_config=dict(_settings.data_config), trusted=list(_settings.trusted))
    try:
        yield configure(registry=registry, data_config=data_config, trusted=trusted,
                        require_signature=require_signature)
    finally:
        for field in attrs.fields(Settings):
            setattr(_settings, field.name, getattr(before, field.name))


def reset() -> None:
    """Forget everything :func:`configure` set."""
    for field in attrs.fields(Settings):
        setattr(_settings, field.name, getattr(Settings(), field.name))


def registry_url() -> str:
    """The registry's location: configured, else ``RHCORE_REGISTRY``, else ``~/.rh/registry``."""
    return _settings.registry or os.environ.get("RHCORE_REGISTRY") or str(layout.default_registry_path())


def registry_data_config() -> dict[str, Any]:
    """The ``data_config`` used to reach the registry."""
    return dict(_settings.data_config)


def trusted_places() -> list[str]:
    """The places trusted beyond the defaults: configured, then ``RHCORE_TRUSTED``."""
    from_env = [p.strip() for p in os.environ.get("RHCORE_TRUSTED", "").split(",") if p.strip()]
    return [*_settings.trusted, *from_env]


def signature_required() -> bool:
    """Whether only signed pickles may be loaded (configured, else ``RHCORE_REQUIRE_SIGNATURE``)."""
    if _settings.require_signature is not None:
        return _settings.require_signature
    return os.environ.get("RHCORE_REQUIRE_SIGNATURE", "").strip().lower() in ("1", "true", "yes", "on")
