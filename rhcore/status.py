"""The Run status machine.

A Run starts NOT_STARTED, goes RUNNING, and ends COMPLETED, ERROR or CANCELLED; a Run
that never started may also be CANCELLED. Every other change is refused, so a finished
Run can never silently claim to be RUNNING again. Re-executing a finished Run under the
same name is a new *attempt* (see :meth:`rhcore.Run.__enter__`), not a transition.
"""

from __future__ import annotations

import enum
import traceback

from rhcore.errors import IllegalTransitionError


class RunStatus(str, enum.Enum):
    """Where a Run is in its life. The values are those Runhouse stores."""

    NOT_STARTED = "NOT_STARTED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    ERROR = "ERROR"

    def __str__(self) -> str:
        return self.value

    @property
    def is_final(self) -> bool:
        """True once the Run has ended and can change no more."""
        return self in FINAL_STATUSES


class RunType(str, enum.Enum):
    """What produced a Run. The values are those Runhouse stores."""

    CMD_RUN = "CMD"
    FUNCTION_RUN = "FUNCTION"
    CTX_MANAGER = "CTX_MANAGER"

    def __str__(self) -> str:
        return self.value


FINAL_STATUSES = frozenset({RunStatus.COMPLETED, RunStatus.ERROR, RunStatus.CANCELLED})

TRANSITIONS: dict[RunStatus, frozenset[RunStatus]] = {
    RunStatus.NOT_STARTED: frozenset({RunStatus.RUNNING, RunStatus.CANCELLED}),
    RunStatus.RUNNING: frozenset({RunStatus.COMPLETED, RunStatus.ERROR, RunStatus.CANCELLED}),
    RunStatus.COMPLETED: frozenset(),
    RunStatus.ERROR: frozenset(),
    RunStatus.CANCELLED: frozenset(),
}


def can_transition(old: RunStatus, new: RunStatus) -> bool:
    """Whether the status machine allows ``old`` to become ``new``."""
    return RunStatus(new) in TRANSITIONS[RunStatus(old)]


def check_transition(old: RunStatus, new: RunStatus, *, run_name: str = "") -> RunStatus:
    """Return ``new`` as a RunStatus, or raise IllegalTransitionError if the move is illegal."""
    old, new = RunStatus(old), RunStatus(new)
    if new not in TRANSITIONS[old]:
        who = f"Run {run_name!r}" if run_name else "A Run"
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old])) or "none (it has ended)"
        ended = f" already ended ({old.value}):" if old.is_final else ""
        raise IllegalTransitionError(
            f"{who}{ended} cannot go from {old.value} to {new.value}; allowed from {old.value}: {allowed}"
        )
    return new


def ending(error: BaseException | None) -> tuple[RunStatus, str | None, str | None]:
    """How a block that raised ``error`` (None: nothing) ends: its status, its error and
    the error's traceback. ``KeyboardInterrupt`` (Ctrl-C, a cancel) is CANCELLED, and
    ``SystemExit`` with code 0 or None a normal end."""
    if error is None or (isinstance(error, SystemExit) and error.code in (0, None)):
        return RunStatus.COMPLETED, None, None
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    status = RunStatus.CANCELLED if isinstance(error, KeyboardInterrupt) else RunStatus.ERROR
    return status, f"{type(error).__name__}: {error}", text
