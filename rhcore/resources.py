"""Loading any named resource from the registry: ``rh.exists`` and ``rh.load``.

Each kind of resource (``run``, and later ``function``, ``blob``, ``cluster``) registers
the function that rebuilds it from its stored config; ``rh.load`` picks it by the entry's
``resource_type``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rhcore import layout, provenance
from rhcore.errors import RhcoreError
from rhcore.registry import get_registry

_loaders: dict[str, Callable[[dict[str, Any], bool], Any]] = {}


class Resource:
    """What every named resource — Run, function, blob, cluster — shares: it is saved in
    the registry under its name (its ``registry_entry``, free of secrets), loaded back by
    that name, and its saving and deletion are seen by lineage."""

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
        entry = {**self.registry_entry, "saved_by": provenance.saver(exclude=self)}
        get_registry().put(self.name, entry, overwrite=overwrite)
        provenance.saved(self.name)
        return self

    def delete_configs(self) -> None:
        """Remove the registry entry (the data stays); warns, naming them, if Runs loaded it."""
        if self.name is not None:
            provenance.warn_if_used(self.name)
            get_registry().delete(self.name)


def register_loader(resource_type: str, loader: Callable[[dict[str, Any], bool], Any]) -> None:
    """Make ``rh.load`` rebuild entries of ``resource_type`` with ``loader(config, dryrun)``."""
    _loaders[resource_type] = loader


def exists(name: str, resource_type: str | None = None) -> bool:
    """Whether ``name`` is in the registry (as a ``resource_type``, if given)."""
    return get_registry().exists(name, resource_type=resource_type)


def load(name: str, instantiate: bool = True, dryrun: bool = False) -> Any:
    """The resource saved as ``name``: a Run, function, blob or cluster — or, with
    ``instantiate=False``, its stored config as a dict."""
    config = get_registry().require(name)
    provenance.loaded(name)
    if not instantiate:
        return config
    resource_type = config.get("resource_type", "")
    loader = _loaders.get(resource_type)
    if loader is None:
        raise RhcoreError(
            f"Cannot load {name!r}: unknown resource type {resource_type!r} "
            f"(known: {', '.join(sorted(_loaders))})"
        )
    return loader(config, dryrun)


def _load_run(config: dict[str, Any], dryrun: bool) -> Any:
    from rhcore.run import _from_registry

    run = _from_registry(config, None)
    run.dryrun = dryrun
    return run


register_loader("run", _load_run)
