"""rhcore: every function call, shell command or ``with`` block becomes a Run — a folder
with its config, inputs, result and logs, on any storage system.

Use it as ``import rhcore as rh``::

    with rh.run(name="prepare") as r:
        print("hello")
    rh.run(path=r.path).stdout()   # 'hello'
"""

from __future__ import annotations

from rhcore import api
from rhcore.blob import Blob, blob
from rhcore.cluster import Cluster, cluster
from rhcore.errors import (
    CacheMismatchError,
    CorruptConfigError,
    CorruptRunError,
    IllegalTransitionError,
    InvalidNameError,
    ReadOnlySystemError,
    ResourceNotFoundError,
    RhcoreError,
    RunCancelledError,
    RunExistsError,
    RunFailedError,
    RunInProgressError,
    RunNotFoundError,
    StorageError,
    StorageNotFoundError,
    UnknownSystemError,
    UntrustedStoreError,
    WorkerDiedError,
)
from rhcore.folder import Folder
from rhcore.function import Function, function
from rhcore.plugins import hookimpl
from rhcore.provenance import Lineage
from rhcore.provenance import graph as lineage
from rhcore.resources import exists, load
from rhcore.run import Run, run
from rhcore.settings import configure
from rhcore.status import RunStatus, RunType
from rhcore.version import __version__

api.install_builtins()

__all__ = [
    "Blob",
    "CacheMismatchError",
    "Cluster",
    "CorruptConfigError",
    "CorruptRunError",
    "Folder",
    "Function",
    "IllegalTransitionError",
    "InvalidNameError",
    "Lineage",
    "ReadOnlySystemError",
    "ResourceNotFoundError",
    "RhcoreError",
    "Run",
    "RunCancelledError",
    "RunExistsError",
    "RunFailedError",
    "RunInProgressError",
    "RunNotFoundError",
    "RunStatus",
    "RunType",
    "StorageError",
    "StorageNotFoundError",
    "UnknownSystemError",
    "UntrustedStoreError",
    "WorkerDiedError",
    "__version__",
    "blob",
    "cluster",
    "configure",
    "exists",
    "function",
    "hookimpl",
    "lineage",
    "load",
    "run",
]
