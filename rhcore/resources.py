"""Loading any named resource from the registry: ``rh.exists`` and ``rh.load``.

Each kind of resource (``run``, ``function``, ``blob``, ``cluster``) registers the
function that rebuilds it from its stored config; ``rh.load`` picks it by the entry's
``resource_type``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rhcore import context
from rhcore.errors import RhcoreError
from rhcore.registry import Resource, get_registry
from rhcore.run import from_registry

__all__ = ["Resource", "exists", "load", "register_loader"]

_loaders: dict[str, Callable[[dict[str, Any], bool], Any]] = {}


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
    context.loaded(name)
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
    run = from_registry(config, None)
    run.dryrun = dryrun
    return run


register_loader("run", _load_run)
