"""The Runs active in this process, innermost last.

Process-wide rather than per-thread, for the same reason capture is: work a block hands
to threads belongs to the block's Run. Lineage records what active Runs load and save.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from rhcore.run import Run


@attrs.define(eq=False)
class ActiveRun:
    """An active Run as lineage sees it — its name and the artifacts it loaded and saved —
    where this process holds no :class:`~rhcore.run.Run` for it (a job executing in a
    worker, which reports the artifacts back with its outcome)."""

    name: str
    upstream_artifacts: list[str] = attrs.field(factory=list)
    downstream_artifacts: list[str] = attrs.field(factory=list)


_active: list[Run | ActiveRun] = []
_lock = threading.Lock()


def push(run: Run | ActiveRun) -> None:
    """Mark ``run`` active (it began)."""
    with _lock:
        _active.append(run)


def pop(run: Run | ActiveRun) -> None:
    """Mark ``run`` inactive (it ended), wherever it is in the stack."""
    with _lock:
        for index in range(len(_active) - 1, -1, -1):
            if _active[index] is run:
                del _active[index]
                break


def active_runs() -> tuple[Run | ActiveRun, ...]:
    """Every active Run, outermost first."""
    return tuple(_active)

