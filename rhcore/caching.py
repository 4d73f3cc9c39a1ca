"""Caching by run name: ``get_or_call`` / ``get_or_run`` return the COMPLETED Run of a name
— found on the function's cluster, or in the registry (a teammate's) — and otherwise
compute it exactly once, however many callers ask at the same moment: the first to take
the name's next attempt computes, the others wait for that attempt (a dead worker ends
their wait) and share its result.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from typing import Any

import cloudpickle

from rhcore import layout, records, values
from rhcore.cluster import _wait
from rhcore.errors import RunCancelledError, RunFailedError
from rhcore.folder import Folder
from rhcore.follow import follow
from rhcore.registry import get_registry
from rhcore.run import Run, from_registry
from rhcore.spec import RunRecord, RunStatus

logger = logging.getLogger("rhcore")

LATEST = "latest"
"""The run name that means: the newest COMPLETED Run of the function."""


def get_or_start(function: Any, args: tuple, kwargs: dict, run_name: str, *, wait: bool) -> Any:
    """The cached value (``wait``) or Run of ``run_name`` for ``function(*args, **kwargs)``,
    computing it if there is none."""
    if run_name == LATEST:
        latest = function.latest_run()
        if latest is not None:
            return latest.result() if wait else latest
        run_name = layout.new_run_name()
    run_name = layout.validate_name(run_name)
    folder = function.system.run_folder(run_name)
    record = records.read(folder)
    if record is not None and record.status is RunStatus.COMPLETED:
        return _hit(function, folder, record, args, kwargs, wait)
    if record is None:
        shared = _registry_hit(run_name, wait)
        if shared is not None:
            return shared.result() if wait else shared
    return _exactly_once(function, folder, args, kwargs, run_name, wait)


def _hit(function: Any, folder: Folder, record: RunRecord, args: tuple, kwargs: dict, wait: bool) -> Any:
    kwargs, _ = function._split_options(kwargs)
    if record.inputs_digest is not None:
        digest = hashlib.sha256(cloudpickle.dumps((args, kwargs), protocol=pickle.HIGHEST_PROTOCOL))
        if digest.hexdigest() != record.inputs_digest:
            logger.warning(
                "Run %r is cached with different arguments than this call's; returning the "
                "cached result (use another run_name to compute with these arguments)",
                record.name,
            )
    if not wait:
        return Run._at(folder, record, function.system)
    found, value = values.load(folder, record, "result")
    if not found:  # a COMPLETED function Run always has one: say where it is missing
        return Run._at(folder, record, function.system).result()
    return value


def _registry_hit(run_name: str, wait: bool) -> Run | None:
    """A Run of this name recorded in the registry — a teammate's — that COMPLETED, or that
    is still going (then waited for, unless ``wait`` is off)."""
    entry = get_registry().get(run_name)
    if entry is None or entry.get("resource_type") != Run.RESOURCE_TYPE:
        return None
    run = from_registry(entry, None)
    if run.status is RunStatus.RUNNING and wait:
        follow(run, show=False)
    return run if run.status in (RunStatus.COMPLETED, RunStatus.RUNNING) else None


def _announce(run: Run) -> None:
    """Record a cached Run in the registry as it starts, so others sharing the registry
    wait for it or reuse it instead of computing it again. A name the registry already
    gives to something other than a Run is left alone."""
    registry = get_registry()
    existing = registry.get(run.name)
    if existing is None or existing.get("resource_type") == Run.RESOURCE_TYPE:
        registry.put(run.name, run.registry_entry)


def _exactly_once(function: Any, folder: Folder, args: tuple, kwargs: dict, run_name: str,
                  wait: bool) -> Any:
    cluster = function.system
    ask = cluster.executor.alive
    while True:
        attempt = records.try_take(folder, ask=ask)
        if attempt is not None:
            record = records.read(folder)
            if record is not None and record.status is RunStatus.COMPLETED:  # done while we queued
                records.release(folder, attempt)
                return _hit(function, folder, record, args, kwargs, wait)
            run, handle = function._launch(args, kwargs, run_name, stream=wait, attempt=attempt)
            _announce(run)
            if not wait:
                return run
            return cluster.outcome_value(_wait(handle, cluster, run), run)
        record = records.wait_for_attempt(folder, records.current_attempt(folder), until_end=wait, ask=ask)
        if record is None:
            continue  # its taker died before starting it: try to take over
        if record.status is RunStatus.COMPLETED:
            return _hit(function, folder, record, args, kwargs, wait)
        if not wait:
            return Run._at(folder, record, cluster)
        if record.status is RunStatus.CANCELLED:
            raise RunCancelledError(f"Run {run_name!r}, computed by another caller, was cancelled")
        raise RunFailedError(
            f"Run {run_name!r}, computed by another caller, failed: {record.error}\n"
            f"{record.error_traceback or ''}".rstrip()
        )
