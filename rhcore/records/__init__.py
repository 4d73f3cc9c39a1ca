"""The records layer: the only code that writes a Run's folder.

Everything else — the Run handle, the worker, executors, plugins — asks this module to
publish a Run's record, change its status, take or give back an attempt, ask for a cancel,
beat, judge a silent worker dead, or store the Run's inputs, result and logs.

The rules it keeps, on every system (object stores included — only exclusive create,
``Folder.create``, is needed, never an OS lock):

* **One live attempt per name.** Attempt ``n`` of a Run begins by creating ``lease-<n>``
  exclusively; attempt ``n+1`` can be taken only once attempt ``n`` is spent (it ended, or
  its worker is dead). Whoever asks while it is live gets :class:`RunInProgressError`.
* **Final states are final.** A status change is compared against the status the caller
  read: moving a RUNNING attempt to its end first creates ``end-<n>`` exclusively,
  holding the final record, so of a worker finishing, a cancel and a watcher judging the
  worker dead, exactly one ends the attempt. The others' outcomes are recorded beside it
  (``late-<n>``, ``late_result.pkl``), never over it. A reader that finds an attempt
  RUNNING whose ``end-<n>`` exists reads the end (its publisher died between the two).
* **Nothing is overwritten silently.** A new attempt moves the previous attempt's files
  into ``.attempts/<k>/`` (:func:`attempts` reads them back); a copy onto a place holding
  another Run keeps that Run the same way.
* **Names come from the layout**, never from a stored config.

These per-attempt files are kept beside the Run's folder, in ``.<name>.rhcore/`` (its
*book*), so the folder itself holds only what the Run is: its config, inputs, result,
logs, the files it wrote, and ``.attempts/`` once it has run more than once.

The package's modules, each on the ones before it: :mod:`~rhcore.records.store` (reading
a record, the book), :mod:`~rhcore.records.vitals` (cancel requests, the worker, heartbeats,
is it alive), :mod:`~rhcore.records.ownership` (taking, starting, ending, waiting) and
:mod:`~rhcore.records.files` (inputs, result, logs, copies).
"""

from __future__ import annotations

from rhcore.records.files import (
    copy,
    has_result,
    is_function_result_missing,
    open_logs,
    open_stream_logs,
    read_inputs,
    read_log,
    read_result,
    read_value,
    same_attempt,
    stream_worker,
    write_file,
    write_result,
)
from rhcore.records.index import Entry, View, view
from rhcore.records.index import rebuild as reindex
from rhcore.records.ownership import (
    Ended,
    attempts,
    begin,
    current_attempt,
    end,
    in_progress,
    judge,
    lease_generations,
    release,
    rename,
    repair,
    spent,
    start,
    take,
    try_take,
    update,
    wait_for_attempt,
)
from rhcore.records.store import (
    Ask,
    book,
    layout_of,
    log_names,
    read,
    require,
    stored_form,
    stored_json,
    where,
)
from rhcore.records.vitals import (
    HEARTBEAT_SECONDS,
    HEARTBEAT_STALE_SECONDS,
    beat,
    beating,
    cancel_requested,
    record_worker,
    request_cancel,
    verdict,
    worker_of,
)

__all__ = [
    "HEARTBEAT_SECONDS",
    "HEARTBEAT_STALE_SECONDS",
    "Ask",
    "Ended",
    "Entry",
    "View",
    "attempts",
    "beat",
    "beating",
    "begin",
    "book",
    "cancel_requested",
    "copy",
    "current_attempt",
    "end",
    "has_result",
    "in_progress",
    "is_function_result_missing",
    "judge",
    "layout_of",
    "lease_generations",
    "log_names",
    "open_logs",
    "open_stream_logs",
    "read",
    "read_inputs",
    "read_log",
    "read_result",
    "read_value",
    "record_worker",
    "reindex",
    "release",
    "rename",
    "repair",
    "request_cancel",
    "require",
    "same_attempt",
    "spent",
    "start",
    "stored_form",
    "stored_json",
    "stream_worker",
    "take",
    "try_take",
    "update",
    "verdict",
    "view",
    "wait_for_attempt",
    "where",
    "worker_of",
    "write_file",
    "write_result",
]
