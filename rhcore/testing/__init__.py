"""The contract kit for plugin authors: hypothesis strategies and the test classes a
storage system or an executor must pass against its real backend, and what a storage
plugin shows its users (:class:`SystemPluginContract`).

Install with ``pip install 'rhcore[testing]'``.
"""

from rhcore.testing.executor import ExecutorContract
from rhcore.testing.filesystem import FilesystemContract, ReadOnlyFilesystemContract, fresh
from rhcore.testing.plugin import SystemPluginContract
from rhcore.testing.strategies import (
    invalid_run_names,
    json_values,
    payloads,
    run_configs,
    run_names,
)

__all__ = [
    "ExecutorContract",
    "FilesystemContract",
    "ReadOnlyFilesystemContract",
    "SystemPluginContract",
    "fresh",
    "invalid_run_names",
    "json_values",
    "payloads",
    "run_configs",
    "run_names",
]
