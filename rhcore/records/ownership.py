"""Who owns a Run's name: taking its next attempt, starting it, ending it once, keeping
the earlier attempts, and waiting for another caller's."""

from __future__ import annotations

import contextlib
import json
import logging
import posixpath
import time
import warnings
from collections.abc import Iterator
from typing import Any

import attrs

from rhcore import layout, liveness, signing, trust
from rhcore.errors import (
    CorruptConfigError,
    IllegalTransitionError,
    ReadOnlySystemError,
    RunInProgressError,
    StorageError,
)
from rhcore.folder import Folder
from rhcore.plugins import get_plugins
from rhcore.records import index
from rhcore.records.store import (
    Ask,
    book,
    end_record,
    layout_of,
    log_names,
    publish,
    read,
    stored_form,
    text_of,
    where,
    write_value,
)
from rhcore.records.vitals import verdict, worker_of
from rhcore.spec import RunRecord, RunStatus

logger = logging.getLogger("rhcore")

STALE_LEASE_SECONDS = 120.0
"""A lease whose holder is on another host, and whose attempt shows no sign of life, is
taken over after this long."""
UNREADABLE_SECONDS = 10.0
"""A lease file still unreadable after this long was left by a taker that died writing it."""

# -- attempts: taking, starting, giving back ---------------------------------------------------


def lease_generations(folder: Folder) -> list[int]:
    """The attempts ever taken in ``folder``, ascending."""
    prefix = layout.LEASE_PREFIX
    names = (n[len(prefix):] for n in book(folder).files() if n.startswith(prefix))
    return sorted(int(n) for n in names if n.isdigit())


def current_attempt(folder: Folder) -> int:
    """The newest attempt taken in ``folder`` (0 if none)."""
    return (lease_generations(folder) or [0])[-1]


def _take_lease(folder: Folder, attempt: int) -> bool:
    holder = {"holder": liveness.identify(), "taken": layout.now_iso()}
    return book(folder).create(layout.attempt_file(layout.LEASE_PREFIX, attempt), json.dumps(holder).encode())


def try_take(folder: Folder, *, ask: Ask | None = None) -> int | None:
    """Take the Run's next attempt if the current one is spent: return its number, or None
    while another attempt is live (or another caller won the race for the next one)."""
    folder.check_writable()  # refused before any I/O, naming the Run's folder
    with _naming_the_run(folder):
        book(folder).mkdir()  # cheaper made at once than found missing by the first write
        if _take_lease(folder, 1):  # a new Run's first attempt
            return 1
        record = read(folder)
        current = record.attempt if record is not None and record.attempt else 0
        if current and spent(folder, record, current, ask) and _take_lease(folder, current + 1):
            _end_if_dead(folder, record, ask)
            return current + 1  # the usual re-run: its record names the newest attempt, no listing
        newest = current_attempt(folder)
        if newest and not spent(folder, record, newest, ask):
            return None
        if record is not None and record.attempt == newest:
            _end_if_dead(folder, record, ask)
        return newest + 1 if _take_lease(folder, newest + 1) else None


def _end_if_dead(folder: Folder, record: RunRecord, ask: Ask | None) -> None:
    """A spent attempt still reading RUNNING had a dead worker: it ends in ERROR before the
    next attempt begins, so an earlier attempt never reads RUNNING."""
    if record.status is RunStatus.RUNNING:
        judge(folder, record, ask)


@contextlib.contextmanager
def _naming_the_run(folder: Folder) -> Iterator[None]:
    """A storage failure while taking an attempt — a Run's first write, into its book —
    names the Run's folder too: that is the place its user knows."""
    try:
        yield
    except StorageError as exc:
        try:
            error = type(exc)(f"Cannot start the Run at {folder.system}:{folder.path}: {exc}")
        except TypeError:  # a plugin's error type built otherwise: as it is
            raise exc from None
        error.place = exc.place
        raise error from None


def take(folder: Folder, name: str, *, ask: Ask | None = None) -> int:
    """Take the Run's next attempt; RunInProgressError, naming the live Run, while another
    caller's attempt is live."""
    attempt = try_take(folder, ask=ask)
    if attempt is None:
        raise in_progress(folder, read(folder), name)
    return attempt


def in_progress(folder: Folder, record: RunRecord | None, name: str) -> RunInProgressError:
    """The error for a second start of a live Run."""
    place = f"{folder.system}:{folder.path}"
    since = f", started {record.start_time}" if record is not None and record.start_time else ""
    attempt = f" (attempt {record.attempt}{since})" if record is not None and record.attempt else ""
    return RunInProgressError(
        f"Run {name!r} is already running{attempt} at {place}: a second execution under the same "
        "name is refused. Wait for it (cluster.get(name), or get_or_call to reuse its result), "
        "cancel it (cluster.cancel(name)), or choose another name",
        run_name=name, place=place,
    )


def release(folder: Folder, attempt: int) -> None:
    """Give back attempt ``attempt``, taken but never started (its cluster refused the
    job), so the next caller takes it instead of waiting for this one's holder."""
    book(folder).remove(layout.attempt_file(layout.LEASE_PREFIX, attempt))


def start(folder: Folder, record: RunRecord, attempt: int, *, inputs: bytes | None = None) -> RunRecord:
    """Publish ``record`` RUNNING as attempt ``attempt`` (taken with :func:`take`) and store
    its ``inputs``. What an earlier attempt left is kept in ``.attempts/``: its config is
    copied there before the new one is published, its other files moved after, so a
    reader sees either attempt whole (never a COMPLETED Run without its result)."""
    get_plugins().check_transition(record.name, RunStatus.NOT_STARTED, RunStatus.RUNNING)
    running = attrs.evolve(record, status=RunStatus.RUNNING, attempt=attempt,
                           start_time=record.start_time or layout.now_iso(), end_time=None,
                           error=None, error_traceback=None)
    slot = keep_config(folder) if attempt > 1 else None
    if attempt == 1:
        folder.mkdir()  # a new Run's folder: made once, not found missing by each write
    publish(folder, running)
    if slot is not None:
        move_visible(folder, slot)
    if inputs is not None:
        write_value(folder, layout_of(running).inputs, running, "inputs", inputs)
    trust.vouch_run(folder)
    index.note(folder, running)
    return running


def begin(folder: Folder, record: RunRecord, *, ask: Ask | None = None) -> RunRecord:
    """Take the Run's next attempt and publish it RUNNING (a ``with`` block entering);
    RunInProgressError while the current attempt is live. An attempt taken but not
    published is given back."""
    attempt = take(folder, record.name, ask=ask)
    try:
        return start(folder, record, attempt)
    except BaseException:
        release(folder, attempt)
        raise


def keep_config(folder: Folder) -> str | None:
    """Claim the next free ``.attempts/<k>`` for what the folder holds now, with a copy of
    its config (as it ended); None if the folder holds nothing to keep."""
    try:
        config = _as_ended(folder, folder.read_bytes(layout.CONFIG_FILE))
    except FileNotFoundError:
        if not folder.ls():
            return None
        config = b""  # what a taker left before it published anything
    number = _attempt_number(config) or 1  # attempts are numbered once per folder: no listing
    while not folder.create(f"{layout.ATTEMPTS_DIR}/{number}/{layout.CONFIG_FILE}", config):
        number += 1  # a copy brought another Run's attempt of that number
    return f"{layout.ATTEMPTS_DIR}/{number}"


def _as_ended(folder: Folder, config: bytes) -> bytes:
    """``config``, or the end recorded for its attempt if it still shows it RUNNING (its
    publisher died between deciding the end and publishing it): a kept attempt has no
    book beside it, so what is kept must already say how it ended."""
    try:
        shown = json.loads(config)
    except ValueError:
        return config
    if not isinstance(shown, dict) or shown.get("status") != RunStatus.RUNNING.value:
        return config
    attempt = _attempt_number(config)  # a file name is built from it: a number, nothing else
    ended = end_record(folder, attempt) if attempt is not None else None
    return stored_form(ended) if ended is not None else config


def _attempt_number(config: bytes) -> int | None:
    try:
        number = json.loads(config).get("attempt")
    except (ValueError, AttributeError):
        return None
    return number if isinstance(number, int) and number > 0 else None


def move_visible(folder: Folder, slot: str) -> None:
    """Move every visible entry but the config into ``slot``."""
    for path in folder.ls():
        name = posixpath.basename(path)
        if name != layout.CONFIG_FILE:
            folder.move(name, f"{slot}/{name}")


def clear_visible(folder: Folder) -> None:
    """Delete every visible entry, the config first (rhcore's hidden files stay)."""
    folder.remove(layout.CONFIG_FILE)
    for path in folder.ls():
        name = posixpath.basename(path)
        if not folder.remove(name):
            folder.child(name).rm()


def _attempt_slots(folder: Folder) -> list[int]:
    names = (posixpath.basename(path) for path in folder.child(layout.ATTEMPTS_DIR).ls())
    return sorted(int(n) for n in names if n.isdigit())


def attempts(folder: Folder) -> list[tuple[Folder, RunRecord]]:
    """The Run's earlier attempts kept in ``folder``, oldest first: each one's folder and
    record (an attempt whose record was never published is left out)."""
    found = []
    for number in _attempt_slots(folder):
        kept = folder.child(layout.ATTEMPTS_DIR, str(number))
        try:
            record = read(kept)
        except CorruptConfigError:
            continue
        if record is not None:
            found.append((kept, record))
    return found


# -- ending ---------------------------------------------------------------------------------


@attrs.frozen
class Ended:
    """What :func:`end` did: the record in force, and whether it is the caller's."""

    record: RunRecord
    won: bool


def end(folder: Folder, record: RunRecord, status: RunStatus, *, late: bool = True,
        **changes: Any) -> Ended:
    """End the attempt ``record`` describes as ``status`` (with ``changes`` to its fields),
    comparing against the status read: refused (IllegalTransitionError) from a final
    status; lost to whoever ended the attempt first, whose record stays. The loser's
    outcome is kept beside it unless ``late`` is off."""
    get_plugins().check_transition(record.name, record.status, status)
    if status is RunStatus.COMPLETED and not folder.has(layout.CONFIG_FILE):
        status, changes["error"] = RunStatus.ERROR, \
            f"The Run's folder {folder.system}:{folder.path} was deleted while it ran"
    final = attrs.evolve(record, status=status, end_time=changes.pop("end_time", None) or layout.now_iso(),
                         **changes)
    data = stored_form(final)
    marker = layout.attempt_file(layout.END_PREFIX, record.attempt)
    if book(folder).create(marker, data):
        try:
            folder.publish(layout.CONFIG_FILE, data)
        except (OSError, ReadOnlySystemError) as unwritten:  # decided all the same: readers see it
            warnings.warn(f"Run {record.name!r} ended {status.value}, recorded in "
                          f"{where(book(folder), marker)}, but its config could not be updated "
                          f"({type(unwritten).__name__}: {unwritten})", stacklevel=2)
        index.note(folder, final)
        return Ended(final, True)
    winner = end_record(folder, record.attempt) or read(folder) or final
    if late:
        _keep_late(folder, final, winner)
    return Ended(winner, False)


def _keep_late(folder: Folder, late: RunRecord, winner: RunRecord) -> None:
    """Record how an attempt would have ended, beside the end it has: a result it wrote
    does not pass for the Run's result unless the Run COMPLETED."""
    book(folder).write_bytes(layout.attempt_file(layout.LATE_PREFIX, late.attempt), stored_form(late))
    if winner.status is not RunStatus.COMPLETED:
        result = layout_of(late).result
        if folder.move(result, layout.LATE_RESULT_FILE):
            folder.move(result + signing.SUFFIX, layout.LATE_RESULT_FILE + signing.SUFFIX)


def update(folder: Folder, record: RunRecord, **changes: Any) -> RunRecord:
    """Change fields of the Run's record other than its status (its name, its artifacts),
    provided the stored record is still the attempt and status the caller read."""
    stored = read(folder)
    if stored is not None and (stored.attempt, stored.status) != (record.attempt, record.status):
        raise IllegalTransitionError(
            f"Run {record.name!r} changed meanwhile (it is {stored.status.value}, attempt "
            f"{stored.attempt}): refresh() it first"
        )
    changed = attrs.evolve(record, **changes)
    publish(folder, changed)
    return changed


def rename(folder: Folder, record: RunRecord, new_name: str) -> RunRecord:
    """Give the Run in ``folder`` a new name: its logs move to the new name's files."""
    renamed = attrs.evolve(record, name=new_name)
    for old, new in zip(log_names(record), log_names(renamed), strict=True):
        if old != new:
            folder.move(old, new)
    return update(folder, record, name=new_name)



def judge(folder: Folder, record: RunRecord, ask: Ask | None = None) -> RunRecord:
    """The record in force for a RUNNING attempt: ended in ERROR, saying why, if its
    worker is gone; as it is if the worker lives (or cannot be told), its ``worker``
    naming the job's process once it is known."""
    if record.status is not RunStatus.RUNNING:
        return record
    worker = worker_of(folder, record)
    if worker != (record.worker or {}):
        record = attrs.evolve(record, worker=worker)
    alive, reason = verdict(folder, record, ask)
    if alive is not False:
        return record
    stored = read(folder)  # the worker may have ended it meanwhile, or a new attempt begun
    if stored is None or stored.status is not RunStatus.RUNNING or stored.attempt != record.attempt:
        return stored or record
    error = f"The worker died: {reason}"
    try:
        return end(folder, stored, RunStatus.ERROR, late=False, error=error).record
    except (OSError, ReadOnlySystemError) as unwritable:  # seen from here all the same: every look says so
        return attrs.evolve(stored, status=RunStatus.ERROR, end_time=layout.now_iso(),
                            error=f"{error} (not recorded: {type(unwritable).__name__}: {unwritable})")


def repair(folder: Folder) -> bool:
    """Publish the end decided for the attempt the folder's config still shows RUNNING
    (its publisher failed, or died, between deciding and publishing); return whether
    there was one to publish."""
    try:
        data = folder.read_bytes(layout.CONFIG_FILE)
    except FileNotFoundError:
        return False
    shown = RunRecord.from_bytes(data, where(folder), name=posixpath.basename(folder.path))
    ended = end_record(folder, shown.attempt) if shown.status is RunStatus.RUNNING else None
    if ended is None:
        return False
    publish(folder, ended)
    return True


def spent(folder: Folder, record: RunRecord | None, attempt: int, ask: Ask | None = None) -> bool:
    """Whether attempt ``attempt`` no longer protects a live execution: it ended, or its
    taker died before (or while) publishing it."""
    if record is not None and record.attempt == attempt:
        if record.status.is_final:
            return True
        return verdict(folder, record, ask)[0] is False
    if book(folder).has(layout.attempt_file(layout.END_PREFIX, attempt)):
        return True
    return _lease_spent(folder, attempt)


_unreadable_since: dict[tuple[str, str, int], float] = {}


def _lease_spent(folder: Folder, attempt: int) -> bool:
    """Whether the taker of an attempt not yet published is gone."""
    text = text_of(book(folder), layout.attempt_file(layout.LEASE_PREFIX, attempt))
    if text is None:
        return True  # given back
    try:
        holder = json.loads(text)
    except ValueError:  # just taken — unless it stays unreadable: its taker died writing it
        first_seen = _unreadable_since.setdefault((folder.system, folder.path, attempt), time.monotonic())
        return time.monotonic() - first_seen > UNREADABLE_SECONDS
    alive = liveness.alive(holder.get("holder"))
    if alive is None:  # another host's: how long it has been taken, by the store's clock
        taken = book(folder).modified(layout.attempt_file(layout.LEASE_PREFIX, attempt))
        return taken is not None and time.time() - taken > STALE_LEASE_SECONDS
    return not alive


WAIT_NOTICE_SECONDS = 10.0
"""How long a caller waits for another's attempt in silence before saying whose it is."""


def _holder(folder: Folder, record: RunRecord | None, attempt: int) -> str:
    """Who runs attempt ``attempt``, and since when, in words."""
    if record is not None and record.attempt == attempt:
        worker = worker_of(folder, record)
        who = worker.get("job") or worker.get("server") or {}
        since = record.start_time
    else:
        lease = text_of(book(folder), layout.attempt_file(layout.LEASE_PREFIX, attempt))
        try:
            taken = json.loads(lease or "{}")
        except ValueError:
            taken = {}
        who, since = taken.get("holder") or {}, taken.get("taken")
    return (f"attempt {attempt}, by process {who.get('pid', '?')} on {who.get('host', '?')} since "
            f"{since or '?'} (the wait ends when it does, or when its worker is seen dead)")


def wait_for_attempt(folder: Folder, attempt: int, *, until_end: bool, ask: Ask | None = None,
                     timeout: float | None = None) -> RunRecord | None:
    """Wait for attempt ``attempt``, taken by another caller: its record once it ended (or,
    unless ``until_end``, once it runs); None if its taker died before starting it. The
    wait is bounded by the attempt's life — a dead worker ends it — and by ``timeout``."""
    delay, next_check = 0.002, time.monotonic() + 0.5
    deadline = None if timeout is None else time.monotonic() + timeout
    tell_at = time.monotonic() + WAIT_NOTICE_SECONDS
    while True:
        record = read(folder)
        seen = (record.attempt or 0) if record is not None else 0
        if record is not None and seen >= attempt and (record.status.is_final or not until_end):
            return record
        now = time.monotonic()
        if deadline is not None and now > deadline:
            raise TimeoutError(f"Attempt {attempt} of the Run at {folder.system}:{folder.path} did not end "
                               f"within {timeout} s")
        if now >= tell_at:
            tell_at = float("inf")
            logger.warning("Waiting for %s, which another caller is running: %s", where(folder),
                           _holder(folder, record, attempt))
        if now >= next_check:
            next_check = now + 0.5
            if record is not None and seen == attempt:
                judge(folder, record, ask)  # a dead worker turns the attempt to ERROR here
            elif spent(folder, record, attempt, ask):
                return None
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)
