"""The registry: named resources (Runs, functions, blobs, clusters) anyone can load by name.

The local stand-in for the spec's RNS/Den: a folder on any system holding one JSON entry
per name, ``<registry>/<name>.json``, published atomically. Put it on a shared bucket
(``RHCORE_REGISTRY=s3://bucket/team``) and a team shares its names. Entries never hold a
secret: callers store redacted configs.
"""

from __future__ import annotations

import json
from typing import Any

import fsspec.core

from rhcore import layout, settings
from rhcore.errors import CorruptConfigError, ResourceNotFoundError
from rhcore.folder import Folder
from rhcore.plugins import get_plugins

ENTRY_SUFFIX = ".json"


class Registry:
    """Named resource configs in a :class:`~rhcore.folder.Folder`."""

    def __init__(self, folder: Folder):
        self.folder = folder

    def __repr__(self) -> str:
        return f"Registry({self.folder.system}:{self.folder.path})"

    def _entry(self, name: str) -> str:
        return layout.validate_name(name, kind="resource") + ENTRY_SUFFIX

    def get(self, name: str) -> dict[str, Any] | None:
        """The stored config of ``name``, or None if there is none."""
        entry = self._entry(name)
        try:
            raw = self.folder.read_bytes(entry)
        except FileNotFoundError:
            return None
        try:
            config = json.loads(raw)
        except ValueError as exc:
            raise CorruptConfigError(
                f"Registry entry {self.folder.system}:{self.folder.join(entry)} is not valid JSON: {exc}"
            ) from None
        if not isinstance(config, dict):
            raise CorruptConfigError(
                f"Registry entry {self.folder.system}:{self.folder.join(entry)} is not a JSON object"
            )
        return config

    def require(self, name: str) -> dict[str, Any]:
        """The stored config of ``name``; ResourceNotFoundError if absent."""
        config = self.get(name)
        if config is None:
            raise ResourceNotFoundError(f"No resource named {name!r} in the registry {self}")
        return config

    def put(self, name: str, config: dict[str, Any], *, overwrite: bool = True) -> None:
        """Store ``config`` under ``name`` (it must already be free of secrets)."""
        entry = self._entry(name)
        data = json.dumps(config, indent=2, sort_keys=True, default=str).encode()
        if overwrite:
            self.folder.publish(entry, data)
        elif not self.folder.create(entry, data):
            raise FileExistsError(f"A resource named {name!r} already exists in {self}")

    def exists(self, name: str, resource_type: str | None = None) -> bool:
        """Whether ``name`` is registered (as a ``resource_type``, if given)."""
        if resource_type is None:
            return self.folder.has(self._entry(name))
        config = self.get(name)
        return config is not None and config.get("resource_type") == resource_type

    def delete(self, name: str) -> bool:
        """Remove ``name``'s entry; return whether there was one."""
        return self.folder.remove(self._entry(name))

    def names(self, resource_type: str | None = None) -> list[str]:
        """Every registered name (of ``resource_type``, if given), sorted."""
        names = [
            f[: -len(ENTRY_SUFFIX)]
            for f in self.folder.files()
            if f.endswith(ENTRY_SUFFIX) and "/" not in f
        ]
        if resource_type is None:
            return sorted(names)
        return sorted(n for n in names if (self.get(n) or {}).get("resource_type") == resource_type)


_cache: dict[tuple, Registry] = {}


def get_registry() -> Registry:
    """The registry of the current settings (``rh.configure`` / ``RHCORE_REGISTRY``)."""
    url = settings.registry_url()
    data_config = settings.registry_data_config()
    key = (url, json.dumps(data_config, sort_keys=True, default=repr))
    registry = _cache.get(key)
    if registry is None:
        protocol, path = fsspec.core.split_protocol(url)
        system = get_plugins().system(protocol).name if protocol else "file"
        registry = Registry(Folder(path if protocol is None else url, system, data_config))
        _cache[key] = registry
    return registry
