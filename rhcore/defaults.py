"""The core's defaults, as the built-in implementations of two hooks: the status
machine's table (``rhcore_transition_allowed``) and the folder layout
(``rhcore_run_layout``). A plugin may refuse more transitions or lay out a Run type's
files differently; it answers before these."""

from __future__ import annotations

from rhcore.plugins import hookimpl
from rhcore.spec import RunLayout, RunStatus, RunType
from rhcore.status import can_transition

DEFAULT_LAYOUT = RunLayout()


@hookimpl(trylast=True)
def rhcore_transition_allowed(old: RunStatus, new: RunStatus) -> bool:
    return can_transition(old, new)


@hookimpl(trylast=True)
def rhcore_run_layout(run_type: RunType) -> RunLayout:
    return DEFAULT_LAYOUT
