"""The Run: one function call, command or ``with`` block, recorded in a folder.

A Run's folder (see :mod:`rhcore.layout`) holds its config, pickled inputs and result,
and its stdout/stderr. The config in the folder is the truth: a Run object is a handle
that :meth:`Run.refresh` brings up to date. Configs are published atomically and never
hold a secret.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import json
import os
import pickle
import posixpath
import threading
import traceback
from typing import TYPE_CHECKING, Any

import cloudpickle

from rhcore import capture, context, heartbeat, layout, liveness
from rhcore.errors import (
    CorruptConfigError,
    ResourceNotFoundError,
    RhcoreError,
    RunExistsError,
    RunNotFoundError,
    UnknownSystemError,
)
from rhcore.folder import Folder
from rhcore.plugins import get_plugins
from rhcore.progress import copy_progress
from rhcore.registry import get_registry
from rhcore.resources import Resource
from rhcore.secrets import redact
from rhcore.status import RunStatus, RunType, check_transition

if TYPE_CHECKING:
    from rhcore.logfiles import LogFile

__all__ = ["Run", "run"]

# Keys of a stored config that are not constructor arguments of Run.
_IGNORED_KEYS = ("resource_type", "rhcore_version", "saved_by")
# Config keys written only when set: the attempt (lease generation), the processes running
# it, a digest of the inputs (to tell a cached Run's arguments apart), command exit codes.
_OPTIONAL_KEYS = ("attempt", "worker", "inputs_digest", "returncodes")


@functools.cache
def current_creator() -> str | None:
    """Who is making Runs here: the login name (a Run's ``creator``)."""
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (some containers)
        return os.environ.get("USER") or None


def _version() -> str:
    from rhcore import __version__

    return __version__


class Run(Resource):
    """A record of one function call, command or ``with`` block, living in a folder.

    Create Runs with :func:`run` (``rh.run``), which also loads existing ones; construct
    ``Run`` directly only to describe a Run from known settings.
    """

    RESOURCE_TYPE = "run"
    LOCAL_RUN_PATH = layout.LOCAL_RUN_DIR
    RUN_CONFIG_FILE = layout.CONFIG_FILE
    RESULT_FILE = layout.RESULT_FILE
    INPUTS_FILE = layout.INPUTS_FILE

    def __init__(
        self,
        name: str | None = None,
        fn_name: str | None = None,
        cmds: list | None = None,
        log_dest: str = "file",
        path: str | None = None,
        system: Any = None,
        data_config: dict | None = None,
        status: RunStatus = RunStatus.NOT_STARTED,
        start_time: str | None = None,
        end_time: str | None = None,
        creator: str | None = None,
        creation_stacktrace: str | None = None,
        upstream_artifacts: list | None = None,
        downstream_artifacts: list | None = None,
        run_type: RunType | None = None,
        error: str | None = None,
        error_traceback: str | None = None,
        overwrite: bool = False,
        dryrun: bool = False,
        **kwargs: Any,
    ):
        self.name: str = layout.validate_name(name) if name is not None else layout.new_run_name()
        plugins = get_plugins()
        plugins.log_sink(log_dest)  # an unknown log_dest fails here, naming the installed ones
        self.log_dest = log_dest
        self.fn_name = fn_name
        self.cmds = list(cmds) if cmds is not None else None
        self.status = RunStatus(status)
        self.run_type = RunType(run_type) if run_type else self._detect_run_type()
        self.start_time = start_time
        self.end_time = end_time
        self.creator = creator if creator is not None else current_creator()
        self.creation_stacktrace = creation_stacktrace
        self.upstream_artifacts: list = list(upstream_artifacts or [])
        self.downstream_artifacts: list = list(downstream_artifacts or [])
        self.error = None if error is None else str(error)
        runhouse_traceback = kwargs.pop("traceback", None)  # the key Runhouse's registry used
        self.error_traceback = error_traceback if error_traceback is not None else runhouse_traceback
        self.attempt: int | None = kwargs.pop("attempt", None)
        self.worker: dict | None = kwargs.pop("worker", None)
        self.inputs_digest: str | None = kwargs.pop("inputs_digest", None)
        self.returncodes: list[int] | None = kwargs.pop("returncodes", None)
        self.stdout_file: str = kwargs.pop("stdout_file", None) or layout.stdout_file(self.name)
        self.stderr_file: str = kwargs.pop("stderr_file", None) or layout.stderr_file(self.name)
        self.metadata: dict[str, Any] = dict(kwargs.pop("metadata", None) or {})
        self.metadata.update(kwargs)
        self.dryrun = dryrun
        self.folder, self.cluster = place(self.name, system, path, data_config, self.run_type)
        self._logs: tuple[LogFile, ...] = ()
        self._capture_token: object | None = None
        self._heartbeat: contextlib.AbstractContextManager | None = None
        if overwrite and not dryrun:
            self.folder.rm()

    # -- where it lives --------------------------------------------------------------

    @property
    def path(self) -> str:
        """Path of the Run's folder on its system."""
        return self.folder.path

    @property
    def system(self) -> Any:
        """The storage system the folder is on (the cluster, for a cluster's Run)."""
        return self.cluster if self.cluster is not None else self.folder.system

    @property
    def traceback(self) -> str | None:
        """Runhouse's name for :attr:`error_traceback`."""
        return self.error_traceback

    def _detect_run_type(self) -> RunType:
        if self.fn_name:
            return RunType.FUNCTION_RUN
        if self.cmds is not None:
            return RunType.CMD_RUN
        return RunType.CTX_MANAGER

    # -- configs ---------------------------------------------------------------------

    @property
    def run_config(self) -> dict[str, Any]:
        """The config stored in the Run's folder (``config_for_run.json``)."""
        config = {
            "name": self.name,
            "resource_type": self.RESOURCE_TYPE,
            "status": self.status.value,
            "run_type": self.run_type.value,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "fn_name": self.fn_name,
            "cmds": self.cmds,
            "upstream_artifacts": self.upstream_artifacts,
            "downstream_artifacts": self.downstream_artifacts,
            "error": self.error,
            "error_traceback": self.error_traceback,
            "log_dest": self.log_dest,
            "creator": self.creator,
            "creation_stacktrace": self.creation_stacktrace,
            "stdout_file": self.stdout_file,
            "stderr_file": self.stderr_file,
            "rhcore_version": _version(),
        }
        for key in _OPTIONAL_KEYS:
            value = getattr(self, key)
            if value is not None:
                config[key] = value
        if self.metadata:
            config["metadata"] = self.metadata
        return config

    @property
    def config_for_rns(self) -> dict[str, Any]:
        """The metadata stored in the registry by :meth:`save`: the run config plus where
        the folder is (system, path, and the non-secret part of ``data_config``)."""
        config = self.run_config
        config["path"] = self.folder.path
        config["system"] = self.folder.system
        config["data_config"] = redact(self.folder.data_config)
        if self.cluster is not None:
            config["cluster"] = self.cluster.name
        return config

    def _publish_config(self) -> dict[str, Any]:
        """Write the Run's config into its folder; return the config written."""
        config = self.run_config
        self.folder.publish(layout.CONFIG_FILE, json.dumps(config, default=str).encode())
        return config

    def _read_config(self) -> dict[str, Any] | None:
        return read_run_config(self.folder)

    def _apply(self, config: dict[str, Any]) -> None:
        """Take the state of a stored config (the folder is the truth)."""
        self.name = config.get("name") or self.name
        self.status = RunStatus(config.get("status", RunStatus.NOT_STARTED))
        if config.get("run_type"):
            self.run_type = RunType(config["run_type"])
        for key in ("start_time", "end_time", "fn_name", "cmds", "error", "error_traceback",
                    "creator", "creation_stacktrace"):
            setattr(self, key, config.get(key))
        self.upstream_artifacts = list(config.get("upstream_artifacts") or [])
        self.downstream_artifacts = list(config.get("downstream_artifacts") or [])
        self.log_dest = config.get("log_dest") or self.log_dest
        self.stdout_file = config.get("stdout_file") or layout.stdout_file(self.name)
        self.stderr_file = config.get("stderr_file") or layout.stderr_file(self.name)
        self.metadata = dict(config.get("metadata") or {})
        for key in _OPTIONAL_KEYS:
            setattr(self, key, config.get(key))

    @classmethod
    def from_config(cls, config: dict[str, Any], dryrun: bool = False) -> Run:
        """A Run from a stored config (a folder's or a registry entry)."""
        config = dict(config)
        for key in _IGNORED_KEYS:
            config.pop(key, None)
        config.pop("cluster", None)
        return cls(**config, dryrun=dryrun)

    @classmethod
    def from_path(cls, path: str, system: str = "file", data_config: dict | None = None) -> Run:
        """Load the Run whose folder is ``path`` on ``system``."""
        folder = Folder(os.fspath(path), system, data_config)
        config = read_run_config(folder)
        if config is None:
            if folder.exists():
                raise RunNotFoundError(
                    f"{folder.system}:{folder.path} holds no Run (no {layout.CONFIG_FILE} in it)"
                )
            raise RunNotFoundError(f"No Run at {folder.system}:{folder.path}: the folder does not exist")
        return cls._at(folder, config)

    @classmethod
    def _at(cls, folder: Folder, config: dict[str, Any], cluster: Any = None) -> Run:
        """A Run handle on ``folder`` with the state of ``config`` (kept by ``cluster``)."""
        run = cls.__new__(cls)
        run.folder, run.cluster, run.dryrun = folder, cluster, False
        run.attempt = run.worker = run.inputs_digest = run.returncodes = None
        run._logs, run._capture_token, run._heartbeat = (), None, None
        run.log_dest, run.run_type = "file", RunType.CTX_MANAGER
        run.name = layout.validate_name(config.get("name") or posixpath.basename(folder.path))
        run._apply(config)
        return run

    # -- lifecycle -------------------------------------------------------------------

    def _set_status(self, new: RunStatus) -> dict[str, Any]:
        """Move to ``new`` (refusing illegal moves), publish the config, tell observers;
        return the config published."""
        old = self.status
        self.status = check_transition(old, new, run_name=self.name)
        config = self._publish_config()
        self._tell_observers(old)
        return config

    def _tell_observers(self, old: RunStatus) -> None:
        """Tell this process's status observers that the Run moved from ``old``."""
        plugins = get_plugins()
        if self.status is not old and plugins.has_status_observers:
            plugins.run_status_changed(self, old, self.status)

    def _new_attempt(self) -> None:
        """Forget a finished attempt's outcome so the Run can execute again."""
        self.status = RunStatus.NOT_STARTED
        self.start_time = self.end_time = None
        self.error = self.error_traceback = None
        self.upstream_artifacts, self.downstream_artifacts = [], []

    def __enter__(self) -> Run:
        if self.dryrun:
            raise RhcoreError(f"Run {self.name!r} is a dryrun: it describes a Run and cannot start")
        if self.status is not RunStatus.NOT_STARTED:
            self._new_attempt()
        streams = get_plugins().log_sink(self.log_dest).open(self)
        if streams is not None:
            self._logs = tuple(streams)
        self.start_time = layout.now_iso()
        self.worker = {"job": liveness.identify()}  # whose death a refresh() elsewhere detects
        try:
            self._set_status(RunStatus.RUNNING)
        except BaseException:
            self._close_logs(upload=False)  # nothing was started: leave nothing behind
            raise
        self._heartbeat = heartbeat.beating(self.folder)  # for watchers on other machines
        self._heartbeat.__enter__()
        context.push(self)
        if streams is not None:
            self._capture_token = capture.attach(*streams)
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: Any) -> bool:
        try:
            if self._capture_token is not None:
                capture.detach(self._capture_token)
                self._capture_token = None
        finally:
            context.pop(self)
        new = self._outcome(exc_type, exc, tb)
        self._stop_heartbeat()
        self._close_logs()
        self.end_time = layout.now_iso()
        self._set_status(new)
        return False

    def _stop_heartbeat(self) -> None:
        beating, self._heartbeat = self._heartbeat, None
        if beating is not None:
            beating.__exit__(None, None, None)

    def _outcome(self, exc_type: type | None, exc: BaseException | None, tb: Any) -> RunStatus:
        if exc_type is None:
            return RunStatus.COMPLETED
        if issubclass(exc_type, SystemExit) and getattr(exc, "code", None) in (0, None):
            return RunStatus.COMPLETED
        self.error = f"{exc_type.__name__}: {exc}"
        self.error_traceback = "".join(traceback.format_exception(exc_type, exc, tb))
        if len(self._logs) > 1:
            self._logs[1].write(self.error_traceback.encode("utf-8", "backslashreplace"))
        if issubclass(exc_type, KeyboardInterrupt):
            return RunStatus.CANCELLED
        return RunStatus.ERROR

    def _close_logs(self, *, upload: bool = True) -> None:
        logs, self._logs = self._logs, ()
        for log in logs:
            log.close(upload=upload)

    # -- reading ---------------------------------------------------------------------

    def refresh(self) -> Run:
        """Reload the Run's state from its folder and return it, e.g. ``r.refresh().status``."""
        config = self._read_config()
        if config is None:
            if self.status is RunStatus.NOT_STARTED or self.dryrun:
                return self
            raise RunNotFoundError(
                f"Run {self.name!r} has no config at {self.folder.system}:{self.folder.path} "
                "(was its folder deleted?)"
            )
        old = self.status
        self._apply(config)
        self._tell_observers(old)  # a change made elsewhere (a worker's), seen here
        if self.status is RunStatus.RUNNING:
            self.worker = with_job_identity(self.folder, self.worker or {}) or None
            if self.worker:
                self._check_worker()
        return self

    def _check_worker(self) -> None:
        """A RUNNING Run whose worker is gone becomes ERROR, with the reason."""
        alive, reason = worker_verdict(self.worker or {}, self.cluster, self.folder, self.start_time)
        if alive is not False:
            return
        judged = self.attempt
        config = self._read_config()  # the worker may have finished meanwhile, or been retried
        if (config is None or config.get("status") != RunStatus.RUNNING.value
                or config.get("attempt") != judged):
            if config is not None:
                self._apply(config)
            return
        self._apply(config)
        self.error = f"The worker died: {reason}"
        self.end_time = layout.now_iso()
        self._set_status(RunStatus.ERROR)

    def result(self) -> Any:
        """The function's return value when COMPLETED, the stderr text when ERROR, and the
        stdout text otherwise (and for command or block Runs, which have no return value)."""
        self.refresh()
        if self.status is RunStatus.COMPLETED:
            try:
                data = self.folder.read_bytes(layout.RESULT_FILE)
            except FileNotFoundError:
                if self.run_type is RunType.FUNCTION_RUN:
                    raise FileNotFoundError(
                        f"Run {self.name!r} is COMPLETED but has no result at "
                        f"{self.folder.system}:{self.folder.join(layout.RESULT_FILE)}"
                    ) from None
                return self.stdout()
            return pickle.loads(data)
        if self.status is RunStatus.ERROR:
            return self.stderr()
        return self.stdout()

    def inputs(self) -> dict[str, Any]:
        """The function's inputs as ``{"args": [...], "kwargs": {...}}``."""
        try:
            data = self.folder.read_bytes(layout.INPUTS_FILE)
        except FileNotFoundError:
            raise FileNotFoundError(
                f"Run {self.name!r} ({self.run_type.value}) recorded no inputs at "
                f"{self.folder.system}:{self.folder.join(layout.INPUTS_FILE)}"
            ) from None
        stored = pickle.loads(data)
        if isinstance(stored, dict):
            return stored
        args, kwargs = stored
        return {"args": list(args), "kwargs": dict(kwargs)}

    def stdout(self) -> str:
        """What the Run printed to stdout ("" if nothing was saved)."""
        return self._read_log(self.stdout_file)

    def stderr(self) -> str:
        """What the Run printed to stderr, with the traceback of its error ("" if nothing)."""
        return self._read_log(self.stderr_file)

    def _read_log(self, name: str) -> str:
        for log in self._logs:
            log.flush()
        try:
            data = self.folder.read_bytes(name)
        except FileNotFoundError:
            return ""
        return data.decode("utf-8", "replace").strip()

    # -- writing ---------------------------------------------------------------------

    def write(self, data: Any, path: str) -> None:
        """Write ``data`` to ``path`` in the Run's folder (bytes and text as they are,
        any other object pickled). ``path`` is relative to the folder, or inside it."""
        rel = self._relative(path)
        if isinstance(data, str):
            data = data.encode("utf-8")
        elif not isinstance(data, (bytes, bytearray, memoryview)):
            data = cloudpickle.dumps(data)
        self.folder.write_bytes(rel, bytes(data))

    def _relative(self, path: str) -> str:
        path = os.fspath(path)
        base = self.folder.path.rstrip("/") + "/"
        if path.startswith(base):
            path = path[len(base) :]
        parts = path.replace("\\", "/").split("/")
        if not path or path.startswith("/") or ".." in parts or any(not p for p in parts):
            raise ValueError(
                f"Cannot write {path!r}: paths must stay inside the Run's folder {self.folder.path}"
            )
        return "/".join(parts)

    def save(self, name: str | None = None, overwrite: bool = True) -> Run:
        """Record the Run in the registry under ``name`` (default: its own name).

        A new name renames the Run: its folder's config is updated before the registry.
        """
        if name is None or name == self.name:
            return super().save(overwrite=overwrite)
        new_name, old_name = layout.validate_name(name), self.name
        renames_folder = not self.dryrun and self.folder.has(layout.CONFIG_FILE)
        if renames_folder:
            self.folder.check_writable()  # refused before anything changes
        self.name = new_name
        try:
            if renames_folder:
                self._publish_config()
            return super().save(overwrite=overwrite)
        except BaseException:
            self.name = old_name  # a refused save leaves the Run as it was
            if renames_folder:
                self._publish_config()
            raise

    @property
    def registry_entry(self) -> dict[str, Any]:
        return self.config_for_rns

    def to(
        self,
        system: Any,
        path: str | None = None,
        data_config: dict | None = None,
        on_completion: bool = False,
    ) -> Run:
        """Copy the Run's folder to ``system`` (``"here"``: ``./rh/<name>``) and return the copy.

        Every file is copied and the config last, so an interrupted copy is never seen as
        a complete Run. The source is untouched. On a terminal, large files show a
        progress bar on stderr.

        With ``on_completion``, a Run still going is copied once it ends, in the background
        (this process waits for that copy before it exits); the Run returned describes the
        copy-to-be.
        """
        if on_completion and not self.refresh().status.is_final:
            dest, dest_cluster = self._destination(system, path, data_config)
            threading.Thread(
                target=self._copy_when_done, args=(system, path, data_config),
                name=f"rhcore-copy-{self.name}", daemon=False,
            ).start()
            return Run._at(dest, self.run_config, dest_cluster)
        config = self._read_config()
        if config is None:
            raise RunNotFoundError(
                f"Run {self.name!r} has no config at {self.folder.system}:{self.folder.path}: "
                "nothing to copy"
            )
        self._apply(config)
        dest, dest_cluster = self._destination(system, path, data_config)
        if dest.system == self.folder.system and dest.path == self.folder.path:
            raise ValueError(f"Run {self.name!r} is already at {dest.system}:{dest.path}")
        finished_function = self.run_type is RunType.FUNCTION_RUN and self.status is RunStatus.COMPLETED
        if finished_function and not self.folder.has(layout.RESULT_FILE):
            raise FileNotFoundError(
                    f"Run {self.name!r} has no result at "
                    f"{self.folder.system}:{self.folder.join(layout.RESULT_FILE)}: nothing to copy"
                )
        existing = read_run_config(dest)
        if existing is not None:
            if existing.get("name") != self.name:
                raise RunExistsError(
                    f"{dest.system}:{dest.path} already holds another Run ({existing.get('name')!r})"
                )
            dest.remove(layout.CONFIG_FILE)  # first: no reader sees the old copy half deleted
            dest.rm()
        with copy_progress(f"{self.name}:") as report:
            self.folder.copy_to(dest, last=layout.CONFIG_FILE, callback=report)
        return Run._at(dest, read_run_config(dest) or self.run_config, dest_cluster)

    def _destination(self, system: Any, path: str | None, data_config: dict | None):
        """The folder (and cluster) ``to()`` copies into; ``"here"`` is ``./rh/<name>``."""
        if system == "here":
            system = "file"
            path = path or os.path.join(layout.local_runs_dir(), self.name)
        return place(self.name, system, path, data_config, self.run_type)

    def _copy_when_done(self, system: Any, path: str | None, data_config: dict | None) -> None:
        from rhcore.follow import follow

        follow(self, show=False, poll=0.5)
        self.to(system, path=path, data_config=data_config)

    # -- misc ------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<Run {self.name!r} {self.status.value} at {self.folder.system}:{self.folder.path}>"

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_logs"], state["_capture_token"], state["_heartbeat"] = (), None, None
        return state


HEARTBEAT_STALE_SECONDS = 60.0


def with_job_identity(folder: Folder, worker: dict) -> dict:
    """``worker`` (a RUNNING Run's ``worker`` record) with its job's identity: a job that
    does not republish the config as it starts writes it to :data:`layout.WORKER_FILE`
    (a second atomic publish of the config costs more than the task itself on Ray)."""
    if worker.get("job"):
        return worker
    try:
        recorded = json.loads(folder.read_bytes(layout.WORKER_FILE))
    except (FileNotFoundError, ValueError):  # not started, or being written
        return worker
    return {**worker, **recorded}


def worker_verdict(
    worker: dict, cluster: Any, folder: Folder, started: str | None = None
) -> tuple[bool | None, str]:
    """Whether the processes behind a RUNNING Run are alive: (True/False/None, reason).
    ``worker`` is the Run's record, with the job's identity (see :func:`with_job_identity`).

    The Run lives while its server or its job process does (a live server finishes a Run
    whose job died). Identities on this host are checked directly; on another host the
    Run's cluster is asked; failing both, a heartbeat (or, before the first beat, the
    start) older than a minute means death.
    """

    def check(identity: dict | None) -> bool | None:
        if not identity:
            return None
        verdict = liveness.alive(identity)
        if verdict is None and cluster is not None:
            try:
                verdict = cluster.executor.alive(identity)
            except Exception:  # an unreachable cluster says nothing about its processes
                verdict = None
        return verdict

    identities = [i for i in (worker.get("server"), worker.get("job")) if i]
    verdicts = [check(identity) for identity in identities]
    if any(verdicts):
        return True, ""
    if identities and all(v is False for v in verdicts):
        return False, liveness.death_reason(worker.get("job") or worker.get("server"))
    try:
        beat = layout.parse_iso(folder.read_bytes(layout.HEARTBEAT_FILE).decode())
    except (FileNotFoundError, ValueError):
        if not started:
            return None, ""
        beat = layout.parse_iso(started)
    age = (layout.parse_iso(layout.now_iso()) - beat).total_seconds()
    if age > HEARTBEAT_STALE_SECONDS:
        return False, f"no heartbeat from its worker for {age:.0f} s"
    return True, ""


def place(
    name: str, system: Any, path: str | None, data_config: dict | None, run_type: RunType
) -> tuple[Folder, Any]:
    """The folder of Run ``name`` on ``system`` (a system name, a cluster's name — ``"local"``
    is this machine's cluster — or a cluster object), and the cluster, if it is one. Without a
    ``path``, plugins say where Runs go by default."""
    if system == "local":  # the cluster, not fsspec's other name for the file system
        system = _cluster_named("local")
    if system is not None and not isinstance(system, str):
        return system.run_folder(name, path=path), system
    plugins = get_plugins()
    try:
        spec = plugins.system(system or "file")
    except UnknownSystemError as unknown:  # then a saved cluster's name, or an error naming the systems
        try:
            named = _cluster_named(system)
        except ResourceNotFoundError:
            raise unknown from None
        return named.run_folder(name, path=path), named
    if path is None:
        path = plugins.default_run_path(spec.name, name, run_type)
        if path is None:
            raise RhcoreError(
                f"The system {spec.name!r} has no default place for Runs: pass path= "
                f"(e.g. 'bucket/prefix/{name}')"
            )
    return Folder(os.fspath(path), spec.name, data_config), None


def _cluster_named(name: str) -> Any:
    from rhcore.cluster import cluster  # cluster imports this module

    return cluster(name)


def read_run_config(folder: Folder) -> dict[str, Any] | None:
    """The config in ``folder``, or None if it has none; CorruptConfigError naming the
    path if it cannot be read as one."""
    try:
        data = folder.read_bytes(layout.CONFIG_FILE)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        config = json.loads(data)
    except ValueError as exc:
        raise CorruptConfigError(
            f"The Run config {folder.system}:{folder.join(layout.CONFIG_FILE)} is corrupt "
            f"(not valid JSON: {exc})"
        ) from None
    if not isinstance(config, dict) or "status" not in config:
        raise CorruptConfigError(
            f"The Run config {folder.system}:{folder.join(layout.CONFIG_FILE)} is corrupt "
            "(not a JSON object with a status)"
        )
    return config


def run(
    name: str | None = None,
    log_dest: str = "file",
    path: str | None = None,
    system: Any = None,
    data_config: dict | None = None,
    load: bool = True,
    dryrun: bool = False,
    **kwargs: Any,
) -> Run:
    """Load a Run, or create one (to use as ``with rh.run(...) as r:``).

    With ``load`` (the default): a ``path`` loads the Run in that folder (a folder that
    exists but holds no Run is an error; one that does not exist gives a new Run there);
    a ``name`` loads the Run saved in the registry under it, or the one at its default
    place. Otherwise — or with ``load=False`` — a new Run is made, named ``name`` or a
    unique sortable name. ``dryrun`` builds the object without writing anything.
    """
    if name is not None:
        layout.validate_name(name)
    if load:
        found = _find(name, path, system, data_config)
        if found is not None:
            found.dryrun = dryrun or found.dryrun
            return found
    kwargs.setdefault("run_type", RunType.CTX_MANAGER)
    return Run(
        name=name,
        log_dest=log_dest,
        path=path,
        system=system,
        data_config=data_config,
        dryrun=dryrun,
        **kwargs,
    )


def _find(name: str | None, path: str | None, system: Any, data_config: dict | None) -> Run | None:
    if path is not None:
        folder, on_cluster = place(name or "run", system, path, data_config, RunType.CTX_MANAGER)
        config = read_run_config(folder)
        if config is not None:
            return Run._at(folder, config, on_cluster)
        if folder.exists():
            raise RunNotFoundError(
                f"{folder.system}:{folder.path} holds no Run (no {layout.CONFIG_FILE} in it); "
                "pass load=False to start a new Run there"
            )
        if folder.spec.capabilities.read_only:
            raise RunNotFoundError(
                f"No Run at {folder.system}:{folder.path}, and the system {folder.system!r} "
                "is read-only: a new Run cannot be made there"
            )
        return None
    if name is None:
        return None
    if system is None:
        entry = get_registry().get(name)
        if entry is not None and entry.get("resource_type", "run") == Run.RESOURCE_TYPE:
            from rhcore import provenance

            provenance.loaded(name)
            return _from_registry(entry, data_config)
    try:
        default, on_cluster = place(name, system, None, data_config, RunType.CTX_MANAGER)
    except RhcoreError:
        return None
    config = read_run_config(default)
    return Run._at(default, config, on_cluster) if config is not None else None


def _from_registry(entry: dict[str, Any], data_config: dict | None) -> Run:
    """A Run from its registry entry, its state refreshed from its folder when reachable."""
    stored = dict(entry.get("data_config") or {})
    stored.update(data_config or {})
    folder = Folder(entry["path"], entry.get("system") or "file", stored)
    run = Run._at(folder, entry)
    try:
        run.refresh()
    except RunNotFoundError:
        pass
    return run

