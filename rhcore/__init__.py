"""rhcore: every function call, shell command or ``with`` block becomes a Run — a folder
with its config, inputs, result and logs, on any storage system.

Use it as ``import rhcore as rh``::

    with rh.run(name="prepare") as r:
        print("hello")
    rh.run(path=r.path).stdout()   # 'hello'
"""

from __future__ import annotations

__version__ = "0.1.0"

from rhcore.errors import (
    CorruptConfigError,
    RunCancelledError,
    RunFailedError,
    WorkerDiedError,
    IllegalTransitionError,
    InvalidNameError,
    ReadOnlySystemError,
    ResourceNotFoundError,
    RhcoreError,
    RunExistsError,
    RunNotFoundError,
    StorageError,
    UnknownSystemError,
)
from rhcore.blob import Blob, blob
from rhcore.cluster import Cluster, cluster
from rhcore.folder import Folder
from rhcore.function import Function, function
from rhcore.provenance import Lineage
from rhcore.provenance import graph as lineage
from rhcore.plugins import hookimpl
from rhcore.resources import exists, load
from rhcore.run import Run, run
from rhcore.settings import configure
from rhcore.status import RunStatus, RunType

__all__ = [
    "Blob",
    "Cluster",
    "CorruptConfigError",
    "Folder",
    "Function",
    "RunCancelledError",
    "RunFailedError",
    "WorkerDiedError",
    "Lineage",
    "blob",
    "cluster",
    "function",
    "IllegalTransitionError",
    "InvalidNameError",
    "ReadOnlySystemError",
    "ResourceNotFoundError",
    "RhcoreError",
    "Run",
    "RunExistsError",
    "RunNotFoundError",
    "RunStatus",
    "RunType",
    "StorageError",
    "UnknownSystemError",
    "__version__",
    "configure",
    "exists",
    "hookimpl",
    "lineage",
    "load",
    "run",
]
