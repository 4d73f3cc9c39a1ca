"""The ``file`` system: Runs on this machine's disk, through fsspec's local filesystem.

Shipped inside the ``rhcore`` wheel so ``pip install rhcore`` works alone, yet loaded only
through its ``rhcore`` entry point, like any third-party plugin — a template for one.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import fsspec

from rh_file.filesystem import RunFileSystem
from rhcore import hookimpl
from rhcore.spec import LOCAL_RUN_DIR, Capabilities, SystemSpec

__version__ = "0.1.0"


def _local_filesystem(data_config: dict) -> fsspec.AbstractFileSystem:
    return RunFileSystem(**data_config)


@hookimpl
def rhcore_register_systems(register: Callable[[SystemSpec], None]) -> None:
    register(
        SystemSpec(
            name="file",
            protocols=("file", "local"),
            capabilities=Capabilities(
                atomic_rename=True, exclusive_create=True, local_paths=True, posix_paths=True
            ),
            description="this machine's file system",
            factory=_local_filesystem,
        )
    )


@hookimpl
def rhcore_default_run_path(system: str, name: str) -> str | None:
    """Runs on the local disk live in ``./rh/<name>`` under the working directory."""
    if system != "file":
        return None
    return os.path.join(os.getcwd(), LOCAL_RUN_DIR, name)
