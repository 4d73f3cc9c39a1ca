"""Where things are: the one code that turns what a user names — a system and a path, a
URL, a cluster — into a :class:`~rhcore.folder.Folder`."""

from __future__ import annotations

import os
from typing import Any

import fsspec.core

from rhcore.errors import RhcoreError, UnknownSystemError
from rhcore.folder import Folder
from rhcore.plugins import get_plugins
from rhcore.spec import RunType


def url_folder(url: str, data_config: dict | None = None) -> Folder:
    """The folder a URL (``s3://bucket/prefix``) or a local path names."""
    url = os.fspath(url)
    protocol, _ = fsspec.core.split_protocol(url)
    system = get_plugins().system(protocol).name if protocol else "file"
    return Folder(url, system, data_config)


def run_place(
    name: str, system: Any, path: str | None, data_config: dict | None, run_type: RunType
) -> tuple[Folder, Any]:
    """The folder of Run ``name`` on ``system``, and the cluster keeping it, if it is one.

    ``system`` is a system's name (or one of its URL schemes), a cluster's name —
    ``"local"`` is this machine's cluster, not fsspec's other name for the file system —
    or a cluster object (anything with ``run_folder``). Without a ``path``, plugins say
    where Runs of that type go by default.
    """
    plugins = get_plugins()
    if system == "local":
        system = plugins.resolve_cluster("local")
    if system is not None and not isinstance(system, str):
        return system.run_folder(name, path=path), system
    try:
        spec = plugins.system(system or "file")
    except UnknownSystemError:  # then a cluster of that name, or the error naming the systems
        cluster = plugins.resolve_cluster(system)
        if cluster is None:
            raise
        return cluster.run_folder(name, path=path), cluster
    if path is None:
        path = plugins.default_run_path(spec.name, name, run_type)
        if path is None:
            raise RhcoreError(
                f"The system {spec.name!r} has no default place for Runs: pass path= "
                f"(e.g. 'bucket/prefix/{name}')"
            )
    return Folder(os.fspath(path), spec.name, data_config), None
