"""What an executor plugin needs from rhcore, and nothing else: the executor base classes,
the job and its outcome, the worker and its protocol, running a job with its Run's
lifecycle in-process, following logs, and the few record operations an executor performs
for Runs whose worker could not (a task that never started, a cancel).

A plugin imports only ``rhcore`` (its public names), ``rhcore.hookimpl``,
``rhcore.spec``, this package and ``rhcore.testing``:

>>> from rhcore.execution import Executor, Job, Outcome, run_in_process
"""

from __future__ import annotations

from typing import Any

from rhcore import layout, liveness, records, settings
from rhcore.execution.executor import WORKER_COMMAND, Executor, ServerExecutor
from rhcore.execution.job import INTERRUPT_SIGNAL, execute, finish, job_folder, run_in_process, settle
from rhcore.execution.protocol import JobHandle, WorkerConnection, WorkerGoneError
from rhcore.execution.remote import RemoteError, pack_exception, unpack_exception
from rhcore.folder import Folder
from rhcore.follow import LogEcho
from rhcore.records import cancel_requested, read, request_cancel, stream_worker, worker_of
from rhcore.spec import FolderRef, Job, Outcome, RunRecord
from rhcore.version import remote_install_hint

STREAM_FILES = layout.STREAM_FILES
"""The files a job without a Run writes its stdout and stderr to, for its caller."""

__all__ = [
    "INTERRUPT_SIGNAL",
    "STREAM_FILES",
    "WORKER_COMMAND",
    "Executor",
    "Folder",
    "FolderRef",
    "Job",
    "JobHandle",
    "LogEcho",
    "Outcome",
    "RemoteError",
    "RunRecord",
    "ServerExecutor",
    "WorkerConnection",
    "WorkerGoneError",
    "caller_registry",
    "cancel_requested",
    "execute",
    "finish",
    "job_folder",
    "liveness",
    "log_names",
    "pack_exception",
    "read",
    "remote_install_hint",
    "request_cancel",
    "run_in_process",
    "settle",
    "stream_worker",
    "unpack_exception",
    "worker_of",
]


def caller_registry() -> tuple[str, dict[str, Any]]:
    """The registry this process uses (URL, data_config), for a job that records lineage
    where its caller looks (a :class:`~rhcore.spec.Job`'s ``registry``)."""
    return settings.registry_url(), settings.registry_data_config()


def log_names(record: RunRecord) -> tuple[str, str]:
    """The files of a Run's stdout and stderr in its folder."""
    return records.log_names(record)
