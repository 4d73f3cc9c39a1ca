"""Heartbeats: how a Run tells watchers that cannot see its process that it still runs.

A watcher on the same machine checks the worker's process directly; one elsewhere (a Run
executed on another node of a Ray cluster) reads the time in the Run's ``.heartbeat`` and
takes a Run silent for over a minute for dead (:func:`rhcore.run.worker_verdict`). The
warm worker server beats for its jobs from its own loop; a long-lived process executing
one job at a time (a Ray task) beats from the one daemon thread here, and only for Runs
that last: a Run shorter than :data:`HEARTBEAT_SECONDS` never writes one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from rhcore import layout

if TYPE_CHECKING:
    from rhcore.folder import Folder

HEARTBEAT_SECONDS = 10.0
"""Seconds between two beats of a running Run."""


def beat(folder: Folder) -> None:
    """Record in ``folder`` that its Run's worker is alive now."""
    folder.write_bytes(layout.HEARTBEAT_FILE, layout.now_iso().encode())


class _Beater:
    """One daemon thread beating for the Runs this process is executing."""

    def __init__(self) -> None:
        self._due: dict[int, tuple[Folder, float]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def beating(self, folder: Folder) -> Iterator[None]:
        key = id(folder)
        with self._lock:
            self._due[key] = (folder, time.monotonic() + HEARTBEAT_SECONDS)
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
                due = [(key, folder) for key, (folder, at) in self._due.items() if at <= now]
                for key, folder in due:
                    self._due[key] = (folder, now + HEARTBEAT_SECONDS)
            for _, folder in due:
                try:
                    beat(folder)
                except Exception:  # storage hiccup: the next beat tries again
                    pass


_beater = _Beater()


def beating(folder: Folder) -> contextlib.AbstractContextManager[None]:
    """While the block runs, beat for the Run in ``folder`` every :data:`HEARTBEAT_SECONDS`."""
    return _beater.beating(folder)
