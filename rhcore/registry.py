"""The registry: named resources (Runs, functions, blobs, clusters) anyone can load by name.

The local stand-in for the spec's RNS/Den: a folder on any system holding one JSON entry
per name, ``<registry>/<name>.json``, published atomically. Put it on a shared bucket
(``RHCORE_REGISTRY=s3://bucket/team``) and a team shares its names. Entries never hold a
secret: callers store redacted configs.
"""

from __future__ import annotations

import json
from typing import Any

from rhcore import context, layout, settings
from rhcore.errors import CorruptConfigError, ResourceNotFoundError
from rhcore.folder import Folder
from rhcore.places import url_folder
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
        registry = Registry(url_folder(url, data_config))
        _cache[key] = registry
    return registry


class Resource:
    """What every named resource — Run, function, blob, cluster — shares: it is saved in
    the registry under its name (its ``registry_entry``, free of secrets), loaded back by
    that name, and its saving is recorded by the Runs active meanwhile."""

    RESOURCE_TYPE = "resource"
    name: str | None

    @property
    def registry_entry(self) -> dict[str, Any]:
        """What :meth:`save` stores."""
        raise NotImplementedError

    def _before_save(self) -> None:
        """Make what the entry describes exist (subclasses write data, rename, …)."""

    def save(self, name: str | None = None, overwrite: bool = True):
        """Record the resource in the registry under ``name`` (default: its own name)."""
        if name is not None:
            self.name = layout.validate_name(name, kind=self.RESOURCE_TYPE)
        if self.name is None:
            kind = self.RESOURCE_TYPE
            raise ValueError(f"A {kind} needs a name to be saved: .save('my_{kind}')")
        self._before_save()
        entry = {**self.registry_entry, "saved_by": context.saver(exclude=self)}
        get_registry().put(self.name, entry, overwrite=overwrite)
        context.saved(self.name)
        return self

    def delete_configs(self) -> None:
        """Remove the registry entry (the data stays); warns, naming them, if Runs loaded it."""
        if self.name is not None:
            get_plugins().artifact_deleting(self.name)
            get_registry().delete(self.name)
