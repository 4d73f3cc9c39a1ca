"""Functions: Python callables that run on a cluster and record their calls as Runs.

``rh.function(fn)`` runs ``fn`` on this machine by default, in a warm worker process;
``.to(cluster)`` sends it elsewhere. ``f(...)`` waits for the value, ``f.run(...)`` returns
a Run at once, and ``get_or_call`` / ``get_or_run`` return the cached Run of a name when
it COMPLETED — computing it exactly once however many callers ask at the same moment.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import logging
import os
import pickle
import sys
import sysconfig
import time
import types
from collections.abc import Callable, Iterable
from typing import Any

import cloudpickle

from rhcore import layout, leases, provenance, resources
from rhcore.cluster import Cluster, _wait
from rhcore.cluster import cluster as load_cluster
from rhcore.errors import ResourceNotFoundError, RunCancelledError, RunFailedError
from rhcore.folder import Folder
from rhcore.registry import get_registry
from rhcore.resources import Resource
from rhcore.run import Run, _from_registry, read_run_config, with_job_identity, worker_verdict
from rhcore.status import RunStatus

logger = logging.getLogger("rhcore")

LATEST = "latest"


class Function(Resource):
    """A callable bound to the cluster that runs it."""

    RESOURCE_TYPE = "function"

    def __init__(
        self,
        fn: Callable | None = None,
        name: str | None = None,
        system: Cluster | str | None = None,
        *,
        pickled: bytes | None = None,
        fn_name: str | None = None,
        options: dict[str, Any] | None = None,
    ):
        if fn is None and pickled is None:
            raise ValueError("rh.function needs a callable (or the name of a saved function)")
        if fn is not None and not callable(fn):
            raise TypeError(f"rh.function needs a callable, not {type(fn).__name__}")
        self._fn = fn
        self._pickled = pickled
        self.name = layout.validate_name(name, kind="function") if name is not None else None
        self.system: Cluster = _as_cluster(system)
        self._fn_name = fn_name or (getattr(fn, "__name__", None) if fn is not None else None)
        self.run_options: dict[str, Any] = dict(options or {})

    def __repr__(self) -> str:
        return f"<Function {self.name or self.fn_name!r} on {self.system.name!r}>"

    @property
    def fn(self) -> Callable:
        """The Python callable."""
        if self._fn is None:
            self._fn = cloudpickle.loads(self._pickled)
        return self._fn

    @property
    def fn_name(self) -> str:
        """The name its Runs record (``fn_name``): the function's own name."""
        return self._fn_name or getattr(self.fn, "__name__", None) or "function"

    @property
    def pickled(self) -> bytes:
        """The function, cloudpickled once — by value when its module cannot be imported
        where it runs (a script's ``__main__``, a spawned process's ``__mp_main__``, or any
        module outside site-packages for a remote cluster)."""
        if self._pickled is None:
            self._pickled = pickle_function(self._fn, remote=self.system.executor.pickle_by_value)
        return self._pickled

    # -- calling -----------------------------------------------------------------------

    def _prepare(self, args: tuple, kwargs: dict) -> tuple[dict[str, Any], bytes, str]:
        """Check the arguments against the signature (TypeError now, not in the worker),
        and build the job."""
        if kwargs or len(args) != self._plain_arity():
            signature = self._signature()
            if signature is not None:
                signature.bind(*args, **kwargs)
        inputs = cloudpickle.dumps((args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        digest = hashlib.sha256(inputs).hexdigest()
        return {"kind": "function", "fn": self.pickled, "inputs": inputs}, inputs, digest

    def _signature(self) -> inspect.Signature | None:
        if "_signature_of" not in self.__dict__:
            try:
                self.__dict__["_signature_of"] = inspect.signature(self.fn)
            except (TypeError, ValueError):  # some builtins have none
                self.__dict__["_signature_of"] = None
        return self.__dict__["_signature_of"]

    def _plain_arity(self) -> int:
        """How many positional arguments always bind, when the signature is only plain
        parameters without defaults (then a call with that many needs no check); else -1."""
        if "_plain_arity_of" not in self.__dict__:
            signature = self._signature()
            plain = signature is not None and all(
                p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
                for p in signature.parameters.values()
            )
            self.__dict__["_plain_arity_of"] = len(signature.parameters) if plain else -1
        return self.__dict__["_plain_arity_of"]

    def options(self, **options: Any) -> Function:
        """The same function with executor options (e.g. ``num_cpus=2`` on Ray) for its calls."""
        unknown = set(options) - self.system.executor.option_names
        if unknown:
            known = ", ".join(sorted(self.system.executor.option_names)) or "none"
            raise TypeError(f"Cluster {self.system.name!r} ({self.system.kind}) takes no option "
                            f"{', '.join(sorted(unknown))}; its options: {known}")
        moved = self.to(self.system)
        moved.run_options = {**self.run_options, **options}
        return moved

    def _split_options(self, kwargs: dict) -> tuple[dict, dict]:
        """The call's keyword arguments without the executor's options, and those options."""
        names = self.system.executor.option_names
        if not names or not names & kwargs.keys():
            return kwargs, self.run_options
        options = {**self.run_options, **{k: kwargs[k] for k in names & kwargs.keys()}}
        return {k: v for k, v in kwargs.items() if k not in names}, options

    def _launch(self, args: tuple, kwargs: dict, run_name: str | None, stream: bool,
                attempt: int | None = None):
        kwargs, options = self._split_options(kwargs)
        job, inputs, digest = self._prepare(args, kwargs)
        if options:
            job["options"] = options
        return self.system.launch(
            job, run_name=run_name, stream=stream, fn_name=self.fn_name,
            inputs=inputs if run_name is not None else None, inputs_digest=digest, attempt=attempt,
        )

    def __call__(self, *args: Any, run_name: str | None = None, stream_logs: bool = True,
                 **kwargs: Any) -> Any:
        """Call the function on its cluster and return its value; what it prints is shown
        here live. With ``run_name`` the call is recorded as a Run of that name."""
        if run_name is not None:
            layout.validate_name(run_name)
        run, handle = self._launch(args, kwargs, run_name, stream_logs)
        return self.system.outcome_value(_wait(handle, self.system, run), run)

    def run(self, *args: Any, run_name: str | None = None, **kwargs: Any) -> Run:
        """Start the call and return its Run at once (RUNNING); ``refresh()`` follows it and
        ``result()`` returns the value once it COMPLETED."""
        run_name = layout.validate_name(run_name) if run_name is not None else layout.new_run_name()
        run, _ = self._launch(args, kwargs, run_name, stream=False)
        return run

    def remote(self, *args: Any, run_name: str | None = None, **kwargs: Any) -> Run:
        """Alias of :meth:`run`."""
        return self.run(*args, run_name=run_name, **kwargs)

    def get_or_call(self, *args: Any, run_name: str, **kwargs: Any) -> Any:
        """The result of the COMPLETED Run ``run_name`` — looked up on the cluster, then in
        the registry — without calling; otherwise call, record it under that name, and
        return the value. ``run_name="latest"``: the newest COMPLETED Run of this function.
        However many callers ask at once, the function runs once."""
        return self._get_or_start(args, kwargs, run_name, wait=True)

    def get_or_run(self, *args: Any, run_name: str, **kwargs: Any) -> Run:
        """Like :meth:`get_or_call`, but asynchronous: returns the cached Run, the Run
        another caller is computing, or a Run just started."""
        return self._get_or_start(args, kwargs, run_name, wait=False)

    def map(self, iterable_of_args: Iterable[Any], run_name_prefix: str | None = None) -> list[Run]:
        """Start one Run per item (a tuple is the argument list, anything else the single
        argument) and return the Runs, named ``<prefix>-<index>``."""
        prefix = run_name_prefix or f"{self.fn_name}-{layout.new_run_name()}"
        runs = []
        for index, item in enumerate(iterable_of_args):
            args = item if isinstance(item, tuple) else (item,)
            runs.append(self.run(*args, run_name=f"{prefix}-{index}"))
        return runs

    # -- caching -------------------------------------------------------------------------

    def _get_or_start(self, args: tuple, kwargs: dict, run_name: str, *, wait: bool) -> Any:
        if run_name == LATEST:
            latest = self.latest_run()
            if latest is not None:
                return latest.result() if wait else latest
            run_name = layout.new_run_name()
        layout.validate_name(run_name)
        folder = self.system.run_folder(run_name)
        config = read_run_config(folder)
        if config is not None and config.get("status") == RunStatus.COMPLETED.value:
            return self._hit(folder, config, args, kwargs, wait)
        if config is None:
            shared = self._registry_hit(run_name, wait)
            if shared is not None:
                return shared.result() if wait else shared
        return self._exactly_once(folder, config, args, kwargs, run_name, wait)

    def _hit(self, folder: Folder, config: dict, args: tuple, kwargs: dict, wait: bool) -> Any:
        kwargs, _ = self._split_options(kwargs)
        stored = config.get("inputs_digest")
        if stored is not None:
            digest = hashlib.sha256(cloudpickle.dumps((args, kwargs), protocol=pickle.HIGHEST_PROTOCOL))
            if digest.hexdigest() != stored:
                logger.warning(
                    "Run %r is cached with different arguments than this call's; returning the "
                    "cached result (use another run_name to compute with these arguments)",
                    config.get("name"),
                )
        if wait:
            return pickle.loads(folder.read_bytes(layout.RESULT_FILE))
        run = Run._at(folder, config, self.system)
        return run

    def _registry_hit(self, run_name: str, wait: bool) -> Run | None:
        """A Run of this name recorded in the registry — a teammate's — that COMPLETED, or
        that is still going (then waited for, unless ``wait`` is off)."""
        entry = get_registry().get(run_name)
        if entry is None or entry.get("resource_type") != Run.RESOURCE_TYPE:
            return None
        run = _from_registry(entry, None)
        if run.status is RunStatus.RUNNING and wait:
            from rhcore.follow import follow

            follow(run, show=False)
        return run if run.status in (RunStatus.COMPLETED, RunStatus.RUNNING) else None

    def _announce(self, run: Run) -> None:
        """Record a cached Run in the registry as it starts, so others sharing the registry
        wait for it or reuse it instead of computing it again. A name the registry already
        gives to something other than a Run is left alone."""
        registry = get_registry()
        existing = registry.get(run.name)
        if existing is None or existing.get("resource_type") == Run.RESOURCE_TYPE:
            registry.put(run.name, run.registry_entry)

    def _exactly_once(self, folder: Folder, config: dict | None, args: tuple, kwargs: dict,
                      run_name: str, wait: bool) -> Any:
        def worker_alive(worker: dict) -> bool | None:
            return worker_verdict(with_job_identity(folder, worker), self.system, folder)[0]

        while True:
            attempt = leases.try_acquire(folder, config, worker_alive)
            if attempt is not None:
                config = read_run_config(folder)
                if config is not None and config.get("status") == RunStatus.COMPLETED.value:
                    return self._hit(folder, config, args, kwargs, wait)  # done while we queued
                run, handle = self._launch(args, kwargs, run_name, stream=wait, attempt=attempt)
                self._announce(run)
                if not wait:
                    return run
                return self.system.outcome_value(_wait(handle, self.system, run), run)
            config = self._await_attempt(folder, leases.current(folder), wait, worker_alive)
            if config is None:
                continue  # its holder died before starting: try to take over
            status = RunStatus(config["status"])
            if status is RunStatus.COMPLETED:
                return self._hit(folder, config, args, kwargs, wait)
            if not wait:
                run = Run._at(folder, config, self.system)
                return run
            if status is RunStatus.CANCELLED:
                raise RunCancelledError(f"Run {run_name!r}, computed by another caller, was cancelled")
            raise RunFailedError(
                f"Run {run_name!r}, computed by another caller, failed: {config.get('error')}\n"
                f"{config.get('error_traceback') or ''}".rstrip()
            )

    def _await_attempt(self, folder: Folder, attempt: int, until_end: bool,
                       worker_alive: Callable[[dict], bool | None]) -> dict | None:
        """Wait for another caller's attempt: return its config once it ended (or, unless
        ``until_end``, once it runs), or None if its holder died before starting it."""
        delay, next_check = 0.002, time.monotonic() + 0.5
        while True:
            config = read_run_config(folder)
            seen = (config or {}).get("attempt") or 0
            if config is not None and seen >= attempt:
                status = RunStatus(config["status"])
                if status.is_final or (not until_end and seen == attempt):
                    return config
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + 0.5
                if config is not None and seen == attempt:
                    run = Run._at(folder, config, self.system)
                    run.refresh()  # a dead worker turns the Run to ERROR here
                elif leases.spent(folder, config, attempt, worker_alive):
                    return None
            time.sleep(delay)
            delay = min(delay * 1.5, 0.05)

    def latest_run(self) -> Run | None:
        """The newest COMPLETED Run of this function on its cluster."""
        done = [r for r in self.system.runs()
                if r.fn_name == self.fn_name and r.status is RunStatus.COMPLETED]
        return max(done, key=lambda r: r.end_time or "", default=None)

    # -- moving and saving -------------------------------------------------------------------

    def to(self, system: Cluster | str) -> Function:
        """The same function on another cluster."""
        return Function(self._fn, self.name, system, pickled=self._pickled, fn_name=self._fn_name,
                        options=self.run_options)

    @property
    def registry_entry(self) -> dict[str, Any]:
        """The pickled function and its cluster (no secrets): what :meth:`save` stores, so
        ``rh.function(name=...)`` loads it."""
        return {
            "resource_type": self.RESOURCE_TYPE,
            "name": self.name,
            "fn_name": self.fn_name,
            "fn_pickle": base64.b64encode(self.pickled).decode(),
            "system": self.system.registry_entry,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], dryrun: bool = False) -> Function:
        system = config.get("system")
        cluster = Cluster.from_config(system) if isinstance(system, dict) else _as_cluster(system)
        return cls(
            name=config.get("name"),
            system=cluster,
            pickled=base64.b64decode(config["fn_pickle"]),
            fn_name=config.get("fn_name"),
        )


def pickle_function(fn: Callable, *, remote: bool) -> bytes:
    """Cloudpickle ``fn``, its module by value when the worker could not import it."""
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    by_value = module is not None and _needs_value(module, remote)
    if by_value:
        cloudpickle.register_pickle_by_value(module)
    try:
        return cloudpickle.dumps(fn, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        if by_value:
            cloudpickle.unregister_pickle_by_value(module)


def _needs_value(module: types.ModuleType, remote: bool) -> bool:
    if module.__name__ == "__main__":
        return False  # cloudpickle already pickles __main__ by value
    path = getattr(module, "__file__", None) or ""
    if not path:
        return False  # built in: importable anywhere
    if remote:
        installed = any(part in path for part in ("site-packages", "dist-packages"))
        return not installed and not path.startswith(sysconfig.get_paths()["stdlib"])
    return not _importable_by_name(module, path)


def _importable_by_name(module: types.ModuleType, path: str) -> bool:
    """Whether ``import <module name>`` finds this file through ``sys.path`` (a module
    loaded another way — ``__mp_main__``, pytest's importlib mode — is not)."""
    relative = os.path.join(*module.__name__.split("."))
    candidates = (relative + ".py", os.path.join(relative, "__init__.py"))
    real = os.path.realpath(path)
    for entry in sys.path:
        base = entry or os.getcwd()
        if any(os.path.realpath(os.path.join(base, c)) == real for c in candidates):
            return True
    return False


def _as_cluster(system: Cluster | str | None) -> Cluster:
    if system is None:
        return load_cluster("local")
    if isinstance(system, Cluster):
        return system
    return load_cluster(system)


def function(
    fn: Callable | None = None,
    name: str | None = None,
    system: Cluster | str | None = None,
    dryrun: bool = False,
) -> Function:
    """A Function running ``fn`` on ``system`` (default: this machine), or — with only a
    ``name`` — the function saved under that name."""
    if fn is None:
        if name is None:
            raise ValueError("rh.function needs a callable or the name of a saved function")
        config = get_registry().get(name)
        if config is None or config.get("resource_type") != Function.RESOURCE_TYPE:
            raise ResourceNotFoundError(f"No function named {name!r} in the registry {get_registry()}")
        provenance.loaded(name)
        loaded = Function.from_config(config, dryrun)
        return loaded.to(system) if system is not None else loaded
    return Function(fn, name, system)


resources.register_loader("function", Function.from_config)
