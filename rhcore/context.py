"""The Runs active in this process, innermost last, and what they load and save.

Process-wide rather than per-thread, for the same reason capture is: work a block hands
to threads belongs to the block's Run. Loading a named artifact while Runs are active
adds it to their ``upstream_artifacts``, saving one to their ``downstream_artifacts``
(each name once, in order): the raw material of lineage.
"""

from __future__ import annotations

import threading
from typing import Protocol

import attrs


class Tracked(Protocol):
    """What this module needs of an active Run: its name and its two artifact lists."""

    name: str
    upstream_artifacts: list[str]
    downstream_artifacts: list[str]


@attrs.define(eq=False)
class ActiveRun:
    """An active Run as lineage sees it, where this process holds no Run handle for it (a
    job executing in a worker, which reports the artifacts back with its outcome)."""

    name: str
    upstream_artifacts: list[str] = attrs.field(factory=list)
    downstream_artifacts: list[str] = attrs.field(factory=list)


_active: list[Tracked] = []
_lock = threading.Lock()


def push(run: Tracked) -> None:
    """Mark ``run`` active (it began)."""
    with _lock:
        _active.append(run)


def pop(run: Tracked) -> None:
    """Mark ``run`` inactive (it ended), wherever it is in the stack."""
    with _lock:
        for index in range(len(_active) - 1, -1, -1):
            if _active[index] is run:
                del _active[index]
                break


def active_runs() -> tuple[Tracked, ...]:
    """Every active Run, outermost first."""
    return tuple(_active)


def loaded(name: str) -> None:
    """Record that artifact ``name`` was loaded by every active Run."""
    for run in active_runs():
        if name != run.name and name not in run.upstream_artifacts:
            run.upstream_artifacts.append(name)


def saved(name: str) -> None:
    """Record that artifact ``name`` was saved by every active Run."""
    for run in active_runs():
        if name != run.name and name not in run.downstream_artifacts:
            run.downstream_artifacts.append(name)


def saver(exclude: object = None) -> str | None:
    """The name of the innermost active Run other than ``exclude``: what an artifact saved
    now was saved by."""
    return next((r.name for r in reversed(active_runs()) if r is not exclude), None)
