"""Functions: Python callables that run on a cluster and record their calls as Runs.

``rh.function(fn)`` runs ``fn`` on this machine by default, in a warm worker process;
``.to(cluster)`` sends it elsewhere. ``f(...)`` waits for the value, ``f.run(...)`` returns
a Run at once, and ``get_or_call`` / ``get_or_run`` return the cached Run of a name when
it COMPLETED — computing it exactly once however many callers ask at the same moment.
"""

from __future__ import annotations

import base64
import inspect
import os
import pickle
import sys
import sysconfig
import types
from collections.abc import Callable, Iterable
from typing import Any

import cloudpickle

from rhcore import caching, context, layout, records, resources
from rhcore.cluster import Cluster, _wait
from rhcore.cluster import cluster as load_cluster
from rhcore.errors import ResourceNotFoundError, RunNotFoundError
from rhcore.execution import shipping
from rhcore.fingerprint import Fingerprint, code_hash, function_name, of_call
from rhcore.registry import Resource, get_registry
from rhcore.run import Run
from rhcore.spec import Job, RunStatus


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

    def _prepare(self, args: tuple, kwargs: dict) -> tuple[Job, bytes]:
        """Check the arguments against the signature (TypeError now, not in the worker),
        and build the job."""
        if kwargs or len(args) != self._plain_arity():
            signature = self._signature()
            if signature is not None:
                signature.bind(*args, **kwargs)
        inputs = cloudpickle.dumps((args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        return Job(kind="function", fn=self.pickled, inputs=inputs), inputs

    def fingerprint(self, *args: Any, **kwargs: Any) -> Fingerprint:
        """What a call with these arguments is keyed on: this function (its module and
        name, a hash of its code and of what the code reads, taken once per Function),
        a hash of the arguments by value, and the Python and rhcore versions."""
        kwargs, _ = self._split_options(kwargs)
        if "_code_hash" not in self.__dict__:
            self.__dict__["_code_hash"] = (function_name(self.fn), code_hash(self.fn))
        name, code = self.__dict__["_code_hash"]
        return of_call(name, code, args, kwargs)

    def why(self, run: Run | str, *args: Any, **kwargs: Any) -> list[str]:
        """Why a call with these arguments would not be a cache hit on ``run`` (a Run or a
        run name on this function's cluster): one line per difference, [] if it would be."""
        if isinstance(run, str):
            found = self.system.get_run(run)
            if found is None:
                raise RunNotFoundError(f"No Run {run!r} on cluster {self.system.name!r}")
            run = found
        stored = run.fingerprint
        if stored is None:
            return [f"Run {run.name!r} was recorded without a fingerprint (not a function Run, or "
                    "by an rhcore before 0.2): nothing to compare"]
        return self.fingerprint(*args, **kwargs).differences(stored)

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
        job, inputs = self._prepare(args, kwargs)
        job.options = options
        recorded = run_name is not None
        return self.system.launch(
            job, run_name=run_name, stream=stream, fn_name=self.fn_name, inputs=inputs if recorded else None,
            fingerprint=self.fingerprint(*args, **kwargs).to_json() if recorded else None, attempt=attempt,
        )

    def __call__(self, *args: Any, run_name: str | None = None, stream_logs: bool = True,
                 **kwargs: Any) -> Any:
        """Call the function on its cluster and return its value; what it prints is shown
        here live. With ``run_name`` the call is recorded as a Run of that name (its next
        attempt: RunInProgressError while another execution of the name runs)."""
        if run_name is not None:
            run_name = layout.validate_name(run_name)
        run, handle = self._launch(args, kwargs, run_name, stream_logs)
        return self.system.outcome_value(_wait(handle, self.system, run), run)

    def run(self, *args: Any, run_name: str | None = None, **kwargs: Any) -> Run:
        """Start the call and return its Run at once (RUNNING); ``refresh()`` follows it and
        ``result()`` returns the value once it COMPLETED. RunInProgressError, naming the
        live Run, while another execution of ``run_name`` runs."""
        run_name = layout.validate_name(run_name) if run_name is not None else layout.new_run_name()
        run, _ = self._launch(args, kwargs, run_name, stream=False)
        return run

    def remote(self, *args: Any, run_name: str | None = None, **kwargs: Any) -> Run:
        """Alias of :meth:`run`."""
        return self.run(*args, run_name=run_name, **kwargs)

    def get_or_call(self, *args: Any, run_name: str | None = None, cache: str = "miss", **kwargs: Any) -> Any:
        """The result of the COMPLETED Run ``run_name`` — looked up on the cluster, then in
        the registry — without calling; otherwise call, record it under that name, and
        return the value. However many callers ask at once, the function runs once.

        A stored Run is a hit only if it was computed from the same work: its fingerprint
        (this function's code, the arguments, the Python and rhcore versions; see
        :meth:`fingerprint`) must match this call's. ``cache`` says what a mismatch does:
        ``"miss"`` (default) computes again as the name's next attempt (the earlier one is
        kept), ``"warn"`` returns the stored result with a warning, ``"error"`` raises
        :class:`~rhcore.errors.CacheMismatchError`. Each says in one line what changed.

        Without ``run_name``, the name is made from the fingerprint, so equal calls share
        one Run, as with ``joblib.Memory``. ``run_name="latest"``: the newest COMPLETED Run
        of this function with these arguments (with none given: of this function)."""
        return caching.get_or_start(self, args, kwargs, run_name, wait=True, cache=cache)

    def get_or_run(self, *args: Any, run_name: str | None = None, cache: str = "miss", **kwargs: Any) -> Run:
        """Like :meth:`get_or_call`, but asynchronous: returns the cached Run, the Run
        another caller is computing, or a Run just started."""
        return caching.get_or_start(self, args, kwargs, run_name, wait=False, cache=cache)

    def map(self, iterable_of_args: Iterable[Any], run_name_prefix: str | None = None) -> list[Run]:
        """Start one Run per item (a tuple is the argument list, anything else the single
        argument) and return the Runs, named ``<prefix>-<index>``."""
        prefix = run_name_prefix or f"{self.fn_name}-{layout.new_run_name()}"
        runs = []
        for index, item in enumerate(iterable_of_args):
            args = item if isinstance(item, tuple) else (item,)
            runs.append(self.run(*args, run_name=f"{prefix}-{index}"))
        return runs

    def latest_run(self, *args: Any, **kwargs: Any) -> Run | None:
        """The newest COMPLETED Run of this function on its cluster — with these arguments,
        if any are given: the one whose end the run store recorded last. Found through the
        store's index of Runs, and checked against its folder."""
        given = bool(args or kwargs)
        wanted = self.fingerprint(*args, **kwargs).arguments if given else None
        if given and wanted is None:  # arguments that cannot be hashed match no Run
            return None
        store = self.system.executor.store()
        entry = records.view(store).latest(self.fn_name, wanted)
        if entry is None:
            return None
        folder = store.child(entry.name)
        record = records.read(folder)
        if record is not None and record.status is RunStatus.COMPLETED and record.attempt == entry.attempt:
            return Run._at(folder, record, self.system)
        return self._latest_by_reading(wanted)  # the index is behind its folders: read them

    def _latest_by_reading(self, wanted: str | None) -> Run | None:
        done = [r for r in self.system.runs()
                if r.fn_name == self.fn_name and r.status is RunStatus.COMPLETED
                and (wanted is None or (r.fingerprint is not None and r.fingerprint.arguments == wanted))]
        return max(done, key=lambda r: (r.folder.modified(layout.CONFIG_FILE) or 0.0, r.end_time or ""),
                   default=None)

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
    """Cloudpickle ``fn``, its module by value when the worker could not import it, with the
    file names and source lines of its code (:mod:`rhcore.execution.shipping`)."""
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    by_value = module is not None and _needs_value(module, remote)
    if by_value:
        cloudpickle.register_pickle_by_value(module)
    try:
        return shipping.dumps(fn)  # a traceback from the worker names fn's file and line
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
        context.loaded(name)
        loaded = Function.from_config(config, dryrun)
        return loaded.to(system) if system is not None else loaded
    return Function(fn, name, system)


resources.register_loader("function", Function.from_config)
