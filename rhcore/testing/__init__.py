"""The contract kit for plugin authors: hypothesis strategies and the test classes a
storage system, an executor or a log sink must pass against its real backend, what a
storage plugin shows its users (:class:`SystemPluginContract`), and the state machine of
the status machine and the store (:func:`run_store_machine`).

Install with ``pip install 'rhcore[testing]'``.
"""

from rhcore.version import extra_install_hint

try:
    import hypothesis  # noqa: F401
    import pytest  # noqa: F401
except ModuleNotFoundError as missing:
    raise ModuleNotFoundError(f"rhcore.testing needs {missing.name}, which rhcore's testing extra "
                              f"installs: {extra_install_hint('testing')}", name=missing.name) from missing

from rhcore.testing.executor import ExecutorContract
from rhcore.testing.filesystem import FilesystemContract, ReadOnlyFilesystemContract, fresh
from rhcore.testing.fsspec_suite import FsspecSuite
from rhcore.testing.logsinks import LogSinkContract
from rhcore.testing.plugin import SystemPluginContract
from rhcore.testing.stateful import run_store_machine
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
    "FsspecSuite",
    "LogSinkContract",
    "ReadOnlyFilesystemContract",
    "SystemPluginContract",
    "fresh",
    "invalid_run_names",
    "json_values",
    "payloads",
    "run_configs",
    "run_names",
    "run_store_machine",
]
