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
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from rhcore import layout, liveness
from rhcore.errors import (
    CorruptConfigError,
    IllegalTransitionError,
    RunExistsError,
    RunInProgressError,
    RunNotFoundError,
    StorageError,
)
from rhcore.folder import Folder
from rhcore.logfiles import LogFile
from rhcore.plugins import get_plugins
from rhcore.spec import RunLayout, RunRecord, RunStatus, RunType

Ask = Callable[[dict], "bool | None"]
"""How a watcher asks a Run's cluster whether a process there runs (None: cannot tell)."""

HEARTBEAT_SECONDS = 10.0
"""Seconds between two beats of a running Run's worker."""
HEARTBEAT_STALE_SECONDS = 60.0
"""A Run whose processes cannot be checked from here, silent this long, is dead."""
STALE_LEASE_SECONDS = 120.0
"""A lease whose holder is on another host, and whose attempt shows no sign of life, is
taken over after this long."""
UNREADABLE_SECONDS = 10.0
"""A lease file still unreadable after this long was left by a taker that died writing it."""

# -- reading ------------------------------------------------------------------------------


def where(folder: Folder, name: str = layout.CONFIG_FILE) -> str:
    """``system:path`` of a file of the folder, for messages."""
    return f"{folder.system}:{folder.join(name)}"


def read(folder: Folder) -> RunRecord | None:
    """The record of the Run in ``folder``, or None if there is none. An attempt that reads
    RUNNING but has ended (its end was decided, its config not yet published) reads as
    ended. CorruptConfigError, naming the file, if the config is not a Run's."""
    try:
        data = folder.read_bytes(layout.CONFIG_FILE)
    except (FileNotFoundError, NotADirectoryError):
        return None
    record = RunRecord.from_bytes(data, where(folder), name=posixpath.basename(folder.path))
    if record.status is RunStatus.RUNNING:
        ended = _end_record(folder, record.attempt)
        if ended is not None:
            return ended
    return record


def require(folder: Folder) -> RunRecord:
    """The record of the Run in ``folder``; RunNotFoundError saying why there is none."""
    record = read(folder)
    if record is None:
        if folder.exists():
            raise RunNotFoundError(
                f"{folder.system}:{folder.path} holds no Run (no {layout.CONFIG_FILE} in it)"
            )
        raise RunNotFoundError(f"No Run at {folder.system}:{folder.path}: the folder does not exist")
    return record


def book(folder: Folder) -> Folder:
    """Where rhcore keeps its per-attempt files for the Run in ``folder``: beside it."""
    return folder.sibling(f".{posixpath.basename(folder.path.rstrip('/'))}{layout.BOOK_SUFFIX}")


def _end_record(folder: Folder, attempt: int | None) -> RunRecord | None:
    kept, name = book(folder), layout.attempt_file(layout.END_PREFIX, attempt)
    try:
        data = kept.read_bytes(name)
    except FileNotFoundError:
        return None
    try:
        return RunRecord.from_bytes(data, where(kept, name), name=posixpath.basename(folder.path))
    except CorruptConfigError:  # being written (exclusive create is an open, then a write)
        return None


def layout_of(record: RunRecord) -> RunLayout:
    """The file names of the record's folder."""
    return get_plugins().layout(record.run_type)


def log_names(record: RunRecord) -> tuple[str, str]:
    """The record's stdout and stderr files (from the layout, never from stored data)."""
    names = layout_of(record)
    return names.stdout_file(record.name), names.stderr_file(record.name)


def stored_json(record: RunRecord) -> dict[str, Any]:
    """``config_for_run.json`` for ``record``, as a dict (its log files named for readers)."""
    stdout, stderr = log_names(record)
    return record.to_json(stdout_file=stdout, stderr_file=stderr)


def stored_form(record: RunRecord) -> bytes:
    """The bytes of ``config_for_run.json`` for ``record``."""
    return json.dumps(stored_json(record), default=str).encode()


def _publish(folder: Folder, record: RunRecord) -> None:
    folder.publish(layout.CONFIG_FILE, stored_form(record))


def _text(folder: Folder, name: str) -> str | None:
    try:
        return folder.read_bytes(name).decode()
    except FileNotFoundError:
        return None


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
    slot = _keep_config(folder) if attempt > 1 else None
    _publish(folder, running)
    if slot is not None:
        _move_visible(folder, slot)
    if inputs is not None:
        folder.write_bytes(layout_of(running).inputs, inputs)
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


def _keep_config(folder: Folder) -> str | None:
    """Claim the next free ``.attempts/<k>`` for what the folder holds now, with a copy of
    its config; None if the folder holds nothing to keep."""
    try:
        config = folder.read_bytes(layout.CONFIG_FILE)
    except FileNotFoundError:
        if not folder.ls():
            return None
        config = b""  # what a taker left before it published anything
    number = _attempt_number(config) or 1  # attempts are numbered once per folder: no listing
    while not folder.create(f"{layout.ATTEMPTS_DIR}/{number}/{layout.CONFIG_FILE}", config):
        number += 1  # a copy brought another Run's attempt of that number
    return f"{layout.ATTEMPTS_DIR}/{number}"


def _attempt_number(config: bytes) -> int | None:
    try:
        number = json.loads(config).get("attempt")
    except (ValueError, AttributeError):
        return None
    return number if isinstance(number, int) and number > 0 else None


def _move_visible(folder: Folder, slot: str) -> None:
    """Move every visible entry but the config into ``slot``."""
    for path in folder.ls():
        name = posixpath.basename(path)
        if name != layout.CONFIG_FILE:
            folder.move(name, f"{slot}/{name}")


def _clear_visible(folder: Folder) -> None:
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
    final = attrs.evolve(record, status=status, end_time=changes.pop("end_time", None) or layout.now_iso(),
                         **changes)
    data = stored_form(final)
    marker = layout.attempt_file(layout.END_PREFIX, record.attempt)
    if book(folder).create(marker, data):
        folder.publish(layout.CONFIG_FILE, data)
        return Ended(final, True)
    winner = _end_record(folder, record.attempt) or read(folder) or final
    if late:
        _keep_late(folder, final, winner)
    return Ended(winner, False)


def _keep_late(folder: Folder, late: RunRecord, winner: RunRecord) -> None:
    """Record how an attempt would have ended, beside the end it has: a result it wrote
    does not pass for the Run's result unless the Run COMPLETED."""
    book(folder).write_bytes(layout.attempt_file(layout.LATE_PREFIX, late.attempt), stored_form(late))
    if winner.status is not RunStatus.COMPLETED:
        folder.move(layout_of(late).result, layout.LATE_RESULT_FILE)


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
    _publish(folder, changed)
    return changed


def rename(folder: Folder, record: RunRecord, new_name: str) -> RunRecord:
    """Give the Run in ``folder`` a new name: its logs move to the new name's files."""
    renamed = attrs.evolve(record, name=new_name)
    for old, new in zip(log_names(record), log_names(renamed), strict=True):
        if old != new:
            folder.move(old, new)
    return update(folder, record, name=new_name)


# -- cancels, workers, heartbeats -------------------------------------------------------------


def request_cancel(folder: Folder, record: RunRecord) -> None:
    """Ask for the attempt ``record`` describes to be cancelled: whoever executes it stops
    it, and a queued job never starts."""
    name = layout.attempt_file(layout.CANCEL_PREFIX, record.attempt)
    book(folder).write_bytes(name, layout.now_iso().encode())


def cancel_requested(folder: Folder, attempt: int | None) -> bool:
    """Whether someone asked to cancel attempt ``attempt``."""
    return book(folder).has(layout.attempt_file(layout.CANCEL_PREFIX, attempt))


def record_worker(folder: Folder, attempt: int | None, identity: dict, *, exclusive: bool = False) -> bool:
    """Name the process executing attempt ``attempt`` (whom a cancel stops, whose death
    ends it). ``exclusive``: only if none is named yet; return whether it was recorded."""
    kept, name = book(folder), layout.attempt_file(layout.WORKER_PREFIX, attempt)
    data = json.dumps(identity).encode()
    if exclusive:
        return kept.create(name, data)
    kept.write_bytes(name, data)
    return True


def worker_of(folder: Folder, record: RunRecord) -> dict[str, Any]:
    """The processes responsible for a RUNNING attempt: its record's ``worker`` with the
    job process named in ``.worker-<n>``."""
    worker = dict(record.worker or {})
    if worker.get("job"):
        return worker
    recorded = _text(book(folder), layout.attempt_file(layout.WORKER_PREFIX, record.attempt))
    if recorded:
        with contextlib.suppress(ValueError):  # being written
            worker.update(json.loads(recorded))
    return worker


def beat(folder: Folder, attempt: int | None) -> None:
    """Record that attempt ``attempt``'s worker is alive now."""
    book(folder).write_bytes(layout.attempt_file(layout.HEARTBEAT_PREFIX, attempt), layout.now_iso().encode())


class _Beater:
    """One daemon thread beating for the attempts this process executes, each every
    :data:`HEARTBEAT_SECONDS` (an attempt shorter than that never writes a beat)."""

    def __init__(self) -> None:
        self._due: dict[int, tuple[Folder, int | None, float]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def beating(self, folder: Folder, attempt: int | None) -> Iterator[None]:
        key = id(folder)
        with self._lock:
            self._due[key] = (folder, attempt, time.monotonic() + HEARTBEAT_SECONDS)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="rhcore-heartbeat", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._due.pop(key, None)

    def _loop(self) -> None:
        while True:
            time.sleep(min(1.0, HEARTBEAT_SECONDS / 4))
            now = time.monotonic()
            with self._lock:
                due = [(key, folder, attempt)
                       for key, (folder, attempt, at) in self._due.items() if at <= now]
                for key, folder, attempt in due:
                    self._due[key] = (folder, attempt, now + HEARTBEAT_SECONDS)
            for _, folder, attempt in due:
                with contextlib.suppress(Exception):  # storage hiccup: the next beat tries again
                    beat(folder, attempt)


_beater = _Beater()


def beating(folder: Folder, attempt: int | None) -> contextlib.AbstractContextManager[None]:
    """While the block runs, beat for attempt ``attempt`` of the Run in ``folder``."""
    return _beater.beating(folder, attempt)


# -- liveness: is a RUNNING attempt's worker alive? --------------------------------------------


def verdict(folder: Folder, record: RunRecord, ask: Ask | None = None) -> tuple[bool | None, str]:
    """Whether the processes behind a RUNNING attempt are alive: (True/False/None, reason).

    The attempt lives while its server or its job process does (a live server finishes a
    Run whose job died). Identities on this host are checked directly; on another host
    ``ask`` (its cluster) is asked; failing both, a heartbeat — or, before the first beat,
    the start — older than :data:`HEARTBEAT_STALE_SECONDS` means death.
    """
    worker = worker_of(folder, record)

    def check(identity: dict) -> bool | None:
        answer = liveness.alive(identity)
        if answer is None and ask is not None:
            try:
                answer = ask(identity)
            except Exception:  # an unreachable cluster says nothing about its processes
                answer = None
        return answer

    identities = [i for i in (worker.get("server"), worker.get("job")) if i]
    answers = [check(identity) for identity in identities]
    if any(answers):
        return True, ""
    if identities and all(answer is False for answer in answers):
        return False, liveness.death_reason(worker.get("job") or worker.get("server"))
    beat_file = layout.attempt_file(layout.HEARTBEAT_PREFIX, record.attempt)
    stamp = _text(book(folder), beat_file) or record.start_time
    if not stamp:
        return None, ""
    try:
        age = (layout.parse_iso(layout.now_iso()) - layout.parse_iso(stamp)).total_seconds()
    except ValueError:  # a beat being written
        return None, ""
    if age > HEARTBEAT_STALE_SECONDS:
        return False, f"no heartbeat from its worker for {age:.0f} s"
    return True, ""


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
    return end(folder, stored, RunStatus.ERROR, late=False, error=f"The worker died: {reason}").record


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
    text = _text(book(folder), layout.attempt_file(layout.LEASE_PREFIX, attempt))
    if text is None:
        return True  # given back
    try:
        holder = json.loads(text)
    except ValueError:  # just taken — unless it stays unreadable: its taker died writing it
        first_seen = _unreadable_since.setdefault((folder.system, folder.path, attempt), time.monotonic())
        return time.monotonic() - first_seen > UNREADABLE_SECONDS
    alive = liveness.alive(holder.get("holder"))
    if alive is None:
        age = (layout.parse_iso(layout.now_iso()) - layout.parse_iso(holder["taken"])).total_seconds()
        return age > STALE_LEASE_SECONDS
    return not alive


def wait_for_attempt(folder: Folder, attempt: int, *, until_end: bool, ask: Ask | None = None,
                     timeout: float | None = None) -> RunRecord | None:
    """Wait for attempt ``attempt``, taken by another caller: its record once it ended (or,
    unless ``until_end``, once it runs); None if its taker died before starting it. The
    wait is bounded by the attempt's life — a dead worker ends it — and by ``timeout``."""
    delay, next_check = 0.002, time.monotonic() + 0.5
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        record = read(folder)
        seen = (record.attempt or 0) if record is not None else 0
        if record is not None and seen >= attempt and (record.status.is_final or not until_end):
            return record
        now = time.monotonic()
        if deadline is not None and now > deadline:
            raise TimeoutError(f"Attempt {attempt} of the Run at {folder.system}:{folder.path} did not end "
                               f"within {timeout} s")
        if now >= next_check:
            next_check = now + 0.5
            if record is not None and seen == attempt:
                judge(folder, record, ask)  # a dead worker turns the attempt to ERROR here
            elif spent(folder, record, attempt, ask):
                return None
        time.sleep(delay)
        delay = min(delay * 1.5, 0.05)


# -- the Run's files ----------------------------------------------------------------------------


def read_inputs(folder: Folder, record: RunRecord) -> bytes:
    """A function Run's pickled inputs (FileNotFoundError naming the file if absent)."""
    name = layout_of(record).inputs
    try:
        return folder.read_bytes(name)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"Run {record.name!r} ({record.run_type.value}) recorded no inputs at {where(folder, name)}"
        ) from None


def write_result(folder: Folder, record: RunRecord, data: bytes) -> None:
    """Store a function Run's pickled result (before its end is published: a COMPLETED
    Run always has its result)."""
    folder.write_bytes(layout_of(record).result, data)


def read_result(folder: Folder, record: RunRecord) -> bytes | None:
    """A Run's pickled result, or None if it stored none."""
    try:
        return folder.read_bytes(layout_of(record).result)
    except FileNotFoundError:
        return None


def has_result(folder: Folder, record: RunRecord) -> bool:
    return folder.has(layout_of(record).result)


def read_log(folder: Folder, record: RunRecord, stream: str) -> bytes:
    """What the Run wrote to ``stream`` (``"stdout"`` / ``"stderr"``), or b""."""
    name = log_names(record)[0 if stream == "stdout" else 1]
    try:
        return folder.read_bytes(name)
    except FileNotFoundError:
        return b""


def open_logs(folder: Folder, record: RunRecord, *, autosync: bool = True) -> tuple[LogFile, LogFile]:
    """The Run's two log files, opened for writing (on its system, or spooled and synced)."""
    stdout, stderr = log_names(record)
    return LogFile(folder, stdout, autosync=autosync), LogFile(folder, stderr, autosync=autosync)


def open_stream_logs(folder: Folder, identity: dict) -> tuple[LogFile, LogFile]:
    """For a job without a Run: log files its caller streams from, and its process named."""
    folder.mkdir()
    folder.write_bytes(layout.attempt_file(layout.WORKER_PREFIX, None), json.dumps(identity).encode())
    return LogFile(folder, layout.STREAM_FILES[0]), LogFile(folder, layout.STREAM_FILES[1])


def stream_worker(folder: Folder) -> dict | None:
    """The process named by a job without a Run, once it started."""
    text = _text(folder, layout.attempt_file(layout.WORKER_PREFIX, None))
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def write_file(folder: Folder, relative: str, data: bytes) -> None:
    """Store a file the Run's user writes into its folder (``run.write``)."""
    folder.write_bytes(relative, data)


# -- copies --------------------------------------------------------------------------------------


def same_attempt(a: RunRecord, b: RunRecord) -> bool:
    """Whether two records describe the same attempt of the same Run (a copy of it)."""
    return (a.name, a.attempt, a.start_time, a.run_type) == (b.name, b.attempt, b.start_time, b.run_type)


def copy(source: Folder, record: RunRecord, dest: Folder, *,
         callback: Callable[[str, int, int], None] | None = None) -> RunRecord:
    """Copy the Run's current attempt into ``dest``, its config last (an interrupted copy
    is never seen as a Run). A copy of the same attempt there is brought up to date;
    another attempt of the same name there is kept as an earlier attempt, as a re-run
    keeps one; another Run there is left alone (RunExistsError)."""
    dest.check_writable()
    existing = read(dest)
    if existing is not None and existing.name != record.name:
        raise RunExistsError(f"{dest.system}:{dest.path} already holds another Run ({existing.name!r})")
    if existing is not None and not same_attempt(existing, record):
        slot = _keep_config(dest)
        dest.remove(layout.CONFIG_FILE)
        if slot is not None:
            _move_visible(dest, slot)
    elif existing is not None:
        _clear_visible(dest)
    source.copy_to(dest, last=layout.CONFIG_FILE, callback=callback)
    return read(dest) or record


def is_function_result_missing(folder: Folder, record: RunRecord) -> bool:
    """A COMPLETED function Run without its result: nothing a copy could be made from."""
    return record.run_type is RunType.FUNCTION_RUN and record.status is RunStatus.COMPLETED and \
        not has_result(folder, record)
