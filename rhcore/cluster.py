"""Clusters: where Functions and commands run, and where their Runs are recorded.

``rh.cluster(name="local")`` is this machine. Other kinds come from plugins (``ssh``,
``ray``); a saved cluster loads by name. Every cluster keeps its Runs' folders in its
*run store*: ``~/.rh/logs`` where the cluster is, or any shared system
(``run_store="s3://bucket/runs"``).
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shlex
import threading
import time
import warnings
from collections.abc import Iterable
from typing import Any

import attrs

from rhcore import context, layout, records, resources, trust
from rhcore.errors import (
    CorruptConfigError,
    InvalidNameError,
    ResourceNotFoundError,
    RhcoreError,
    RunCancelledError,
    RunFailedError,
    RunNotFoundError,
    WorkerDiedError,
)
from rhcore.execution.remote import unpack_exception
from rhcore.folder import Folder
from rhcore.follow import follow
from rhcore.places import url_folder
from rhcore.plugins import get_plugins, hookimpl
from rhcore.registry import Resource, get_registry
from rhcore.run import Run, current_creator
from rhcore.secrets import redact
from rhcore.spec import Job, Outcome, RunRecord, RunStatus, RunType

_executors: dict[tuple, Any] = {}
_executors_lock = threading.Lock()


class Cluster(Resource):
    """A place that executes work: this machine, SSH hosts, a Ray cluster."""

    RESOURCE_TYPE = "cluster"

    def __init__(
        self,
        name: str = "local",
        kind: str = "local",
        run_store: str | None = None,
        data_config: dict | None = None,
        max_parallel: int | None = None,
        **settings: Any,
    ):
        self.name = layout.validate_name(name, kind="cluster")
        get_plugins().executor(kind)  # an unknown kind fails here, naming the installed ones
        self.kind = kind
        self.run_store = run_store
        self.data_config = dict(data_config or {})
        self.max_parallel = max_parallel
        self.settings = {k: v for k, v in settings.items() if v is not None}

    def __repr__(self) -> str:
        return f"<Cluster {self.name!r} ({self.kind})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Cluster) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __reduce__(self):
        return (_rebuild, (self.name, self.kind, self.run_store, self.data_config, self.max_parallel,
                           self.settings))

    def _key(self) -> tuple:
        return (self.kind, self.name, self.run_store, self.max_parallel,
                json.dumps(self.settings, sort_keys=True, default=str),
                json.dumps(self.data_config, sort_keys=True, default=str))

    # -- where things are --------------------------------------------------------------

    @property
    def executor(self):
        """The executor running this cluster's work (one per process and cluster)."""
        cached = self.__dict__.get("_executor")
        if cached is not None and cached[0] == os.getpid():
            return cached[1]
        key = (*self._key(), os.getpid())
        executor = _executors.get(key)
        if executor is None:
            with _executors_lock:
                executor = _executors.get(key)
                if executor is None:
                    executor = get_plugins().executor(self.kind).factory(self)
                    _executors[key] = executor
        self.__dict__["_executor"] = (os.getpid(), executor)
        return executor

    def run_store_folder(self) -> Folder | None:
        """The shared run store given as ``run_store``, or None for the cluster's own."""
        if not self.run_store:
            return None
        return url_folder(self.run_store, self.data_config)

    def run_folder(self, run_name: str, path: str | None = None) -> Folder:
        """The folder of Run ``run_name`` on this cluster (``path`` overrides where)."""
        store = self.executor.store()
        trust.vouch_store(store)  # the user's own cluster: its Runs are theirs
        if path is not None:
            folder = Folder(os.fspath(path), store.system, store.data_config)
            trust.vouch_run(folder)
            return folder
        return store.child(layout.validate_name(run_name))

    # -- running -------------------------------------------------------------------------

    def launch(
        self,
        job: Job,
        *,
        run_name: str | None,
        stream: bool,
        fn_name: str | None = None,
        cmds: list[str] | None = None,
        inputs: bytes | None = None,
        fingerprint: dict[str, Any] | None = None,
        attempt: int | None = None,
    ) -> tuple[Run | None, Any]:
        """Start ``job`` here; with a ``run_name``, record it as a Run first (RUNNING): as
        ``attempt`` (taken by the caller), else the name's next attempt —
        RunInProgressError while another execution of the name is live. A job the cluster
        refuses, or whose Run cannot be recorded, leaves nothing behind and its attempt
        given back; one that fails to start leaves its Run in ERROR saying why."""
        run = None
        folder = self.run_folder(run_name) if run_name is not None else None
        try:
            self.executor.check(job)
            if folder is not None:
                if attempt is None:
                    attempt = records.take(folder, run_name, ask=self.executor.alive)
                record = RunRecord(
                    name=run_name, run_type=RunType.FUNCTION_RUN if fn_name else RunType.CMD_RUN,
                    fn_name=fn_name, cmds=cmds, creator=current_creator(), fingerprint=fingerprint,
                    worker={"server": self.executor.server_identity},
                )
                run = Run._at(folder, records.start(folder, record, attempt, inputs=inputs), self)
                job = attrs.evolve(job, folder=self.executor.worker_folder(folder), record=run.record)
        except BaseException:
            if folder is not None and attempt is not None and run is None:
                records.release(folder, attempt)  # the next caller takes it instead of waiting
            raise
        if run is not None:
            run._tell_observers(RunStatus.NOT_STARTED)
        try:
            handle = self.executor.submit(job, stream=stream)
        except BaseException as exc:
            if run is not None:
                _fail_to_start(run, exc)
            raise
        return run, handle

    def outcome_value(self, outcome: Outcome, run: Run | None) -> Any:
        """The value a finished job returned, or raise what it raised."""
        if outcome.late:
            ended = run.refresh() if run is not None else None
            if outcome.late == RunStatus.CANCELLED.value:
                raise RunCancelledError(f"{_what(run)} was cancelled before it finished (what it returned "
                                        f"is kept beside it, in {layout.LATE_RESULT_FILE})")
            raise RunFailedError(f"{_what(run)} had already ended ({outcome.late}: "
                                 f"{ended.error if ended is not None else ''}) when it finished")
        if outcome.ok:
            if outcome.result is not None:
                return pickle.loads(outcome.result)
            if run is not None and outcome.result_in_folder:
                return run.result()
            return None
        if outcome.cancelled:
            raise RunCancelledError(f"{_what(run)} was cancelled")
        if outcome.gone or outcome.exc is None:
            raise WorkerDiedError(f"{_what(run)} did not finish: {outcome.error}")
        raise unpack_exception(outcome.exc, outcome.error or "", outcome.traceback or "")

    def run(
        self,
        commands: str | list[str] | None = None,
        run_name: str | None = None,
        stream_logs: bool = False,
        *,
        cmds: str | list[str] | None = None,
    ) -> list[tuple[int, str, str]]:
        """Run shell commands here, in order; return ``[(returncode, stdout, stderr), ...]``.

        With ``run_name`` a CMD Run records the commands, their exit codes and output; a
        non-zero exit code makes it ERROR. ``stream_logs`` shows the output live.
        ``cmds=`` is this method's earlier name for ``commands`` (Runhouse's).
        """
        if (commands is None) == (cmds is None):
            raise TypeError("Cluster.run takes the commands once: run(commands, ...)")
        given = commands if commands is not None else cmds
        commands = [given] if isinstance(given, str) else list(given)
        run, handle = self.launch(
            Job(kind="commands", cmds=commands), run_name=run_name, stream=stream_logs, cmds=commands
        )
        return self.outcome_value(_wait(handle, self, run), run)

    def run_python(
        self, commands: list[str], run_name: str | None = None, stream_logs: bool = False
    ) -> list[tuple[int, str, str]]:
        """Run Python statements here in one interpreter (``rh`` is rhcore); same return
        shape as :meth:`run`."""
        code = "\n".join(["import rhcore as rh", *commands])
        command = f"{shlex.quote(self.executor.python)} -c {shlex.quote(code)}"
        return self.run([command], run_name=run_name, stream_logs=stream_logs)

    # -- Runs ------------------------------------------------------------------------------

    def get_run(self, run_name: str) -> Run | None:
        """The Run ``run_name`` recorded on this cluster, or None."""
        folder = self.run_folder(run_name)
        record = records.read(folder)
        if record is None:
            return None
        return Run._at(folder, record, self).refresh()

    def _require_run(self, run_name: str) -> Run:
        run = self.get_run(run_name)
        if run is None:
            raise RunNotFoundError(f"No Run named {run_name!r} on cluster {self.name!r}")
        return run

    def get(self, run_name: str, stream_logs: bool = True, timeout: float | None = None) -> Any:
        """Wait for Run ``run_name`` to end — printing its logs as they are written, with
        ``stream_logs`` — and return its :meth:`~rhcore.Run.result`."""
        run = self._require_run(run_name)
        follow(run, show=stream_logs, timeout=timeout)
        return run.result()

    def cancel(self, run_name: str, force: bool = False) -> Run:
        """Stop Run ``run_name`` and everything it started; it ends CANCELLED. Cancelling
        a Run that already ended changes nothing and says so (a warning)."""
        run = self._require_run(run_name)
        if run.status.is_final:
            warnings.warn(f"Run {run_name!r} already ended ({run.status.value}); nothing to cancel",
                          stacklevel=2)
            return run
        reply = self.executor.cancel(run.folder, force)
        if not reply.get("ok"):
            warnings.warn(reply.get("message", "the Run was not cancelled"), stacklevel=2)
        deadline = time.monotonic() + 30
        while not run.refresh().status.is_final and time.monotonic() < deadline:
            time.sleep(0.05)
        return run

    def runs(self) -> list[Run]:
        """Every Run recorded on this cluster, oldest first."""
        store = self.executor.store()
        found, skipped = [], []
        for path in store.ls():
            folder = Folder(path, store.system, store.data_config)
            try:
                record = records.read(folder)
            except CorruptConfigError as corrupt:  # `rh show` shows it; a listing goes on
                skipped.append(str(corrupt))
                continue
            if record is not None:
                found.append(Run._at(folder, record, self))
        if skipped:
            warnings.warn(f"Skipped {len(skipped)} Run(s) of cluster {self.name!r} whose config cannot be "
                          f"read: {skipped[0]}", stacklevel=2)
        return sorted(found, key=lambda r: r.start_time or "")

    # -- saving -----------------------------------------------------------------------------

    @property
    def registry_entry(self) -> dict[str, Any]:
        """How to reach this cluster, without secrets: what :meth:`save` stores, so
        ``rh.cluster(name)`` finds it."""
        store = self.run_store_folder()
        return {
            "resource_type": self.RESOURCE_TYPE,
            "name": self.name,
            "kind": self.kind,
            "run_store": self.run_store,
            "data_config": store.public_config if store is not None else redact(self.data_config),
            "max_parallel": self.max_parallel,
            "settings": (get_plugins().executor(self.kind).public_settings or redact)(self.settings),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], dryrun: bool = False) -> Cluster:
        return cls(
            name=config["name"],
            kind=config.get("kind", "local"),
            run_store=config.get("run_store"),
            data_config=config.get("data_config"),
            max_parallel=config.get("max_parallel"),
            **(config.get("settings") or {}),
        )


def _rebuild(name, kind, run_store, data_config, max_parallel, settings) -> Cluster:
    return Cluster(name, kind, run_store, data_config, max_parallel, **settings)


def _what(run: Run | None) -> str:
    return f"Run {run.name!r}" if run is not None else "The call"


def _fail_to_start(run: Run, exc: BaseException) -> None:
    """End a recorded Run whose job could not be submitted, so it never stays RUNNING."""
    error = run.folder.scrub(f"It could not be started: {type(exc).__name__}: {exc}")
    with contextlib.suppress(Exception):  # the submit's own error is the one to report
        run._record = records.end(run.folder, run.record, RunStatus.ERROR, late=False, error=error).record


def _wait(handle: Any, cluster: Cluster, run: Run | None) -> Outcome:
    """Wait for a job; Ctrl-C here cancels it there. Status observers in this process
    learn how its Run ended."""
    try:
        outcome = handle.wait()
        if run is not None and get_plugins().has_status_observers:
            with contextlib.suppress(RhcoreError):  # the call's outcome is what counts here
                run.refresh()
        return outcome
    except KeyboardInterrupt:
        if run is not None:
            try:
                cluster.executor.cancel(run.folder, True)
            except Exception:
                pass
        raise


def cluster(
    name: str = "local",
    kind: str | None = None,
    ips: Iterable[str] | None = None,
    run_store: str | None = None,
    data_config: dict | None = None,
    dryrun: bool = False,
    **settings: Any,
) -> Cluster:
    """This machine (``name="local"``), a saved cluster by name, or a new one.

    ``ips`` (with ``ssh_port``, ``ssh_creds``, ``python``) makes an SSH cluster;
    ``kind="ray", address=...`` a Ray cluster. Any cluster takes ``run_store`` (a URL) and
    ``data_config`` to keep its Run folders on a shared system.
    """
    configured = ips is not None or kind is not None or run_store is not None or settings
    if not configured:
        entry = get_registry().get(name) if name != "local" else None
        if entry is not None and entry.get("resource_type") == Cluster.RESOURCE_TYPE:
            context.loaded(name)
            stored = Cluster.from_config(entry)
            stored.data_config.update(data_config or {})
            return stored
        if name != "local":
            saved = ", ".join(get_registry().names(Cluster.RESOURCE_TYPE)) or "none"
            raise ResourceNotFoundError(
                f"No cluster named {name!r}: saved clusters: {saved}. Use name='local' for this "
                "machine, or pass ips=[...] (SSH) or kind='ray', address=... to define one"
            )
    if ips is not None:
        settings["ips"] = list(ips)
    return Cluster(name, kind or ("ssh" if ips is not None else "local"), run_store, data_config, **settings)


@hookimpl
def rhcore_resolve_cluster(name: str) -> Cluster | None:
    """``local`` is this machine's cluster; other names, clusters saved in the registry."""
    if name == "local":
        return cluster("local")
    try:
        entry = get_registry().get(name)
    except InvalidNameError:  # a URL or a path, not a name
        return None
    if entry is None or entry.get("resource_type") != Cluster.RESOURCE_TYPE:
        return None
    return cluster(name)


resources.register_loader("cluster", lambda config, dryrun: Cluster.from_config(config, dryrun))
