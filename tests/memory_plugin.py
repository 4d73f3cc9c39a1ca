"""A plugin serving fsspec's in-memory filesystem as the system ``memory``.

Not a real backend — it exists so the core's paths for non-local systems (spooled logs,
copies through streams, publish by whole-object write) run in the core's own tests.
"""

from __future__ import annotations

import fsspec

from rhcore import hookimpl
from rhcore.plugins import Capabilities, SystemSpec


def _memory(data_config: dict) -> fsspec.AbstractFileSystem:
    return fsspec.filesystem("memory", **data_config)


@hookimpl
def rhcore_register_systems(register):
    register(
        SystemSpec(
            name="memory",
            protocols=("memory",),
            capabilities=Capabilities(atomic_write=True, exclusive_create=True),
            description="fsspec's in-memory filesystem (tests only)",
            factory=_memory,
        )
    )


@hookimpl
def rhcore_default_run_path(system, name):
    return f"runs/{name}" if system == "memory" else None
