"""Signs of a running attempt: cancel requests, the process executing it, its heartbeats,
and the verdict on whether it still lives."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from rhcore import layout, liveness
from rhcore.folder import Folder
from rhcore.records.store import Ask, book, text_of
from rhcore.spec import RunRecord

HEARTBEAT_SECONDS = 10.0
"""Seconds between two beats of a running Run's worker."""
HEARTBEAT_STALE_SECONDS = 60.0
"""A Run whose processes cannot be checked from here, silent this long, is dead."""

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
    recorded = text_of(book(folder), layout.attempt_file(layout.WORKER_PREFIX, record.attempt))
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
    ``ask`` (its cluster) is asked; failing both, silence longer than
    :data:`HEARTBEAT_STALE_SECONDS` means death. Silence is never measured by the worker's
    clock: a heartbeat seen to change is life; one this watcher has seen unchanged that long
    is death; at a first look, the age of the heartbeat (or, before the first beat, of the
    RUNNING record) is what the store's own clock says.
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
    kept, beat_file = book(folder), layout.attempt_file(layout.HEARTBEAT_PREFIX, record.attempt)
    beat = text_of(kept, beat_file)
    if beat is None and not identities and not record.start_time:  # no worker stands behind it
        return False, "it names no worker, no start time and no heartbeat"
    watched = _watch((folder.system, folder.path, record.attempt), beat)
    if watched is not None:
        return watched
    changed = kept.modified(beat_file) if beat is not None else folder.modified(layout.CONFIG_FILE)
    if changed is None:  # the store keeps no times: what the record says, by the watcher's clock
        try:
            changed = layout.parse_iso(beat or record.start_time or "").timestamp()
        except ValueError:
            return None, ""
    age = time.time() - changed
    if age > HEARTBEAT_STALE_SECONDS:
        return False, f"no heartbeat from its worker for {age:.0f} s"
    return True, ""


_beats_seen: dict[tuple[str, str, int | None], tuple[str | None, float]] = {}
"""Each watched attempt's heartbeat as this process last saw it, and since when (by this
process's monotonic clock)."""


def _watch(key: tuple[str, str, int | None], beat: str | None) -> tuple[bool, str] | None:
    """The verdict of watching a heartbeat from here: alive if it changed since the last
    look, dead if it stayed the same longer than allowed; None when a look cannot tell."""
    now = time.monotonic()
    last = _beats_seen.get(key)
    if last is None or last[0] != beat:
        _beats_seen[key] = (beat, now)
        return (True, "") if last is not None else None
    silent = now - last[1]
    if silent > HEARTBEAT_STALE_SECONDS:
        return False, f"no heartbeat from its worker for {silent:.0f} s, as watched from here"
    return None
