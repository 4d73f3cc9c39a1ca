"""The types plugins and the core exchange: what a plugin registers, the Run record, and
what travels between a caller and a worker.

Everything here is data (attrs classes) or a Protocol; nothing does I/O. A plugin imports
what it registers from here:

>>> from rhcore import hookimpl
>>> from rhcore.spec import Capabilities, SystemSpec
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import attrs
import fsspec

from rhcore import layout
from rhcore.errors import CorruptConfigError
from rhcore.secrets import redact, scrub
from rhcore.status import RunStatus, RunType
from rhcore.version import __version__

__all__ = [
    "LOCAL_RUN_DIR",
    "Capabilities",
    "Executor",
    "ExecutorSpec",
    "FolderRef",
    "Job",
    "LogSinkSpec",
    "LogWriter",
    "Outcome",
    "PluginInfo",
    "RunLayout",
    "RunRecord",
    "RunStatus",
    "RunType",
    "SystemSpec",
    "redact",
    "scrub",
]

LOCAL_RUN_DIR = layout.LOCAL_RUN_DIR
"""The folder, under the working directory (or an SSH login's home), holding ``with``
block Runs by default: ``rh/<name>``."""

# -- what plugins register ------------------------------------------------------------


@attrs.frozen
class Capabilities:
    """What a storage system guarantees; the core picks its strategies from these."""

    read_only: bool = False
    """Writes are refused (e.g. ``github``)."""
    atomic_rename: bool = False
    """``mv`` of a file within the system is atomic (POSIX rename, SFTP rename)."""
    exclusive_create: bool = True
    """Writing with ``mode="create"`` fails with FileExistsError if the file exists."""
    atomic_write: bool = False
    """A whole-file write becomes visible all at once (object stores' PUT)."""
    local_paths: bool = False
    """Paths are files of this machine: logs are written in place, not spooled."""
    posix_paths: bool = False
    """Paths are rooted at ``/`` with real folders (SFTP); otherwise ``bucket/key`` style."""


def _protocol_factory(protocol: str) -> Callable[[dict], fsspec.AbstractFileSystem]:
    def factory(data_config: dict) -> fsspec.AbstractFileSystem:
        return fsspec.filesystem(protocol, **data_config)

    return factory


@attrs.frozen
class SystemSpec:
    """A storage system a plugin serves.

    ``factory(data_config)`` returns the fsspec filesystem; by default
    ``fsspec.filesystem(protocol, **data_config)`` with the first of ``protocols``. Secrets
    in a ``data_config`` (keys, tokens, passwords, headers, a password inside a URL: see
    :func:`redact`, and the plugin's own ``secret_fields``) are kept in memory only: rhcore
    never writes them, and :func:`scrub` takes them out of error messages.
    """

    name: str
    protocols: tuple[str, ...] = attrs.field(converter=tuple)
    capabilities: Capabilities = Capabilities()
    description: str = ""
    factory: Callable[[dict], fsspec.AbstractFileSystem] = attrs.field(default=None)
    secret_fields: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    """``data_config`` keys that hold secrets but are not named like one (a password key
    named ``pw``): dropped from every stored config and scrubbed from messages, like the
    keys :func:`redact` recognises by name."""

    def __attrs_post_init__(self) -> None:
        if not self.protocols:
            object.__setattr__(self, "protocols", (self.name,))
        if self.factory is None:
            object.__setattr__(self, "factory", _protocol_factory(self.protocols[0]))


@attrs.frozen
class ExecutorSpec:
    """A cluster kind: ``factory(cluster)`` returns the :class:`Executor` that runs its work.

    ``public_settings(settings)`` says what a saved cluster records of its settings — how
    to connect, never a secret; by default, everything :func:`redact` keeps.
    """

    kind: str
    factory: Callable[..., Any]
    description: str = ""
    public_settings: Callable[[dict], dict] | None = None


@runtime_checkable
class LogWriter(Protocol):
    """What a log sink hands back for each of a Run's two streams: a binary writer.

    ``write(data)`` receives the bytes the Run prints, as they come; ``flush()`` makes
    them readable where the sink keeps them; ``close()`` is called once, when the Run ends,
    and must keep what was written. A writer may also offer ``discard()``: called instead
    of ``close()`` when the Run could not start, to leave nothing behind.
    """

    def write(self, data: bytes) -> Any: ...

    def flush(self) -> Any: ...

    def close(self) -> Any: ...


@attrs.frozen
class LogSinkSpec:
    """A ``log_dest``: ``open(run)`` returns the pair of :class:`LogWriter` that receive the
    Run's stdout and stderr bytes, or None to leave the output on the terminal only."""

    name: str
    open: Callable[[Any], tuple[LogWriter, LogWriter] | None]
    description: str = ""


@attrs.frozen
class PluginInfo:
    """One loaded plugin and what it provides (``rh plugins`` prints these)."""

    name: str
    distribution: str | None
    version: str | None
    systems: tuple[str, ...] = ()
    executors: tuple[str, ...] = ()
    log_sinks: tuple[str, ...] = ()


def _plain_template(template: str) -> str:
    """A file-name template that names a file of the folder, never a path out of it."""
    sample = template.format(name="x")
    if not sample or "/" in sample or "\\" in sample or sample in (".", "..") or sample.startswith("."):
        raise ValueError(f"{template!r} does not name a visible file of a Run's folder")
    return template


@attrs.frozen
class RunLayout:
    """The file names of a Run type's folder (the hook ``rhcore_run_layout`` answers with
    one). ``{name}`` in a log's template is the Run's name. Every name stays inside the
    folder; the config's own name, ``config_for_run.json``, is the same for every type (it
    is how a Run is found)."""

    inputs: str = attrs.field(default=layout.INPUTS_FILE, validator=lambda _, __, v: _plain_template(v))
    result: str = attrs.field(default=layout.RESULT_FILE, validator=lambda _, __, v: _plain_template(v))
    stdout: str = attrs.field(default="{name}" + layout.STDOUT_SUFFIX,
                              validator=lambda _, __, v: _plain_template(v))
    stderr: str = attrs.field(default="{name}" + layout.STDERR_SUFFIX,
                              validator=lambda _, __, v: _plain_template(v))

    def stdout_file(self, name: str) -> str:
        """The stdout log of Run ``name`` (a valid name, so a plain file name)."""
        return self.stdout.format(name=name)

    def stderr_file(self, name: str) -> str:
        """The stderr log of Run ``name``."""
        return self.stderr.format(name=name)


# -- the Run record ----------------------------------------------------------------------


def _texts(value: Any) -> list[str]:
    return list(value or [])


@attrs.define(eq=True)
class RunRecord:
    """A Run's config, ``config_for_run.json``: the one schema every writer and reader uses.

    The folder holding it is the truth; this is its parsed, checked form. It never holds a
    secret. :meth:`from_json` refuses a stored config whose fields have the wrong types,
    naming the file; unknown keys (a registry entry's, a newer rhcore's) are ignored.
    """

    name: str
    status: RunStatus = attrs.field(default=RunStatus.NOT_STARTED, converter=RunStatus)
    run_type: RunType = attrs.field(default=RunType.CTX_MANAGER, converter=RunType)
    start_time: str | None = None
    end_time: str | None = None
    fn_name: str | None = None
    cmds: list[str] | None = None
    upstream_artifacts: list[str] = attrs.field(factory=list, converter=_texts)
    downstream_artifacts: list[str] = attrs.field(factory=list, converter=_texts)
    error: str | None = None
    error_traceback: str | None = None
    log_dest: str = "file"
    creator: str | None = None
    creation_stacktrace: str | None = None
    attempt: int | None = None
    """Which attempt of its name this record describes (1, 2, …; None: never started)."""
    worker: dict[str, Any] | None = None
    """The processes responsible for the attempt while it runs (``server``, ``job``)."""
    inputs_digest: str | None = None
    returncodes: list[int] | None = None
    fingerprint: dict[str, Any] | None = None
    """What a function Run was computed from (:mod:`rhcore.fingerprint`): its cache key."""
    untrusted_origin: str | None = None
    """Where this copy of the Run came from, when that place was not trusted: its pickles
    stay as untrusted as they were there (:mod:`rhcore.trust`)."""
    metadata: dict[str, Any] = attrs.field(factory=dict)

    OPTIONAL = ("attempt", "worker", "inputs_digest", "returncodes", "fingerprint", "untrusted_origin")
    """Keys written only when set."""

    def to_json(self, **extra: Any) -> dict[str, Any]:
        """The stored form (with ``extra`` keys such as the log file names, for readers)."""
        data: dict[str, Any] = {
            "name": self.name,
            "resource_type": "run",
            "status": self.status.value,
            "run_type": self.run_type.value,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "fn_name": self.fn_name,
            "cmds": self.cmds,
            "upstream_artifacts": list(self.upstream_artifacts),
            "downstream_artifacts": list(self.downstream_artifacts),
            "error": self.error,
            "error_traceback": self.error_traceback,
            "log_dest": self.log_dest,
            "creator": self.creator,
            "creation_stacktrace": self.creation_stacktrace,
            **extra,
            "rhcore_version": __version__,
        }
        for key in self.OPTIONAL:
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        if self.metadata:
            data["metadata"] = self.metadata
        return data

    @classmethod
    def from_bytes(cls, data: bytes, where: str, *, name: str | None = None) -> RunRecord:
        """Parse a stored config; CorruptConfigError naming ``where`` if it is not one."""
        try:
            config = json.loads(data)
        except ValueError as exc:
            raise CorruptConfigError(f"The Run config {where} is corrupt (not valid JSON: {exc})") from None
        return cls.from_json(config, where, name=name)

    @classmethod
    def from_json(cls, config: Any, where: str, *, name: str | None = None) -> RunRecord:
        """A record from a stored config dict (a folder's or a registry entry). ``name``:
        the Run's name when the config has none (its folder's)."""
        if not isinstance(config, dict) or "status" not in config:
            raise CorruptConfigError(f"The Run config {where} is corrupt (not a JSON object with a status)")
        check = _Checker(config, where)
        fn_name, cmds = check.text("fn_name"), check.texts("cmds", optional=True)
        run_type = check.choice("run_type", RunType, optional=True)
        if run_type is None:
            run_type = RunType.FUNCTION_RUN if fn_name else RunType.CMD_RUN if cmds is not None else \
                RunType.CTX_MANAGER
        stored_name = config.get("name") or name
        try:
            stored_name = layout.validate_name(stored_name)
        except ValueError as exc:
            raise CorruptConfigError(f"The Run config {where} is corrupt (field 'name': {exc})") from None
        error_traceback = check.text("error_traceback")
        return cls(
            name=stored_name,
            status=check.choice("status", RunStatus),
            run_type=run_type,
            start_time=check.time("start_time"),
            end_time=check.time("end_time"),
            fn_name=fn_name,
            cmds=cmds,
            upstream_artifacts=check.texts("upstream_artifacts"),
            downstream_artifacts=check.texts("downstream_artifacts"),
            error=check.text("error"),
            error_traceback=error_traceback if error_traceback is not None else check.text("traceback"),
            log_dest=check.text("log_dest") or "file",
            creator=check.text("creator"),
            creation_stacktrace=check.text("creation_stacktrace"),
            attempt=check.integer("attempt"),
            worker=check.mapping("worker"),
            inputs_digest=check.text("inputs_digest"),
            returncodes=check.integers("returncodes"),
            fingerprint=check.mapping("fingerprint"),
            untrusted_origin=check.text("untrusted_origin"),
            metadata=check.mapping("metadata") or {},
        )


class _Checker:
    """Reads typed fields out of a stored config, failing with the file and the field."""

    def __init__(self, config: dict[str, Any], where: str):
        self.config, self.where = config, where

    def _bad(self, key: str, expected: str) -> CorruptConfigError:
        shown = repr(self.config.get(key))
        shown = shown if len(shown) < 60 else shown[:57] + "..."
        return CorruptConfigError(
            f"The Run config {self.where} is corrupt (field {key!r}: expected {expected}, got {shown})"
        )

    def text(self, key: str) -> str | None:
        value = self.config.get(key)
        if value is not None and not isinstance(value, str):
            raise self._bad(key, "text or null")
        return value

    def texts(self, key: str, *, optional: bool = False) -> list[str] | None:
        value = self.config.get(key)
        if value is None:
            return None if optional else []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._bad(key, "a list of texts")
        return value

    def choice(self, key: str, enum: type, *, optional: bool = False) -> Any:
        value = self.config.get(key)
        if value is None and optional:
            return None
        try:
            return enum(value)
        except ValueError:
            raise self._bad(key, "one of " + ", ".join(m.value for m in enum)) from None

    def time(self, key: str) -> str | None:
        value = self.config.get(key)
        if value is None:
            return None
        try:
            _dt.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise self._bad(key, "an ISO 8601 time or null") from None
        return value

    def integer(self, key: str) -> int | None:
        value = self.config.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise self._bad(key, "a whole number or null")
        return value

    def integers(self, key: str) -> list[int] | None:
        value = self.config.get(key)
        if value is not None and (not isinstance(value, list) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value)):
            raise self._bad(key, "a list of whole numbers or null")
        return value

    def mapping(self, key: str) -> dict[str, Any] | None:
        value = self.config.get(key)
        if value is not None and not isinstance(value, dict):
            raise self._bad(key, "an object or null")
        return value


# -- what travels between a caller and a worker --------------------------------------------


@attrs.frozen
class FolderRef:
    """A folder as a worker reaches it: its system, path and ``data_config`` (which may hold
    credentials: a FolderRef is sent to workers, never stored)."""

    system: str
    path: str
    data_config: dict[str, Any] = attrs.field(factory=dict)


@attrs.define
class Job:
    """One piece of work for a worker: a function call (``fn`` and ``inputs``, cloudpickled)
    or shell commands (``cmds``). With a ``folder`` and a ``record`` the job records its Run
    there; with only a ``folder`` it writes just its output there, for its caller to
    stream; with neither, its output goes where the worker's goes."""

    kind: str
    fn: bytes | None = None
    inputs: bytes | None = None
    cmds: list[str] | None = None
    folder: FolderRef | None = None
    record: RunRecord | None = None
    options: dict[str, Any] = attrs.field(factory=dict)
    """Executor options of the call (resources, on Ray)."""
    cwd: str | None = None
    env: dict[str, str] = attrs.field(factory=dict)
    registry: tuple[str, dict[str, Any]] | None = None
    """The caller's registry (URL, data_config): lineage records go where the caller looks."""


@attrs.define
class Outcome:
    """How a job ended, as its worker reports it to the caller."""

    ok: bool
    result: bytes | None = None
    """The pickled return value, when small enough to travel with the outcome."""
    result_in_folder: bool = False
    exc: bytes | None = None
    """The exception, pickled for the trip (see :mod:`rhcore.execution.remote`)."""
    error: str | None = None
    traceback: str | None = None
    returncodes: list[int] | None = None
    run_error: str | None = None
    """Why a job whose code ran to its end still failed (a command's exit code)."""
    cancelled: bool = False
    gone: bool = False
    """The worker went away without saying how the job ended."""
    late: str | None = None
    """Set when the job's Run had already ended (cancelled, judged dead) before it did:
    the final status it has. Nothing of this outcome replaced that record."""
    upstream_artifacts: list[str] | None = None
    downstream_artifacts: list[str] | None = None
    imported: list[str] = attrs.field(factory=list)

    @property
    def completed(self) -> bool:
        """Whether it makes its Run COMPLETED."""
        return self.ok and not self.run_error


@runtime_checkable
class Executor(Protocol):
    """What a cluster kind's executor does (``rhcore.execution.Executor`` is the base class
    to derive from; ``ServerExecutor`` for one that keeps a warm ``rhcore.worker``)."""

    python: str
    pickle_by_value: bool
    option_names: frozenset[str]

    def store(self) -> Any:
        """The Folder holding the cluster's Run folders, as this process reaches it."""

    def check(self, job: Job) -> None:
        """Refuse a job the cluster can never run, before its Run is recorded."""

    def submit(self, job: Job, *, stream: bool) -> Any:
        """Start ``job``; return a handle whose ``wait()`` gives its :class:`Outcome`."""

    def cancel(self, folder: Any, force: bool) -> dict[str, Any]:
        """Stop the Run in ``folder`` and everything it started; reply ``{ok, message}``."""

    def alive(self, identity: dict[str, Any]) -> bool | None:
        """Whether a process of this cluster runs; None if it cannot be told."""

    def close(self) -> None:
        """Release connections."""
