"""Blobs: a piece of data (any picklable object) stored as a file on any system, and
shareable by name — the simplest artifact a Run loads or saves.
"""

from __future__ import annotations

import os
import pickle
import posixpath
from typing import Any

import cloudpickle

from rhcore import context, layout, resources
from rhcore.folder import Folder
from rhcore.plugins import get_plugins
from rhcore.registry import Resource, get_registry

_UNSET = object()


class Blob(Resource):
    """Data at ``path`` on ``system``, pickled (cloudpickle) so any object round-trips."""

    RESOURCE_TYPE = "blob"

    def __init__(
        self,
        data: Any = _UNSET,
        name: str | None = None,
        system: str = "file",
        path: str | None = None,
        data_config: dict | None = None,
        dryrun: bool = False,
        mkdir: bool = True,
    ):
        self.name = layout.validate_name(name, kind="blob") if name is not None else None
        self.system = get_plugins().system(system or "file").name
        self.data_config = dict(data_config or {})
        if path is None:
            if not get_plugins().system(self.system).capabilities.local_paths:
                raise ValueError(f"A blob on {self.system!r} needs a path (e.g. 'bucket/blobs/name')")
            file_name = self.name or layout.new_run_name().replace("run-", "blob-")
            path = str(layout.rh_home() / "blobs" / file_name)
        folder = Folder(os.path.dirname(os.fspath(path)) or ".", self.system, self.data_config)
        self._folder = folder
        self._file = posixpath.basename(os.fspath(path).rstrip("/"))
        self.dryrun = dryrun
        self.mkdir = mkdir
        self._data = data

    def __repr__(self) -> str:
        return f"<Blob {self.name or self._file!r} at {self.system}:{self.path}>"

    @property
    def path(self) -> str:
        """Where the blob's file is on its system."""
        return self._folder.join(self._file)

    @property
    def data(self) -> Any:
        """The data held in memory (fetched on first use if it was not given)."""
        if self._data is _UNSET:
            self._data = self.fetch()
        return self._data

    @data.setter
    def data(self, value: Any) -> None:
        self._data = value

    def write(self, data: Any = _UNSET) -> Blob:
        """Store the data (``data``, or what the blob was made with) at its path."""
        if data is not _UNSET:
            self._data = data
        if self._data is _UNSET:
            raise ValueError(f"{self!r} has no data to write")
        self._folder.publish(self._file, cloudpickle.dumps(self._data, protocol=pickle.HIGHEST_PROTOCOL))
        return self

    def fetch(self) -> Any:
        """Read the data back from its path."""
        try:
            raw = self._folder.read_bytes(self._file)
        except FileNotFoundError:
            raise FileNotFoundError(f"{self!r} has no data at {self.system}:{self.path}") from None
        self._data = pickle.loads(raw)
        return self._data

    def exists_in_system(self) -> bool:
        """Whether the blob's file exists."""
        return self._folder.has(self._file)

    def rm(self) -> None:
        """Delete the blob's data (warning first if Runs loaded it)."""
        if self.name is not None:
            get_plugins().artifact_deleting(self.name)
        self._folder.remove(self._file)

    def to(self, system: str, path: str | None = None, data_config: dict | None = None) -> Blob:
        """A copy of the blob on another system."""
        return Blob(self.data, self.name, system, path, data_config).write()

    @property
    def registry_entry(self) -> dict[str, Any]:
        """Where the blob is (no secrets): what :meth:`save` stores."""
        return {
            "resource_type": self.RESOURCE_TYPE,
            "name": self.name,
            "system": self.system,
            "path": self.path,
            "data_config": self._folder.public_config,
        }

    def _before_save(self) -> None:
        if self._data is not _UNSET and not self.exists_in_system():
            self.write()

    @classmethod
    def from_config(
        cls, config: dict[str, Any], dryrun: bool = False, data_config: dict | None = None
    ) -> Blob:
        stored = dict(config.get("data_config") or {})
        stored.update(data_config or {})
        return cls(name=config.get("name"), system=config.get("system", "file"), path=config["path"],
                   data_config=stored, dryrun=dryrun)


def blob(
    data: Any = _UNSET,
    name: str | None = None,
    system: str | None = None,
    path: str | None = None,
    data_config: dict | None = None,
    load: bool = True,
    dryrun: bool = False,
    mkdir: bool = True,
) -> Blob:
    """A blob of ``data`` (call ``.write()`` to store it), or — given only a ``name`` — the
    blob saved under that name (loading it counts as a use by active Runs). A name that is
    not saved gives a new, empty blob of that name: ``rh.blob(name="x").write(data)``."""
    if name is not None and load and data is _UNSET and path is None:
        config = get_registry().get(name)
        if config is not None and config.get("resource_type") == Blob.RESOURCE_TYPE:
            context.loaded(name)
            return Blob.from_config(config, dryrun, data_config)
    return Blob(data, name, system or "file", path, data_config, dryrun, mkdir)


resources.register_loader("blob", Blob.from_config)
