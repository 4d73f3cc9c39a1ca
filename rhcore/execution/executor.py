"""Executors: what runs a cluster's work where the cluster is.

A plugin adds a cluster kind by registering an :class:`Executor` factory through the
``rhcore_register_executors`` hook. The core only calls the methods below, so the local
machine, SSH hosts and Ray clusters look the same to Functions and Runs. Executors that
keep a warm ``rhcore.worker`` server (local, SSH) derive from :class:`ServerExecutor` and
only say how to open the connection.
"""

from __future__ import annotations

import abc
import threading
from typing import Any

import attrs

from rhcore import layout, liveness
from rhcore.execution.protocol import JobHandle, WorkerConnection
from rhcore.folder import Folder
from rhcore.spec import FolderRef, Job

WORKER_COMMAND = ("-m", "rhcore.worker", "serve")
"""The arguments after a Python interpreter that start a worker server (``--max-parallel
N`` may follow)."""


class Executor(abc.ABC):
    """Runs jobs (function calls, commands) for one cluster."""

    python: str = "python3"
    """The interpreter where the cluster is (``run_python`` uses it)."""
    pickle_by_value: bool = False
    """Whether functions from modules outside site-packages travel by value (a remote
    worker cannot import the caller's own modules)."""
    option_names: frozenset[str] = frozenset()
    """Keyword arguments of a call that are options for this executor (resources, for
    Ray), not arguments of the function; they arrive in the job as ``options``."""

    def __init__(self, cluster: Any):
        self.cluster = cluster
        self._store: tuple[str, Folder] | None = None

    def store(self) -> Folder:
        """The folder holding this cluster's Run folders, as *this* process reaches it: the
        cluster's ``run_store``, else ``~/.rh/logs`` on this machine (re-read when HOME
        changes)."""
        home = layout.home()
        if self._store is None or self._store[0] != home:
            run_store = self.cluster.run_store_folder()
            folder = run_store if run_store is not None else Folder(str(layout.cluster_logs_dir()), "file")
            self._store = (home, folder)
        return self._store[1]

    def worker_folder(self, folder: Folder) -> FolderRef:
        """How the worker reaches ``folder``."""
        return folder.ref

    def job_context(self) -> dict[str, Any]:
        """Fields of every job this executor sets (``cwd``, ``env``, ``registry``: see
        :class:`~rhcore.spec.Job`)."""
        return {}

    @property
    def server_identity(self) -> dict[str, Any] | None:
        """The identity of the process that answers for this cluster's Runs, if one does."""
        return None

    def check(self, job: Job) -> None:  # noqa: B027 - most executors run any job
        """Refuse a job this cluster can never run (it asks for more than the cluster has),
        before its Run is recorded: raise the error the caller should see."""

    @abc.abstractmethod
    def submit(self, job: Job, *, stream: bool) -> Any:
        """Start ``job``; with ``stream`` its output is shown in this process live. Return
        a handle whose ``wait()`` gives the job's :class:`~rhcore.spec.Outcome`."""

    @abc.abstractmethod
    def cancel(self, folder: Folder, force: bool) -> dict[str, Any]:
        """Stop the Run in ``folder`` and everything it started; reply ``{ok, message}``."""

    @abc.abstractmethod
    def alive(self, identity: dict[str, Any]) -> bool | None:
        """Whether a process (a worker of this cluster) is running; None if unknowable."""

    def close(self) -> None:  # noqa: B027 - most executors hold nothing to release
        """Release connections; running work finishes on its own."""


class ServerExecutor(Executor):
    """An executor that keeps one warm worker server and speaks :mod:`rhcore.protocol`."""

    def __init__(self, cluster: Any):
        super().__init__(cluster)
        self._connection: WorkerConnection | None = None
        self._lock = threading.Lock()

    @abc.abstractmethod
    def open_connection(self) -> WorkerConnection:
        """Start a worker server where the cluster is and connect to it."""

    @property
    def connection(self) -> WorkerConnection:
        """The connection to the warm server, (re)started if there is none."""
        connection = self._connection
        if connection is None or connection.closed:
            with self._lock:
                if self._connection is None or self._connection.closed:
                    self._connection = self.open_connection()
                connection = self._connection
        return connection

    @property
    def server_identity(self) -> dict[str, Any]:
        return self.connection.server_identity

    def submit(self, job: Job, *, stream: bool) -> JobHandle:
        return self.connection.submit(attrs.evolve(job, **self.job_context()), stream=stream)

    def cancel(self, folder: Folder, force: bool) -> dict[str, Any]:
        grace = 2 if force else 20
        return self.connection.request(
            {"op": "cancel", "folder": self.worker_folder(folder), "force": force}, timeout=grace + 30
        )

    def alive(self, identity: dict[str, Any]) -> bool | None:
        verdict = liveness.alive(identity)
        if verdict is not None:
            return verdict
        return self.connection.request({"op": "alive", "identity": identity}, timeout=30).get("alive")

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
