"""The wire between a client and a worker server: length-prefixed pickled messages over
any pair of byte streams — a local subprocess's pipes, an SSH channel.

The client side, :class:`WorkerConnection`, multiplexes jobs and requests from any
number of threads over one connection: a reader thread dispatches the server's messages
(output to relay, job outcomes, replies) to whoever waits for them.

Messages are dicts with an ``op``. Client to server: ``submit`` (a job), ``cancel``,
``alive``, ``ping``. Server to client: ``hello`` (its identity and home folder, first),
``out``/``err``
(a streamed job's output), ``started`` (a job's process), ``done`` (a job's outcome),
``reply`` (to a request). A job travels as a :class:`~rhcore.spec.Job`, its end as an
:class:`~rhcore.spec.Outcome`.
"""

from __future__ import annotations

import itertools
import pickle
import struct
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO

from rhcore.errors import RhcoreError
from rhcore.spec import Job, Outcome

_HEADER = struct.Struct("!Q")
PROTOCOL_VERSION = 2


class WorkerGoneError(RhcoreError, ConnectionError):
    """The worker server went away (it crashed, was killed, or the connection broke)."""


def encode(message: dict[str, Any]) -> bytes:
    """One framed message."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


def read_message(stream: BinaryIO) -> dict[str, Any] | None:
    """The next message from a blocking stream, or None at its end."""
    header = _read_exactly(stream, _HEADER.size)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    data = _read_exactly(stream, size)
    if data is None:
        return None
    return pickle.loads(data)


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


class FrameBuffer:
    """Reassembles messages from the arbitrary chunks a non-blocking reader gets."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Add ``data``; return the messages now complete."""
        self._buffer += data
        messages = []
        while len(self._buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self._buffer)
            end = _HEADER.size + size
            if len(self._buffer) < end:
                break
            messages.append(pickle.loads(bytes(self._buffer[_HEADER.size : end])))
            del self._buffer[:end]
        return messages


_SLICE = 0.25
"""Longest a wait blocks before Python looks for a pending signal."""


class JobHandle:
    """A submitted job: its outcome, once the server reports it."""

    def __init__(self, job_id: int, stream: bool):
        self.id = job_id
        self.stream = stream
        self.pid: int | None = None
        self._done = threading.Event()
        self._outcome: Outcome | None = None

    def _finish(self, outcome: Outcome) -> None:
        self._outcome = outcome
        self._done.set()

    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> Outcome:
        """Block until the job ends; return its outcome. Waits in short slices, so a Ctrl-C
        (SIGINT) is seen within a fraction of a second even when the kernel delivered it to
        another thread of this process, which does not wake a blocked lock here."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._done.wait(_SLICE):
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"job {self.id} did not finish within {timeout} s")
        assert self._outcome is not None
        return self._outcome


class WorkerConnection:
    """The client end of a connection to a worker server."""

    def __init__(
        self,
        reader: BinaryIO,
        writer: BinaryIO,
        *,
        describe: str,
        on_close: Callable[[], str] | None = None,
    ):
        self._reader, self._writer = reader, writer
        self._describe = describe
        self._on_close = on_close
        self._write_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._jobs: dict[int, JobHandle] = {}
        self._requests: dict[int, tuple[threading.Event, list]] = {}
        self._lock = threading.Lock()
        self._closed: str | None = None
        hello = read_message(reader)
        if hello is None or hello.get("op") != "hello":
            detail = on_close() if on_close else ""
            raise WorkerGoneError(f"{describe} did not start" + (f": {detail}" if detail else ""))
        if hello.get("version") != PROTOCOL_VERSION:
            raise WorkerGoneError(
                f"{describe} speaks protocol {hello.get('version')}, this rhcore speaks "
                f"{PROTOCOL_VERSION}: install the same rhcore version there"
            )
        self.server_identity: dict = hello["identity"]
        self.server_home: str = hello.get("home", "")
        self._thread = threading.Thread(target=self._read_loop, name=f"rhcore-{describe}", daemon=True)
        self._thread.start()

    @property
    def closed(self) -> bool:
        return self._closed is not None

    def _send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        with self._write_lock:
            if self._closed is not None:
                raise WorkerGoneError(self._closed)
            try:
                self._writer.write(data)
                self._writer.flush()
            except (OSError, ValueError) as exc:
                raise WorkerGoneError(f"{self._describe} is gone: {exc}") from None

    def submit(self, job: Job, *, stream: bool) -> JobHandle:
        """Start ``job`` on the server; with ``stream`` its output is shown here live."""
        handle = JobHandle(next(self._ids), stream)
        with self._lock:
            self._jobs[handle.id] = handle
        try:
            self._send({"op": "submit", "id": handle.id, "job": job, "stream": stream})
        except BaseException:
            with self._lock:
                self._jobs.pop(handle.id, None)
            raise
        return handle

    def request(self, message: dict[str, Any], timeout: float | None = 60) -> dict[str, Any]:
        """Send a request (``cancel``, ``alive``, ``ping``) and wait for its reply."""
        request_id = next(self._ids)
        event, box = threading.Event(), []
        with self._lock:
            self._requests[request_id] = (event, box)
        self._send({**message, "id": request_id})
        if not event.wait(timeout):
            raise TimeoutError(f"{self._describe} did not answer {message.get('op')!r} in {timeout} s")
        reply = box[0]
        if reply.get("op") == "gone":
            raise WorkerGoneError(reply["message"])
        return reply

    def close(self) -> None:
        """Stop sending; the server finishes what it runs and exits."""
        with self._write_lock:
            if self._closed is None:
                self._closed = f"{self._describe} was closed"
                try:
                    self._writer.close()
                except OSError:
                    pass

    def _read_loop(self) -> None:
        try:
            while True:
                message = read_message(self._reader)
                if message is None:
                    break
                self._dispatch(message)
        except Exception as exc:  # a broken stream ends the connection like EOF
            reason = f"{type(exc).__name__}: {exc}"
        else:
            reason = ""
        detail = self._on_close() if self._on_close else ""
        self._fail(f"{self._describe} exited" + (f": {detail or reason}" if detail or reason else ""))

    def _dispatch(self, message: dict[str, Any]) -> None:
        op = message.get("op")
        if op in ("out", "err"):
            target = sys.stdout if op == "out" else sys.stderr
            try:
                target.write(message["data"].decode("utf-8", "replace"))
                target.flush()
            except (OSError, ValueError):
                pass
        elif op == "started":
            handle = self._jobs.get(message["id"])
            if handle is not None:
                handle.pid = message.get("pid")
        elif op == "done":
            with self._lock:
                handle = self._jobs.pop(message["id"], None)
            if handle is not None:
                handle._finish(message["outcome"])
        elif op == "reply":
            with self._lock:
                waiter = self._requests.pop(message["id"], None)
            if waiter is not None:
                waiter[1].append(message)
                waiter[0].set()

    def _fail(self, reason: str) -> None:
        with self._write_lock:
            self._closed = self._closed or reason
        with self._lock:
            jobs, self._jobs = self._jobs, {}
            requests, self._requests = self._requests, {}
        for handle in jobs.values():
            handle._finish(Outcome(ok=False, gone=True, error=reason))
        for event, box in requests.values():
            box.append({"op": "gone", "message": reason})
            event.set()
