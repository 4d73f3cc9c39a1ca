"""The plugin manager: finds plugins, collects what they provide, answers who serves what.

Plugins are found through the ``rhcore`` entry-point group (``rh_file`` among them: the
core never imports a plugin by name). The core's own built-in hook implementations are
handed in by the package that assembles rhcore (``rhcore/__init__.py``, through
:func:`use_builtins`), as tox hands in its own: this module knows no module above it. They
are registered through the same pluggy manager, first, as pytest registers its own.

Environment:

``RHCORE_DISABLE_PLUGIN_AUTOLOAD=1``
    load no entry points (only the core's built-ins and plugins registered in code).
``RHCORE_PLUGINS=name,name``
    load only these entry points (by entry-point or distribution name).
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import threading
import warnings
from collections.abc import Iterable
from typing import Any

import fsspec
import pluggy

from rhcore import hookspecs
from rhcore.errors import IllegalTransitionError, RhcoreError, UnknownSystemError
from rhcore.spec import (
    Capabilities,
    ExecutorSpec,
    LogSinkSpec,
    PluginInfo,
    RunLayout,
    RunStatus,
    RunType,
    SystemSpec,
)
from rhcore.status import check_transition
from rhcore.version import plugin_install_hint

__all__ = [
    "Capabilities",
    "ExecutorSpec",
    "LogSinkSpec",
    "PluginError",
    "PluginInfo",
    "PluginWarning",
    "Plugins",
    "SystemSpec",
    "get_plugins",
    "hookimpl",
    "register",
    "reset",
    "unregister",
    "use_builtins",
]

hookimpl = pluggy.HookimplMarker("rhcore")
"""Marks a function of a plugin as the implementation of an rhcore hook."""

ENTRY_POINT_GROUP = "rhcore"
TRUSTED_KEY = "trusted"
"""The ``data_config`` key that trusts one place's pickles (:mod:`rhcore.trust`); rhcore's
own setting, never passed to the storage library."""

KNOWN_SYSTEMS: dict[str, tuple[str, str]] = {
    "s3": ("rh-s3", "s3"),
    "gs": ("rh-gs", "gs"),
    "azure": ("rh-azure", "azure"),
    "sftp": ("rh-ssh-cluster", "ssh"),
    "ssh": ("rh-ssh-cluster", "ssh"),
    "github": ("rh-github", "github"),
}
"""System name -> (distribution that serves it, rhcore extra that installs it)."""

KNOWN_EXECUTORS: dict[str, tuple[str, str]] = {
    "ssh": ("rh-ssh-cluster", "ssh"),
    "ray": ("rh-ray", "ray"),
}
"""Cluster kind -> (distribution that serves it, rhcore extra that installs it)."""


class PluginError(RhcoreError):
    """A plugin is broken: it implements a hook that does not exist, or registers badly."""


class PluginWarning(UserWarning):
    """A plugin could not be loaded, or overrides or clashes with another."""


_REGISTRARS = (
    ("rhcore_register_systems", "systems", SystemSpec, "name"),
    ("rhcore_register_executors", "executors", ExecutorSpec, "kind"),
    ("rhcore_register_log_sinks", "log_sinks", LogSinkSpec, "name"),
)


class Plugins:
    """The loaded plugins and everything they registered.

    Use :func:`get_plugins` for the process-wide instance. The core calls hooks only
    through the methods here, never through ``pm.hook`` directly.
    """

    def __init__(
        self,
        *,
        builtins: Iterable[tuple[str, object]] = (),
        autoload: bool = True,
        extra: Iterable[tuple[str, object]] = (),
    ):
        self.pm = pluggy.PluginManager(ENTRY_POINT_GROUP)
        self.pm.add_hookspecs(hookspecs)
        self._dists: dict[str, tuple[str | None, str | None]] = {}
        self.builtins: set[str] = set()
        own = _own_distribution()
        for name, plugin in builtins:
            self._register(plugin, name, own)
            self.builtins.add(name)
        if autoload:
            self._load_entry_points()
        for name, plugin in extra:
            self._register(plugin, name, (None, None))
        self._collect()
        self._layouts: dict[RunType, RunLayout] = {}
        self._filesystems: dict[tuple, fsspec.AbstractFileSystem] = {}
        self._fs_lock = threading.Lock()

    # -- loading ---------------------------------------------------------------------

    def _load_entry_points(self) -> None:
        if os.environ.get("RHCORE_DISABLE_PLUGIN_AUTOLOAD", "").strip() not in ("", "0"):
            return
        allow = {p.strip() for p in os.environ.get("RHCORE_PLUGINS", "").split(",") if p.strip()}
        found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in sorted(found, key=lambda e: e.name):
            dist = (ep.dist.name, ep.dist.version) if ep.dist else (None, None)
            if allow and ep.name not in allow and dist[0] not in allow:
                continue
            if self.pm.has_plugin(ep.name) or self.pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not break rhcore
                warnings.warn(
                    f"rhcore plugin {ep.name!r} ({ep.value}) failed to import and is skipped: "
                    f"{type(exc).__name__}: {exc}",
                    PluginWarning,
                    stacklevel=2,
                )
                continue
            self._register(plugin, ep.name, dist)

    def _register(self, plugin: object, name: str, dist: tuple[str | None, str | None]) -> None:
        self.pm.register(plugin, name=name)
        self._dists[name] = dist
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            raise PluginError(f"rhcore plugin {name!r} is invalid: {exc}") from exc

    def _collect(self) -> None:
        self.systems: dict[str, SystemSpec] = {}
        self.executors: dict[str, ExecutorSpec] = {}
        self.log_sinks: dict[str, LogSinkSpec] = {}
        self._owner: dict[tuple[str, str], str] = {}
        for hook_name, kind, spec_type, key_attr in _REGISTRARS:
            caller = getattr(self.pm.hook, hook_name)
            table = getattr(self, kind)
            for impl in caller.get_hookimpls():
                register = functools.partial(
                    self._accept, table, kind, spec_type, key_attr, impl.plugin_name
                )
                impl.function(**{arg: register for arg in impl.argnames})

    def _accept(
        self, table: dict, kind: str, spec_type: type, key_attr: str, plugin: str, spec: Any
    ) -> None:
        if not isinstance(spec, spec_type):
            raise PluginError(
                f"rhcore plugin {plugin!r} registered {spec!r} as one of its {kind}; "
                f"expected a {spec_type.__name__}"
            )
        key = getattr(spec, key_attr)
        previous = self._owner.get((kind, key))
        if previous is not None and previous != plugin:
            if previous not in self.builtins:
                warnings.warn(
                    f"rhcore plugins {previous!r} and {plugin!r} both provide {kind[:-1]} "
                    f"{key!r}; keeping {previous!r} (set RHCORE_PLUGINS to choose)",
                    PluginWarning,
                    stacklevel=2,
                )
                return
            warnings.warn(
                f"rhcore plugin {plugin!r} overrides the built-in {kind[:-1]} {key!r}",
                PluginWarning,
                stacklevel=2,
            )
        table[key] = spec
        self._owner[(kind, key)] = plugin

    # -- questions -------------------------------------------------------------------

    def system(self, name: str) -> SystemSpec:
        """The spec of system ``name`` (a system name or one of its URL schemes)."""
        spec = self.systems.get(name)
        if spec is None:
            spec = next((s for s in self.systems.values() if name in s.protocols), None)
        if spec is None:
            raise UnknownSystemError(_unknown_message("system", name, self.systems, KNOWN_SYSTEMS))
        return spec

    def executor(self, kind: str) -> ExecutorSpec:
        """The spec of cluster kind ``kind``."""
        spec = self.executors.get(kind)
        if spec is None:
            raise UnknownSystemError(
                _unknown_message("cluster kind", kind, self.executors, KNOWN_EXECUTORS)
            )
        return spec

    def log_sink(self, name: str) -> LogSinkSpec:
        """The spec of log destination ``name``."""
        spec = self.log_sinks.get(name)
        if spec is None:
            raise UnknownSystemError(_unknown_message("log_dest", name, self.log_sinks, {}))
        return spec

    def owner(self, kind: str, key: str) -> str | None:
        """Name of the plugin that provides ``key`` among its ``kind``."""
        return self._owner.get((kind, key))

    def filesystem(self, system: str, data_config: dict | None = None) -> fsspec.AbstractFileSystem:
        """The fsspec filesystem of ``system`` for ``data_config`` (one per process and config)."""
        spec = self.system(system)
        if data_config and TRUSTED_KEY in data_config:  # rhcore's own setting, not the library's
            data_config = {k: v for k, v in data_config.items() if k != TRUSTED_KEY}
        if not data_config:
            token = ""
        else:
            try:
                token = json.dumps(data_config, sort_keys=True, default=repr)
            except (TypeError, ValueError):
                token = repr(sorted(data_config.items(), key=lambda kv: kv[0]))
        key = (spec.name, token, os.getpid())
        fs = self._filesystems.get(key)
        if fs is None:
            with self._fs_lock:
                fs = self._filesystems.get(key)
                if fs is None:
                    fs = spec.factory(dict(data_config or {}))
                    self._filesystems[key] = fs
        return fs

    def default_run_path(self, system: str, name: str, run_type: RunType) -> str | None:
        """Where a Run's folder lives by default on ``system`` (None if no plugin knows)."""
        return self.pm.hook.rhcore_default_run_path(system=system, name=name, run_type=run_type)

    def layout(self, run_type: RunType) -> RunLayout:
        """The file names of a ``run_type`` Run's folder (asked once per type)."""
        known = self._layouts.get(run_type)
        if known is None:
            known = self.pm.hook.rhcore_run_layout(run_type=RunType(run_type))
            if not isinstance(known, RunLayout):
                raise PluginError(f"rhcore_run_layout answered {known!r} for {run_type}; "
                                  "expected a RunLayout")
            self._layouts[run_type] = known
        return known

    def check_transition(self, run_name: str, old: RunStatus, new: RunStatus) -> RunStatus:
        """``new`` if the status machine and every plugin allow ``old`` to become it; else
        IllegalTransitionError, naming the Run and what is allowed."""
        old, new = RunStatus(old), RunStatus(new)
        answers = self.pm.hook.rhcore_transition_allowed(run_name=run_name, old=old, new=new)
        if all(answer is not False for answer in answers):
            return new
        check_transition(old, new, run_name=run_name)  # the table refused it: the table's reason
        who = f"Run {run_name!r}" if run_name else "A Run"
        raise IllegalTransitionError(f"{who} cannot go from {old.value} to {new.value}: a plugin refused it")

    def run_start(self, run: Any) -> None:
        """Start ``run`` in this process: the core's start, wrapped by the plugins'."""
        self.pm.hook.rhcore_run_start(run=run)

    def run_end(self, run: Any, error: BaseException | None) -> None:
        """End ``run``, started in this process: the core's end, wrapped by the plugins'."""
        self.pm.hook.rhcore_run_end(run=run, error=error)

    def resolve_cluster(self, name: str) -> Any:
        """The cluster called ``name`` (an object with ``run_folder``), or None."""
        return self.pm.hook.rhcore_resolve_cluster(name=name)

    def artifact_deleting(self, name: str) -> None:
        """Tell observers that artifact ``name`` is about to be deleted."""
        self._broadcast("rhcore_artifact_deleting", name=name)

    def run_status_changed(self, run: Any, old: RunStatus, new: RunStatus) -> None:
        """Tell every observer; an observer's failure is a warning, never the Run's."""
        self._broadcast("rhcore_run_status_changed", run=run, old=old, new=new)

    def _broadcast(self, hook: str, **kwargs: Any) -> None:
        for impl in reversed(getattr(self.pm.hook, hook).get_hookimpls()):
            try:
                impl.function(**{name: kwargs[name] for name in impl.argnames})
            except Exception as exc:
                warnings.warn(
                    f"rhcore plugin {impl.plugin_name!r} failed in {hook}: {type(exc).__name__}: {exc}",
                    PluginWarning,
                    stacklevel=3,
                )

    @property
    def has_status_observers(self) -> bool:
        """Whether any plugin observes status changes (lets the hot path skip the call)."""
        return bool(self.pm.hook.rhcore_run_status_changed.get_hookimpls())

    def info(self) -> list[PluginInfo]:
        """Every loaded plugin with its distribution, version and what it provides."""
        provided: dict[str, dict[str, list[str]]] = {}
        for (kind, key), plugin in self._owner.items():
            provided.setdefault(plugin, {}).setdefault(kind, []).append(key)
        infos = []
        for name, _plugin in self.pm.list_name_plugin():
            dist, version = self._dists.get(name, (None, None))
            mine = provided.get(name, {})
            infos.append(
                PluginInfo(
                    name=name,
                    distribution=dist,
                    version=version,
                    systems=tuple(sorted(mine.get("systems", ()))),
                    executors=tuple(sorted(mine.get("executors", ()))),
                    log_sinks=tuple(sorted(mine.get("log_sinks", ()))),
                )
            )
        return infos


def _own_distribution() -> tuple[str | None, str | None]:
    try:
        return ("rhcore", importlib.metadata.version("rhcore"))
    except importlib.metadata.PackageNotFoundError:
        return ("rhcore", None)


def _unknown_message(what: str, name: str, installed: dict, known: dict) -> str:
    names = ", ".join(sorted(installed)) or "none"
    message = f"Unknown {what} {name!r}: no installed plugin provides it. Installed {what}s: {names}."
    if name in known:
        dist, extra = known[name]
        message += f" {name!r} is provided by {dist}: {plugin_install_hint(dist, extra)}"
    return message


_plugins: Plugins | None = None
_builtins: list[tuple[str, object]] = []
_extra: list[tuple[str, object]] = []
_lock = threading.RLock()


def use_builtins(plugins: Iterable[tuple[str, object]]) -> None:
    """Hand in rhcore's own plugins, ``(name, plugin)`` in order: registered first in every
    plugin manager built from now on."""
    global _plugins
    with _lock:
        _builtins[:] = list(plugins)
        _plugins = None


def get_plugins() -> Plugins:
    """The process-wide plugin manager, built on first use."""
    global _plugins
    plugins = _plugins
    if plugins is None:
        with _lock:
            if _plugins is None:
                _plugins = Plugins(builtins=list(_builtins), extra=list(_extra))
            plugins = _plugins
    return plugins


def register(plugin: object, name: str | None = None) -> None:
    """Register a plugin from code (a notebook, a test) as if it had an entry point."""
    global _plugins
    with _lock:
        _extra.append((name or getattr(plugin, "__name__", repr(plugin)), plugin))
        _plugins = None


def unregister(name: str) -> None:
    """Forget a plugin registered with :func:`register`."""
    global _plugins
    with _lock:
        _extra[:] = [(n, p) for n, p in _extra if n != name]
        _plugins = None


def reset() -> None:
    """Rebuild the plugin manager on next use (after changing the environment or installs)."""
    global _plugins
    with _lock:
        _plugins = None
