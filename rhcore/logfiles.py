"""Log files of a Run: where captured stdout/stderr bytes go (part of the records layer:
open them through :func:`rhcore.records.open_logs`).

On a local system a log is written in place and unbuffered: each write is in the file
at once, so a process killed mid-Run loses nothing it wrote. On any other system (object
stores, SFTP) bytes go to a local spool file. A background thread syncs every open log
each ``RHCORE_LOG_SYNC_SECONDS`` (default 1): it uploads grown spools whole, so a Run's
logs are readable on its system while it is still going; closing a log syncs it once more.
"""

from __future__ import annotations

import os
import tempfile
import threading
import weakref
from collections.abc import Iterable
from typing import Any

from rhcore.folder import Folder

RESERVE = 64 * 1024
"""Bytes a log that filled its disk gives back, so the Run's end can still be recorded."""


def sync_interval() -> float:
    """Seconds between uploads of a spooled log (``RHCORE_LOG_SYNC_SECONDS``)."""
    try:
        return max(0.05, float(os.environ.get("RHCORE_LOG_SYNC_SECONDS", "1")))
    except ValueError:
        return 1.0


_NEW_LOG = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
"""A log is written to its own new file, never through a link planted where it goes."""


class LogFile:
    """A binary, append-only writer for one log file of a Run's folder.

    With ``autosync`` (the default) a shared background thread syncs it periodically;
    without, its owner calls :meth:`sync`.
    """

    def __init__(self, folder: Folder, name: str, *, autosync: bool = True):
        self.folder, self.name = folder, name
        self._lock = threading.Lock()
        self._closed = False
        if folder.is_local:
            self._spool_path = None
            mode = getattr(folder.fs, "file_mode", 0o666)  # as its system creates files (owner-only)
            fd = os.open(folder.join(name), _NEW_LOG, mode)
            self._file = os.fdopen(fd, "wb", buffering=0)  # in the file as written: a kill -9 loses none
        else:
            fd, self._spool_path = tempfile.mkstemp(prefix="rhcore-log-", suffix="-" + name)
            self._file = os.fdopen(fd, "wb")
            self._synced_size = -1
        self.write = self._file.write  # the file's own (C) write: capture calls it per line
        self._autosync = autosync
        if autosync:  # else the owner calls sync() (a forking server must not start threads)
            _syncer.watch(self)

    def flush(self) -> None:
        if not self._closed:
            self._file.flush()

    def fileno(self) -> int:
        """The descriptor of the file written (the spool, for a non-local folder): a process
        can point its own stdout at it."""
        return self._file.fileno()

    def sync(self) -> None:
        """Make what was written readable on the folder's system: flush a local log, upload
        a spool that grew since the last upload."""
        if self._spool_path is None:
            with self._lock:
                self.flush()
            return
        with self._lock:
            if self._closed and self._synced_size == -2:
                return
            if not self._closed:
                self._file.flush()
            size = os.path.getsize(self._spool_path)
            if size == self._synced_size:
                return
            self.folder.upload(self._spool_path, self.name)
            self._synced_size = size

    def close(self) -> None:
        """Flush, upload a spool one last time, and release the file."""
        self._close(upload=True)

    def discard(self) -> None:
        """Release the file without uploading a spool: a Run that could not start leaves
        nothing on a remote system."""
        self._close(upload=False)

    def give_up(self, reason: str) -> None:
        """Stop writing a log that cannot grow (a full disk): what is buffered is dropped,
        the last :data:`RESERVE` bytes are cut to make room for the Run's record, and a
        line says so. Never raises: the Run's end, not its log, is what must be recorded."""
        if self._autosync:
            _syncer.forget(self)
        with self._lock:
            if not self._closed:
                self._closed = True
                try:
                    self._file.close()
                except OSError:  # its buffer does not fit either
                    pass
            note = (f"\n[rhcore: {reason}; the last {RESERVE // 1024} KiB were dropped to record "
                    "the Run's end]\n")
            try:
                fd = os.open(self._spool_path or self.folder.join(self.name), os.O_WRONLY)
                try:
                    os.ftruncate(fd, max(0, os.fstat(fd).st_size - RESERVE))
                    os.lseek(fd, 0, os.SEEK_END)
                    os.write(fd, note.encode())
                finally:
                    os.close(fd)
            except OSError:
                pass
        if self._spool_path is not None:
            try:
                self.sync()
            except Exception:
                pass
            finally:
                self._synced_size = -2
                os.unlink(self._spool_path)

    def _close(self, *, upload: bool) -> None:
        if self._closed:
            return
        if self._autosync:
            _syncer.forget(self)
        with self._lock:
            self._closed = True
            try:
                self._file.flush()
            finally:
                self._file.close()
        if self._spool_path is not None:
            try:
                if upload:
                    self.sync()
            finally:
                self._synced_size = -2
                os.unlink(self._spool_path)

    @property
    def closed(self) -> bool:
        return self._closed


def close_all(logs: Iterable[Any]) -> Exception | None:
    """Close every log (any writer with ``close()``), whatever fails; return the first
    failure. A log that cannot be closed (a full disk) gives back room for the Run's
    record, if it can (:meth:`LogFile.give_up`)."""
    failure = None
    for log in logs:
        try:
            log.close()
        except Exception as exc:
            failure = failure or exc
            give_up = getattr(log, "give_up", None)
            if give_up is not None:
                give_up(f"{type(exc).__name__}: {exc}")
    return failure


class _Syncer:
    """One daemon thread that periodically syncs every open log."""

    def __init__(self) -> None:
        self._logs: weakref.WeakSet[LogFile] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, log: LogFile) -> None:
        with self._lock:
            self._logs.add(log)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="rhcore-log-sync", daemon=True
                )
                self._thread.start()

    def forget(self, log: LogFile) -> None:
        with self._lock:
            self._logs.discard(log)

    def _loop(self) -> None:
        while True:
            self._wake.wait(sync_interval())
            with self._lock:
                logs = list(self._logs)
            for log in logs:
                try:
                    log.sync()
                except Exception:  # the final sync at close reports real failures
                    pass


_syncer = _Syncer()
