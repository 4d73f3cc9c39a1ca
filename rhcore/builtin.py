"""The core's own hook implementations, registered through the plugin manager like any
plugin's: the log destinations ``file`` and ``stream``, and the ``local`` cluster kind."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rhcore.logfiles import LogFile
from rhcore.plugins import ExecutorSpec, LogSinkSpec, hookimpl

if TYPE_CHECKING:
    from rhcore.run import Run


def _open_file_logs(run: Run) -> tuple[LogFile, LogFile]:
    run.folder.mkdir()
    return LogFile(run.folder, run.stdout_file), LogFile(run.folder, run.stderr_file)


def _open_stream_logs(run: Run) -> None:
    return None


@hookimpl
def rhcore_register_log_sinks(register: Callable[[LogSinkSpec], None]) -> None:
    register(LogSinkSpec("file", _open_file_logs, "stdout/stderr saved in the Run's folder, and shown"))
    register(LogSinkSpec("stream", _open_stream_logs, "stdout/stderr shown on the terminal only"))


def _local_executor(cluster):
    from rhcore.executor import LocalExecutor

    return LocalExecutor(cluster)


@hookimpl
def rhcore_register_executors(register: Callable[[ExecutorSpec], None]) -> None:
    register(ExecutorSpec("local", _local_executor, "this machine, in forked worker processes"))
