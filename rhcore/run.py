"""The Run: one function call, command or ``with`` block, recorded in a folder.

A Run's folder holds its config, pickled inputs and result, and its stdout/stderr. The
folder is the truth: a :class:`Run` is a handle on it that :meth:`Run.refresh` brings up
to date, and everything it writes goes through :mod:`rhcore.records`. A ``with`` block's
lifecycle is a chain of hooks (``rhcore_run_start``, ``rhcore_run_end``): the core takes
the Run's next attempt and publishes its end; capture, heartbeats and lineage are
built-in plugins around that.
"""

from __future__ import annotations

import functools
import getpass
import os
import posixpath
import threading
from typing import Any

import attrs
import cloudpickle

from rhcore import context, layout, liveness, records, trust, values
from rhcore.errors import IllegalTransitionError, RhcoreError, RunNotFoundError
from rhcore.fingerprint import Fingerprint
from rhcore.folder import Folder
from rhcore.follow import follow
from rhcore.places import run_place
from rhcore.plugins import get_plugins, hookimpl
from rhcore.progress import copy_progress
from rhcore.registry import Resource, get_registry
from rhcore.spec import RunRecord, RunStatus, RunType
from rhcore.status import ending

__all__ = ["Run", "run"]

# Keys of a stored config that are not constructor arguments of Run.
_IGNORED_KEYS = ("resource_type", "rhcore_version", "saved_by", "cluster", "stdout_file", "stderr_file")


@functools.cache
def current_creator() -> str | None:
    """Who is making Runs here: the login name (a Run's ``creator``)."""
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (some containers)
        return os.environ.get("USER") or None


class _Field:
    """A field of the Run's record, read and set through the handle (``run.status``)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, run: Any, owner: type | None = None) -> Any:
        if run is None:
            return self
        return getattr(run._record, self.name)

    def __set__(self, run: Any, value: Any) -> None:
        setattr(run._record, self.name, value)


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

    name = _Field()
    status = _Field()
    run_type = _Field()
    start_time = _Field()
    end_time = _Field()
    fn_name = _Field()
    cmds = _Field()
    upstream_artifacts = _Field()
    downstream_artifacts = _Field()
    error = _Field()
    error_traceback = _Field()
    log_dest = _Field()
    creator = _Field()
    creation_stacktrace = _Field()
    attempt = _Field()
    worker = _Field()
    inputs_digest = _Field()
    returncodes = _Field()
    metadata = _Field()

    @property
    def fingerprint(self) -> Fingerprint | None:
        """What this function Run was computed from — the function, a hash of its code and
        of its arguments, the Python and rhcore versions — and so what a cache hit on it
        is checked against; None for a Run recorded without one."""
        stored = self._record.fingerprint
        return Fingerprint.from_json(stored) if stored is not None else None

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
        name = layout.validate_name(name) if name is not None else layout.new_run_name()
        get_plugins().log_sink(log_dest)  # an unknown log_dest fails here, naming the installed ones
        runhouse_traceback = kwargs.pop("traceback", None)  # the key Runhouse's registry used
        for ignored in _IGNORED_KEYS:  # derived or registry-only: never taken from a caller
            kwargs.pop(ignored, None)
        metadata = dict(kwargs.pop("metadata", None) or {})
        fields = {key: kwargs.pop(key) for key in RunRecord.OPTIONAL if key in kwargs}
        metadata.update(kwargs)
        self._record = RunRecord(
            name=name,
            status=status,
            run_type=run_type or (RunType.FUNCTION_RUN if fn_name else RunType.CMD_RUN if cmds is not None
                                  else RunType.CTX_MANAGER),
            start_time=start_time,
            end_time=end_time,
            fn_name=fn_name,
            cmds=list(cmds) if cmds is not None else None,
            upstream_artifacts=upstream_artifacts,
            downstream_artifacts=downstream_artifacts,
            error=None if error is None else str(error),
            error_traceback=error_traceback if error_traceback is not None else runhouse_traceback,
            log_dest=log_dest,
            creator=creator if creator is not None else current_creator(),
            creation_stacktrace=creation_stacktrace,
            metadata=metadata,
            **fields,
        )
        self.dryrun = dryrun
        self.folder, self.cluster = run_place(name, system, path, data_config, self._record.run_type)
        self.plugin_state: dict[str, Any] = {}
        """What plugins keep for this Run while it runs in this process (its logs, its capture)."""
        self._live = False
        if overwrite and not dryrun:
            self.folder.rm()

    @classmethod
    def _at(cls, folder: Folder, record: RunRecord, cluster: Any = None) -> Run:
        """A Run handle on ``folder`` holding ``record`` (kept by ``cluster``)."""
        run = cls.__new__(cls)
        run._record, run.folder, run.cluster = record, folder, cluster
        run.dryrun, run.plugin_state, run._live = False, {}, False
        return run

    # -- where it lives --------------------------------------------------------------

    @property
    def record(self) -> RunRecord:
        """The Run's record as this handle last read or wrote it."""
        return self._record

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

    @property
    def stdout_file(self) -> str:
        """The file name of the Run's stdout log in its folder."""
        return records.log_names(self._record)[0]

    @property
    def stderr_file(self) -> str:
        """The file name of the Run's stderr log in its folder."""
        return records.log_names(self._record)[1]

    # -- configs ---------------------------------------------------------------------

    @property
    def run_config(self) -> dict[str, Any]:
        """The config stored in the Run's folder (``config_for_run.json``)."""
        return records.stored_json(self._record)

    @property
    def config_for_rns(self) -> dict[str, Any]:
        """The metadata stored in the registry by :meth:`save`: the run config plus where
        the folder is (system, path, and the non-secret part of ``data_config``)."""
        config = self.run_config
        config["path"] = self.folder.path
        config["system"] = self.folder.system
        config["data_config"] = self.folder.public_config
        if self.cluster is not None:
            config["cluster"] = self.cluster.name
        return config

    @property
    def registry_entry(self) -> dict[str, Any]:
        return self.config_for_rns

    @classmethod
    def from_config(cls, config: dict[str, Any], dryrun: bool = False) -> Run:
        """A Run from a stored config (a folder's or a registry entry)."""
        config = {k: v for k, v in config.items() if k not in _IGNORED_KEYS}
        return cls(**config, dryrun=dryrun)

    @classmethod
    def from_path(cls, path: str, system: str = "file", data_config: dict | None = None) -> Run:
        """Load the Run whose folder is ``path`` on ``system``."""
        folder = Folder(os.fspath(path), system, data_config)
        return cls._at(folder, records.require(folder))

    # -- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> Run:
        if self.dryrun:
            raise RhcoreError(f"Run {self.name!r} is a dryrun: it describes a Run and cannot start")
        plugins = get_plugins()
        try:
            plugins.run_start(self)
        except BaseException as failure:
            if self._live:  # started, then a plugin failed: end it, saying why
                plugins.run_end(self, failure)
            raise
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None, tb: Any) -> bool:
        if exc is None and exc_type is not None:
            exc = exc_type()
        get_plugins().run_end(self, exc)
        return False

    def _begin(self) -> None:
        """The core's start of a ``with`` block: its next attempt, RUNNING, named after
        this process (whose death a watcher elsewhere detects)."""
        old = self.status
        fresh = attrs.evolve(self._record, status=RunStatus.NOT_STARTED, start_time=layout.now_iso(),
                             end_time=None, error=None, error_traceback=None, upstream_artifacts=[],
                             downstream_artifacts=[], worker={"job": liveness.identify()})
        self._record = records.begin(self.folder, fresh, ask=self._ask)
        self._live = True
        self._tell_observers(old)

    def _finish(self, error: BaseException | None) -> None:
        """The core's end of a ``with`` block: its final status, from how the block ended."""
        status, message, text = ending(error)
        if not self._live:  # only the block that started a Run ends it
            get_plugins().check_transition(self.name, self.status, status)
            raise IllegalTransitionError(f"Run {self.name!r} ({self.status.value}) was not started by this "
                                         "handle: only the block running it ends it")
        failure = self.plugin_state.pop("failure", None)
        if status is RunStatus.COMPLETED and failure:
            status, message = RunStatus.ERROR, failure
        refusal = None
        try:
            ended = records.end(self.folder, self._record, status, error=message, error_traceback=text)
        except IllegalTransitionError as refused:  # a plugin refused the end: ERROR says why
            if status is RunStatus.ERROR:
                raise
            refusal = refused
            ended = records.end(self.folder, self._record, RunStatus.ERROR, error=str(refused),
                                error_traceback=text)
        self._record, self._live = ended.record, False
        self._tell_observers(RunStatus.RUNNING)
        if refusal is not None:
            raise refusal

    def _tell_observers(self, old: RunStatus) -> None:
        """Tell this process's status observers that the Run moved from ``old``."""
        plugins = get_plugins()
        if self.status is not old and plugins.has_status_observers:
            plugins.run_status_changed(self, old, self.status)

    @property
    def _ask(self) -> records.Ask | None:
        """How to ask the Run's cluster about its processes on another host (if it can be
        asked: a place a plugin names may not run anything)."""
        return getattr(getattr(self.cluster, "executor", None), "alive", None)

    # -- reading ---------------------------------------------------------------------

    def refresh(self) -> Run:
        """Reload the Run's state from its folder and return it, e.g. ``r.refresh().status``.
        A RUNNING Run whose worker is gone becomes ERROR here, saying why."""
        record = records.read(self.folder)
        if record is None:
            if self.status is RunStatus.NOT_STARTED or self.dryrun:
                return self
            raise RunNotFoundError(
                f"Run {self.name!r} has no config at {self.folder.system}:{self.folder.path} "
                "(was its folder deleted?)"
            )
        if record.status is RunStatus.RUNNING:
            if self._live:  # running here: what it loaded and saved so far is in memory
                record.upstream_artifacts = self.upstream_artifacts
                record.downstream_artifacts = self.downstream_artifacts
            record = records.judge(self.folder, record, self._ask)
        old, self._record = self.status, record
        self._tell_observers(old)  # a change made elsewhere (a worker's), seen here
        return self

    def result(self) -> Any:
        """The function's return value when COMPLETED, the stderr text when ERROR, and the
        stdout text otherwise (and for command or block Runs, which have no return value)."""
        self.refresh()
        if self.status is RunStatus.COMPLETED:
            found, value = values.load(self.folder, self._record, "result")
            if found:
                return value
            if self.run_type is RunType.FUNCTION_RUN:
                where = records.where(self.folder, records.layout_of(self._record).result)
                raise FileNotFoundError(f"Run {self.name!r} is COMPLETED but has no result at {where}")
            return self.stdout()
        if self.status is RunStatus.ERROR:
            return self.stderr()
        return self.stdout()

    def inputs(self) -> dict[str, Any]:
        """The function's inputs as ``{"args": [...], "kwargs": {...}}``."""
        found, stored = values.load(self.folder, self._record, "inputs")
        if not found:
            where = records.where(self.folder, records.layout_of(self._record).inputs)
            raise FileNotFoundError(
                f"Run {self.name!r} ({self.run_type.value}) recorded no inputs at {where}"
            )
        if isinstance(stored, dict):
            return stored
        args, kwargs = stored
        return {"args": list(args), "kwargs": dict(kwargs)}

    def stdout(self) -> str:
        """What the Run printed to stdout ("" if nothing was saved)."""
        return self._read_log("stdout")

    def stderr(self) -> str:
        """What the Run printed to stderr, with the traceback of its error ("" if nothing)."""
        return self._read_log("stderr")

    def _read_log(self, stream: str) -> str:
        for log in self.plugin_state.get("logs", ()):
            log.flush()
        return records.read_log(self.folder, self._record, stream).decode("utf-8", "replace").strip()

    def attempts(self) -> list[Run]:
        """The earlier attempts of this Run's name in its folder, oldest first: each a Run
        with its own config, logs, inputs and result. Re-running a name that holds a
        finished Run (a ``with`` block entered again, a call under the same ``run_name``,
        ``get_or_call`` after an ERROR, a copy onto another Run) keeps the earlier one here."""
        return [Run._at(folder, record, self.cluster) for folder, record in records.attempts(self.folder)]

    # -- writing ---------------------------------------------------------------------

    def write(self, data: Any, path: str) -> None:
        """Write ``data`` to ``path`` in the Run's folder (bytes and text as they are,
        any other object pickled). ``path`` is relative to the folder, or inside it."""
        rel = self._relative(path)
        if isinstance(data, str):
            data = data.encode("utf-8")
        elif not isinstance(data, (bytes, bytearray, memoryview)):
            data = cloudpickle.dumps(data)
        records.write_file(self.folder, rel, bytes(data))

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
        if parts[0] == layout.ATTEMPTS_DIR:
            raise ValueError(f"Cannot write {path!r}: {layout.ATTEMPTS_DIR}/ keeps the Run's earlier "
                             "attempts")
        return "/".join(parts)

    def save(self, name: str | None = None, overwrite: bool = True) -> Run:
        """Record the Run in the registry under ``name`` (default: its own name).

        A new name renames the Run: its folder's record and logs are renamed first.
        """
        if name is None or name == self.name:
            return super().save(overwrite=overwrite)
        new_name, old = layout.validate_name(name), self._record
        renames_folder = not self.dryrun and records.read(self.folder) is not None
        if renames_folder:
            self.folder.check_writable()  # refused before anything changes
            self._record = records.rename(self.folder, old, new_name)
        else:
            self._record = attrs.evolve(old, name=new_name)
        try:
            return super().save(overwrite=overwrite)
        except BaseException:
            if renames_folder:  # a refused save leaves the Run as it was
                self._record = records.rename(self.folder, self._record, old.name)
            else:
                self._record = old
            raise

    def to(
        self,
        system: Any,
        path: str | None = None,
        data_config: dict | None = None,
        on_completion: bool = False,
    ) -> Run:
        """Copy the Run's folder to ``system`` (``"here"``: ``./rh/<name>``) and return the copy.

        Every file is copied and the config last, so an interrupted copy is never seen as
        a complete Run. The source is untouched. A copy of the same attempt already there
        is brought up to date; another Run there is kept as an earlier attempt of the copy
        (see :meth:`attempts`). On a terminal, large files show a progress bar on stderr.

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
            return Run._at(dest, self._record, dest_cluster)
        record = records.read(self.folder)
        if record is None:
            raise RunNotFoundError(
                f"Run {self.name!r} has no config at {self.folder.system}:{self.folder.path}: "
                "nothing to copy"
            )
        self._record = record
        dest, dest_cluster = self._destination(system, path, data_config)
        if dest.system == self.folder.system and dest.path == self.folder.path:
            raise ValueError(f"Run {self.name!r} is already at {dest.system}:{dest.path}")
        if records.is_function_result_missing(self.folder, record):
            raise FileNotFoundError(
                f"Run {self.name!r} has no result at "
                f"{records.where(self.folder, records.layout_of(record).result)}: nothing to copy"
            )
        with copy_progress(f"{self.name}:") as report:
            copied = records.copy(self.folder, record, dest, callback=report)
        return Run._at(dest, copied, dest_cluster)

    def _destination(self, system: Any, path: str | None, data_config: dict | None):
        """The folder (and cluster) ``to()`` copies into; ``"here"`` is ``./rh/<name>``."""
        if system == "here":
            system = "file"
            path = path or os.path.join(layout.local_runs_dir(), self.name)
        return run_place(self.name, system, path, data_config, self.run_type)

    def _copy_when_done(self, system: Any, path: str | None, data_config: dict | None) -> None:
        follow(self, show=False, poll=0.5)
        self.to(system, path=path, data_config=data_config)

    # -- misc ------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"<Run {self.name!r} {self.status.value} at {self.folder.system}:{self.folder.path}>"

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["plugin_state"], state["_live"] = {}, False
        return state


class CoreLifecycle:
    """The core's part of a ``with`` block's lifecycle, the innermost implementation of
    ``rhcore_run_start`` / ``rhcore_run_end``: every plugin's wrapper acts around it."""

    @hookimpl
    def rhcore_run_start(self, run: Run) -> None:
        run._begin()

    @hookimpl
    def rhcore_run_end(self, run: Run, error: BaseException | None) -> None:
        run._finish(error)


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

    Entering a loaded Run that has ended starts its next attempt (the earlier one stays
    readable in :meth:`Run.attempts`); one still running elsewhere is refused.
    """
    if name is not None:
        name = layout.validate_name(name)
    if load:
        found = _find(name, path, system, data_config)
        if found is not None:
            found.dryrun = dryrun or found.dryrun
            if log_dest != "file":
                get_plugins().log_sink(log_dest)
                found.log_dest = log_dest
            return found
    kwargs.setdefault("run_type", RunType.CTX_MANAGER)
    return Run(name=name, log_dest=log_dest, path=path, system=system, data_config=data_config,
               dryrun=dryrun, **kwargs)


def _find(name: str | None, path: str | None, system: Any, data_config: dict | None) -> Run | None:
    if path is not None:
        folder, on_cluster = run_place(name or "run", system, path, data_config, RunType.CTX_MANAGER)
        record = records.read(folder)
        if record is not None:
            return Run._at(folder, record, on_cluster)
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
            context.loaded(name)
            return from_registry(entry, data_config)
    try:
        default, on_cluster = run_place(name, system, None, data_config, RunType.CTX_MANAGER)
    except RhcoreError:
        return None
    record = records.read(default)
    return Run._at(default, record, on_cluster) if record is not None else None


def from_registry(entry: dict[str, Any], data_config: dict | None) -> Run:
    """A Run from its registry entry, its state refreshed from its folder when reachable."""
    stored = dict(entry.get("data_config") or {})
    stored.update(data_config or {})
    folder = Folder(entry["path"], entry.get("system") or "file", stored)
    where = f"registry entry {entry.get('name')!r}"
    trust.vouch_run(folder)  # the registry is trusted: so are the Runs it names
    run = Run._at(folder, RunRecord.from_json(entry, where, name=posixpath.basename(folder.path)))
    try:
        run.refresh()
    except RunNotFoundError:
        pass
    return run
