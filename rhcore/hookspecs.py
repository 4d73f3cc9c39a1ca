"""The plugin contract: every hook rhcore calls, one documented function each.

A plugin is a module or object with functions named like these hooks and decorated with
``rhcore.hookimpl``; it is found through the ``rhcore`` entry-point group::

    [project.entry-points.rhcore]
    s3 = "rh_s3"

Registrar hooks (``rhcore_register_*``) receive a ``register`` callback rather than
returning values, so the core — not the plugins — decides what happens when two plugins
claim the same name: a plugin may override a built-in name (with a warning); between two
plugins the first loaded keeps it and the clash is reported. Registrars are called once,
when the plugin manager is built, and must be cheap and side-effect free.

Hooks take keyword arguments only; a hook implementation may accept any subset of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from rhcore.plugins import ExecutorSpec, LogSinkSpec, SystemSpec
    from rhcore.run import Run
    from rhcore.status import RunStatus, RunType

_hookspec = pluggy.HookspecMarker("rhcore")


@_hookspec
def rhcore_register_systems(register: Callable[[SystemSpec], None]) -> None:
    """Register the storage systems this plugin serves.

    Call ``register(SystemSpec(...))`` once per system. A :class:`~rhcore.plugins.SystemSpec`
    names the system (``"s3"``), the URL schemes that mean it (``("s3", "s3a")``), a
    factory turning a ``data_config`` into an ``fsspec.AbstractFileSystem``, its
    capabilities (read-only, atomic rename, exclusive create, local paths) and a one-line
    description shown by ``rh plugins``.

    .. versionadded:: 0.1
    """


@_hookspec
def rhcore_register_executors(register: Callable[[ExecutorSpec], None]) -> None:
    """Register the cluster kinds this plugin can execute work on.

    Call ``register(ExecutorSpec(kind="ssh", factory=..., description=...))``. The factory
    receives the cluster's settings and returns an executor that starts ``rhcore.worker``
    where the cluster is. The built-in kind ``local`` runs workers on this machine.

    .. versionadded:: 0.1
    """


@_hookspec
def rhcore_register_log_sinks(register: Callable[[LogSinkSpec], None]) -> None:
    """Register destinations for what a Run prints (its ``log_dest``).

    Call ``register(LogSinkSpec(name=..., open=..., description=...))``. ``open(run)``
    returns the pair of binary writers that receive the Run's stdout and stderr bytes, or
    ``None`` to leave the output on the terminal only. Built in: ``file`` (the Run's
    folder) and ``stream`` (the terminal only).

    .. versionadded:: 0.1
    """


@_hookspec(firstresult=True)
def rhcore_default_run_path(system: str, name: str, run_type: RunType) -> str | None:
    """Return where a Run's folder lives on ``system`` when no path was given.

    The first non-None answer wins; return None for a system you do not serve. When no
    plugin answers, creating the Run fails with an error asking for a ``path``. Paths are
    as the system's fsspec filesystem takes them (``bucket/prefix/name`` on object stores).

    .. versionadded:: 0.1
    """


@_hookspec
def rhcore_run_status_changed(run: Run, old: RunStatus, new: RunStatus) -> None:
    """Observe a Run changing status (metrics, notifications, lineage).

    Called in the process that made the change, after the new config was published, and
    in a process that sees a change made elsewhere: the caller of a function or command,
    when its call ends or when it ``refresh()``-es the Run (a worker executing a job does
    not call it; observers live with the callers). Every implementation is called; an
    exception in one is reported as a warning and does not stop the Run or the other
    observers.

    .. versionadded:: 0.1
    """
