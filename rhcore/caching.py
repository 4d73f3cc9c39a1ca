"""Caching by run name: ``get_or_call`` / ``get_or_run`` return the COMPLETED Run of a name
— found on the function's cluster, or in the registry (a teammate's) — when it was
computed from the same work as the call (its fingerprint: :mod:`rhcore.fingerprint`), and
otherwise compute it exactly once, however many callers ask at the same moment: the first
to take the name's next attempt computes, the others wait for that attempt (a dead worker
ends their wait) and share its result.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rhcore import layout, records, values
from rhcore.cluster import _wait
from rhcore.errors import CacheMismatchError, RunCancelledError, RunFailedError
from rhcore.fingerprint import Fingerprint
from rhcore.folder import Folder
from rhcore.follow import follow
from rhcore.registry import get_registry
from rhcore.run import Run, from_registry
from rhcore.spec import RunRecord, RunStatus

logger = logging.getLogger("rhcore")

LATEST = "latest"
"""The run name that means: the newest COMPLETED Run of the function (with the call's
arguments, if it has any)."""
POLICIES = ("miss", "warn", "error")
"""What a cached Run computed from other work than the call's is: a miss (computed again),
a hit with a warning, or an error."""


def get_or_start(function: Any, args: tuple, kwargs: dict, run_name: str | None, *, wait: bool,
                 cache: str = "miss") -> Any:
    """The cached value (``wait``) or Run of ``run_name`` for ``function(*args, **kwargs)``,
    computing it if there is none or if what is cached was computed from other work."""
    if cache not in POLICIES:
        raise ValueError(f"cache must be one of {', '.join(map(repr, POLICIES))}, not {cache!r}")
    wanted = function.fingerprint(*args, **kwargs)
    if run_name is None:
        run_name = _automatic_name(function, wanted)
    if run_name == LATEST:
        latest = function.latest_run(*args, **kwargs)
        if latest is not None:
            return latest.result() if wait else latest
        run_name = layout.new_run_name()
    run_name = layout.validate_name(run_name)
    key = _Key(wanted, cache)
    folder = function.system.run_folder(run_name)
    record = records.read(folder)
    if record is not None and record.status is RunStatus.COMPLETED and key.accepts(record):
        return _hit(function, folder, record, wait)
    if record is None:
        shared = _registry_hit(run_name, key, wait)
        if shared is not None:
            return shared.result() if wait else shared
    return _exactly_once(function, folder, args, kwargs, run_name, key, wait)


def _automatic_name(function: Any, wanted: Fingerprint) -> str:
    """The run name a call without one is cached under: its function's name and its
    fingerprint's hash, so equal calls share one Run. A call whose arguments cannot be
    hashed gets a new name (and says why it is not cached)."""
    key = wanted.key
    if key is None:
        logger.warning("%s: not cached (%s); computing it under a new name",
                       function.fn_name, wanted.unhashable)
        return layout.new_run_name()
    return f"{_UNSAFE.sub('_', function.fn_name)[:64]}-{key[:16]}"


_UNSAFE = re.compile(r"[^\w.-]")


class _Key:
    """What this call is keyed on, and what it does when a stored Run differs."""

    def __init__(self, wanted: Fingerprint, policy: str):
        self.wanted, self.policy = wanted, policy
        self._refused: set[tuple[str, int | None]] = set()

    def accepts(self, record: RunRecord) -> bool:
        """Whether a COMPLETED Run may answer this call (saying once what differs)."""
        if record.fingerprint is None:
            return True  # recorded by an rhcore before fingerprints: taken, as it was then
        if (record.name, record.attempt) in self._refused:
            return False
        differences = self.wanted.differences(Fingerprint.from_json(record.fingerprint))
        if not differences:
            return True
        said = f"Run {record.name!r} was computed from other work: {'; '.join(differences)}"
        if self.policy == "error":
            raise CacheMismatchError(f"{said} (cache='error'; use cache='miss' to compute it again)")
        if self.policy == "warn":
            logger.warning("%s; returning it anyway (cache='warn')", said)
            return True
        logger.warning("%s; computing it again as its next attempt (the earlier one is kept)", said)
        self._refused.add((record.name, record.attempt))
        return False


def _hit(function: Any, folder: Folder, record: RunRecord, wait: bool) -> Any:
    if not wait:
        return Run._at(folder, record, function.system)
    found, value = values.load(folder, record, "result")
    if not found:  # a COMPLETED function Run always has one: say where it is missing
        return Run._at(folder, record, function.system).result()
    return value


def _registry_hit(run_name: str, key: _Key, wait: bool) -> Run | None:
    """A Run of this name recorded in the registry — a teammate's — that COMPLETED from the
    same work, or that is still going (then waited for, unless ``wait`` is off)."""
    entry = get_registry().get(run_name)
    if entry is None or entry.get("resource_type") != Run.RESOURCE_TYPE:
        return None
    run = from_registry(entry, None)
    if run.status is RunStatus.RUNNING and wait:
        follow(run, show=False)
    if run.status is RunStatus.COMPLETED:
        return run if key.accepts(run.record) else None
    return run if run.status is RunStatus.RUNNING else None


def _announce(run: Run) -> None:
    """Record a cached Run in the registry as it starts, so others sharing the registry
    wait for it or reuse it instead of computing it again. A name the registry already
    gives to something other than a Run is left alone."""
    registry = get_registry()
    existing = registry.get(run.name)
    if existing is None or existing.get("resource_type") == Run.RESOURCE_TYPE:
        registry.put(run.name, run.registry_entry)


def _exactly_once(function: Any, folder: Folder, args: tuple, kwargs: dict, run_name: str, key: _Key,
                  wait: bool) -> Any:
    cluster = function.system
    ask = cluster.executor.alive
    while True:
        attempt = records.try_take(folder, ask=ask)
        if attempt is not None:
            record = records.read(folder)
            if record is not None and record.status is RunStatus.COMPLETED and key.accepts(record):
                records.release(folder, attempt)  # done while we queued
                return _hit(function, folder, record, wait)
            run, handle = function._launch(args, kwargs, run_name, stream=wait, attempt=attempt)
            _announce(run)
            if not wait:
                return run
            return cluster.outcome_value(_wait(handle, cluster, run), run)
        record = records.wait_for_attempt(folder, records.current_attempt(folder), until_end=wait, ask=ask)
        if record is None:
            continue  # its taker died before starting it: try to take over
        if record.status is RunStatus.COMPLETED:
            if key.accepts(record):
                return _hit(function, folder, record, wait)
            continue  # another caller computed other work under this name: compute ours
        if not wait:
            return Run._at(folder, record, cluster)
        if record.status is RunStatus.CANCELLED:
            raise RunCancelledError(f"Run {run_name!r}, computed by another caller, was cancelled")
        raise RunFailedError(
            f"Run {run_name!r}, computed by another caller, failed: {record.error}\n"
            f"{record.error_traceback or ''}".rstrip()
        )
