"""The plugin contract: every hook rhcore calls, one documented function each.

A plugin is a module or object with functions named like these hooks and decorated with
``rhcore.hookimpl``; it is found through the ``rhcore`` entry-point group::

    [project.entry-points.rhcore]
    s3 = "rh_s3"

Hooks take keyword arguments only; an implementation may accept any subset of them, in
any order. rhcore's own behaviour is built from the same hooks: the ``file`` system, the
``local`` cluster kind, the log sinks, the default folder layout, the status machine's
table, and the capture, heartbeat and lineage of a Run are built-in plugins (``rh
plugins`` lists them), which a plugin may wrap, observe or, where a hook says so, override.

Kinds of hook:

registrar
    receives a ``register`` callback rather than returning values, so the core, not the
    plugins, decides what happens when two plugins claim the same name: a plugin may
    override a built-in name (with a warning); between two plugins the first loaded keeps
    it and the clash is reported. Called once, when the plugin manager is built; must be
    cheap and free of side effects.
firstresult
    the first implementation that returns something other than None answers.
veto
    every implementation is asked; one ``False`` refuses.
wrapper-friendly
    implement it with ``@hookimpl(wrapper=True)`` and a ``yield`` to act before and after
    the core (pluggy's new-style wrappers, as pytest's ``pytest_runtest_call``).
broadcast
    every implementation is called; an exception in one is reported as a warning.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

from rhcore.spec import ExecutorSpec, LogSinkSpec, RunLayout, RunStatus, RunType, SystemSpec

_hookspec = pluggy.HookspecMarker("rhcore")


@_hookspec
def rhcore_register_systems(register: Callable[[SystemSpec], None]) -> None:
    """Register the storage systems this plugin serves (registrar).

    :param register: call ``register(SystemSpec(...))`` once per system. The
        :class:`~rhcore.spec.SystemSpec` names the system (``"s3"``), the URL schemes that
        mean it (``("s3", "s3a")``), a ``factory`` turning a ``data_config`` dict into an
        ``fsspec.AbstractFileSystem`` (import the storage library inside it, not at module
        level: every ``import rhcore`` loads the plugins), its
        :class:`~rhcore.spec.Capabilities` (read-only, atomic rename, exclusive create,
        atomic write, local or POSIX paths) and a one-line ``description`` shown by
        ``rh plugins``.
    :return: nothing; what counts is what was registered.

    .. versionadded:: 0.1
    """


@_hookspec
def rhcore_register_executors(register: Callable[[ExecutorSpec], None]) -> None:
    """Register the cluster kinds this plugin can execute work on (registrar).

    :param register: call ``register(ExecutorSpec(kind=..., factory=..., description=...))``.
        ``factory(cluster)`` receives the :class:`~rhcore.Cluster` and returns an executor
        (derive from ``rhcore.execution.Executor``, or ``ServerExecutor`` to keep a warm
        ``rhcore.worker`` where the cluster is). ``public_settings(settings)`` says what a
        saved cluster records of its settings: how to connect, never a secret. The
        built-in kind ``local`` runs work on this machine.
    :return: nothing.

    .. versionadded:: 0.1
    """


@_hookspec
def rhcore_register_log_sinks(register: Callable[[LogSinkSpec], None]) -> None:
    """Register destinations for what a ``with`` block's Run prints (its ``log_dest``)
    (registrar).

    :param register: call ``register(LogSinkSpec(name=..., open=..., description=...))``.
        ``open(run)`` receives the starting :class:`~rhcore.Run` and returns a pair of
        binary writers, ``(stdout, stderr)``, or None to leave the output on the terminal
        only. Each writer needs ``write(data: bytes)``, ``flush()`` and ``close()``
        (:class:`~rhcore.spec.LogWriter`); ``close()`` is called once when the Run ends.
        A writer may also offer ``discard()``, called instead of ``close()`` when the Run
        could not start. Built in: ``file`` (the Run's folder) and ``stream`` (the
        terminal only). ``rhcore.testing.LogSinkContract`` checks a sink.
    :return: nothing.

    .. versionadded:: 0.1
    """


@_hookspec(firstresult=True)
def rhcore_default_run_path(system: str, name: str, run_type: RunType) -> str | None:
    """Say where a Run's folder lives on ``system`` when no path was given (firstresult).

    :param system: the system's registered name (``"s3"``).
    :param name: the Run's name (already checked: a plain folder name).
    :param run_type: what the Run records (a ``with`` block, a function, commands).
    :return: the folder's path as the system's fsspec filesystem takes it
        (``bucket/prefix/name`` on object stores), or None for a system you do not
        serve. When no plugin answers, creating the Run fails asking for a ``path``.

    .. versionadded:: 0.1
    """


@_hookspec(firstresult=True)
def rhcore_run_layout(run_type: RunType) -> RunLayout | None:
    """Name the files of a Run type's folder (firstresult).

    :param run_type: the type of Run whose folder is laid out.
    :return: a :class:`~rhcore.spec.RunLayout` (names of the inputs, the result and the
        two logs, each a plain file of the folder), or None to leave it to the next
        plugin. The built-in layout answers last: ``inputs.pkl``, ``result.pkl``,
        ``<name>.out``, ``<name>.err``. The config is always ``config_for_run.json``.
        Every process that reads or writes a Run must answer alike, so a layout plugin
        must be installed wherever its Runs are.

    .. versionadded:: 0.2
    """


@_hookspec
def rhcore_transition_allowed(run_name: str, old: RunStatus, new: RunStatus) -> bool | None:
    """Allow or refuse a change of a Run's status (veto).

    :param run_name: the Run changing.
    :param old: its status as stored now (what the change is compared against).
    :param new: the status asked for.
    :return: False to refuse the change (it then raises
        :class:`~rhcore.IllegalTransitionError` and nothing is written), True or None to
        let it through. The built-in implementation answers from the status machine's
        table (``rhcore.status.TRANSITIONS``), so a plugin can refuse more but never
        allow what the table refuses: a final status (COMPLETED, ERROR, CANCELLED) stays
        final whatever a plugin says.

    .. versionadded:: 0.2
    """


@_hookspec
def rhcore_run_start(run: Any) -> None:
    """Start a Run in this process: a ``with rh.run(...)`` block entering (wrapper-friendly).

    :param run: the :class:`~rhcore.Run` starting. Before the innermost implementation —
        the core's, which takes the Run's next attempt and publishes it RUNNING — it is
        NOT_STARTED; after it, RUNNING. The built-in plugins act after the core, in a
        wrapper: ``rhcore.capture`` opens the log sink and captures output, heartbeat
        beats for watchers elsewhere, lineage marks the Run active.
    :return: nothing. An exception from a wrapper before its ``yield`` stops the Run from
        starting; one after it ends the Run in ERROR, with that reason.

    .. versionadded:: 0.2
    """


@_hookspec
def rhcore_run_end(run: Any, error: BaseException | None) -> None:
    """End a Run that started in this process: a ``with`` block exiting (wrapper-friendly).

    :param run: the :class:`~rhcore.Run` ending, RUNNING until the core's innermost
        implementation publishes its final status.
    :param error: the exception that ended the block, or None. ``KeyboardInterrupt`` ends
        it CANCELLED, ``SystemExit(0)`` COMPLETED, any other exception ERROR.
    :return: nothing. Built-in wrappers stop capturing and close the logs, stop the
        heartbeat and mark the Run inactive, all before the core publishes the end; a
        failure there is recorded as the Run's error, never left RUNNING.

    .. versionadded:: 0.2
    """


@_hookspec
def rhcore_run_status_changed(run: Any, old: RunStatus, new: RunStatus) -> None:
    """Observe a Run changing status: metrics, notifications (broadcast).

    :param run: the :class:`~rhcore.Run`, already holding the new status.
    :param old: the status before.
    :param new: the status published.
    :return: nothing. Called in the process that made the change, after the new config was
        published, and in a process that sees a change made elsewhere: the caller of a
        function or command, when its call ends or when it ``refresh()``-es the Run (a
        worker executing a job does not call it; observers live with the callers). An
        exception in one observer is a warning and stops neither the Run nor the others.

    .. versionadded:: 0.1
    """


@_hookspec(firstresult=True)
def rhcore_resolve_cluster(name: str) -> Any:
    """Find a cluster by name, for ``rh.run(name, system=NAME)`` and ``run.to(NAME)``
    (firstresult).

    :param name: what the caller passed as ``system`` that no storage system is called.
    :return: an object with ``run_folder(run_name, path=None)`` returning the Folder of a
        Run kept there (a :class:`~rhcore.Cluster`), or None. If it also has
        ``executor.alive(identity)``, watchers ask it whether a Run's processes live. Built
        in: ``local`` and the clusters saved in the registry.

    .. versionadded:: 0.2
    """


@_hookspec
def rhcore_artifact_deleting(name: str) -> None:
    """Observe a named artifact about to be deleted (``blob.rm()``, ``delete_configs()``)
    (broadcast).

    :param name: the artifact's registry name.
    :return: nothing. The built-in lineage plugin warns, naming the Runs that loaded it.

    .. versionadded:: 0.2
    """
