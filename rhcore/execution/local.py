"""The ``local`` cluster kind: work on this machine, in job processes forked by a warm
worker server that this process starts (a built-in plugin, registered like any other).
Where there is no fork the server starts each job process anew (see
:mod:`rhcore.execution.server`); the server inherits this process's environment, and with
it the switches that take those paths on Linux (``RHCORE_NO_FORK``, ``RHCORE_NO_PIDFD``,
``RHCORE_NO_PROC``)."""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from typing import Any

from rhcore import settings
from rhcore.execution.executor import WORKER_COMMAND, ServerExecutor
from rhcore.execution.protocol import WorkerConnection
from rhcore.plugins import hookimpl
from rhcore.spec import ExecutorSpec


class LocalExecutor(ServerExecutor):
    """Runs work on this machine, in job processes of a warm local worker server (forked
    from it, where the platform can).

    The server is a child of this process in its own session: Ctrl-C here does not reach
    it, and when this process exits the server finishes the Runs it holds, then exits.
    """

    python = sys.executable

    def __init__(self, cluster: Any):
        super().__init__(cluster)
        self._process: subprocess.Popen | None = None
        atexit.register(self.close)

    def close(self) -> None:
        """Close the connection; an idle server exits at once, a busy one once its Runs end."""
        super().close()
        process, self._process = self._process, None
        if process is not None:
            try:
                process.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass

    def job_context(self) -> dict[str, Any]:
        return {
            "cwd": os.getcwd(),
            "env": {"HOME": os.path.expanduser("~")},
            "registry": (settings.registry_url(), settings.registry_data_config()),
        }

    def open_connection(self) -> WorkerConnection:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in [os.getcwd(), *sys.path] if p)
        env.pop("PYTHONSTARTUP", None)
        errors = tempfile.TemporaryFile()  # noqa: SIM115 - the server's stderr, for its lifetime
        command = [sys.executable, *WORKER_COMMAND]
        if self.cluster.max_parallel:
            command += ["--max-parallel", str(self.cluster.max_parallel)]
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=env,
            start_new_session=True,
        )
        self._process = process

        def on_close() -> str:
            process.poll()
            errors.seek(0)
            tail = errors.read()[-2000:].decode("utf-8", "replace").strip()
            return tail or (f"exit code {process.returncode}" if process.returncode is not None else "")

        return WorkerConnection(
            process.stdout, process.stdin, describe=f"the worker server of cluster {self.cluster.name!r}",
            on_close=on_close,
        )


@hookimpl
def rhcore_register_executors(register: Callable[[ExecutorSpec], None]) -> None:
    register(ExecutorSpec("local", LocalExecutor, "this machine, in forked worker processes"))
