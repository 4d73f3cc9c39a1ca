"""Capturing what a block prints — ``print``, ``sys.stdout``/``sys.stderr`` and ``logging`` —
into log files while still showing it.

While any Run captures, ``sys.stdout`` and ``sys.stderr`` are replaced by text streams
whose bytes go both to the original stream and to the log files of every capturing Run
(nested Runs: the innermost and its parents). The replacement is process-wide, so threads
writing during the block are captured too. Logging handlers that were writing to the
original streams are pointed at the replacements for the duration, and back afterwards.

Encoding happens once, in C (``io.TextIOWrapper``); the Python-level tee sees whole
lines when the original stream was line-buffered or unbuffered, and 8 KiB chunks
otherwise, which keeps the cost of capture a fraction of the cost of printing.
"""

from __future__ import annotations

import codecs
import functools
import io
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

STREAMS = ("stdout", "stderr")


def _discard(data: Any) -> None:
    return None


def _nothing() -> None:
    return None


def _ignore(writer: Any, error: OSError) -> None:
    return None


class _Tee(io.RawIOBase):
    """Raw byte sink under the replacement text stream: original stream + log files.

    ``write`` and ``flush`` are per-instance closures over C methods: with a terminal's
    line buffering they run once per printed line, so every attribute lookup counts.
    Log files are not flushed here — their syncer and their closing do it — which keeps a
    line's flush to one system call, as without capture.
    """

    def __init__(self, original: Any):
        super().__init__()
        self.original = original
        buffer = getattr(original, "buffer", None)
        encoding = (getattr(original, "encoding", None) or "").lower().replace("-", "")
        if original is None:
            show, self.flush = _discard, _nothing
        elif buffer is not None and encoding == "utf8":
            show, self.flush = buffer.write, buffer.flush
        else:
            decode = codecs.getincrementaldecoder("utf-8")("replace").decode
            show, self.flush = (lambda data: original.write(decode(data))), original.flush
        sinks: list[tuple[Callable[[bytes], Any], Callable[[OSError], None]]] = []
        self._sinks = sinks

        def write(data: Any) -> int:
            show(data)
            for sink, failed in sinks:
                try:
                    sink(data)
                except OSError as exc:  # a full disk: the sink stops, the printing does not
                    sinks[:] = [s for s in sinks if s[0] is not sink]
                    failed(exc)
            return len(data)

        self.write = write

    def set_sinks(self, sinks: Iterable[tuple[BinaryIO, Callable[[BinaryIO, OSError], None]]]) -> None:
        """Send bytes to these writers too (from now on); each with what to call, given the
        writer and the error, if writing to it fails (it is then dropped)."""
        self._sinks[:] = [(writer.write, functools.partial(failed, writer)) for writer, failed in sinks]

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return bool(self.original is not None and self.original.isatty())

    def fileno(self) -> int:
        if self.original is None:
            raise io.UnsupportedOperation("fileno")
        return self.original.fileno()

    def close(self) -> None:  # never close the original stream
        self._sinks.clear()
        super().close()


class _Replacement:
    """One replaced standard stream."""

    def __init__(self, name: str):
        self.name = name
        self.original = getattr(sys, name)
        if self.original is not None:
            self.original.flush()
        self.tee = _Tee(self.original)
        line_buffered = bool(
            getattr(self.original, "line_buffering", True) or getattr(self.original, "write_through", False)
        )
        self.stream = io.TextIOWrapper(
            self.tee, encoding="utf-8", errors="backslashreplace", line_buffering=line_buffered
        )
        setattr(sys, name, self.stream)

    def restore(self) -> None:
        self.stream.flush()
        self.tee.set_sinks(())
        if getattr(sys, self.name) is self.stream:
            setattr(sys, self.name, self.original)


class _Capture:
    """Process-wide state: the replaced streams and the capturing Runs' sinks, in order."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._active: list[tuple[BinaryIO | None, BinaryIO | None, Callable[[OSError], None]]] = []
        self._replacements: dict[str, _Replacement] = {}

    def attach(self, out: BinaryIO | None, err: BinaryIO | None,
               on_error: Callable[[BinaryIO, OSError], None] = _ignore) -> object:
        """Start sending stdout to ``out`` and stderr to ``err``; return a token for detach.
        ``on_error`` hears which writer failed and why (it is then no longer written to)."""
        token = (out, err, on_error)
        with self._lock:
            if not self._active:
                self._install()
            self._flush()
            self._active.append(token)
            self._update_sinks()
        return token

    def detach(self, token: object) -> None:
        """Stop the capture started by :meth:`attach` (in any order)."""
        with self._lock:
            self._flush()
            self._active = [t for t in self._active if t is not token]
            self._update_sinks()
            if not self._active:
                self._uninstall()

    def _flush(self) -> None:
        for rep in self._replacements.values():
            try:
                rep.stream.flush()
            except ValueError:
                pass

    def _update_sinks(self) -> None:
        for index, name in enumerate(STREAMS):
            rep = self._replacements.get(name)
            if rep is not None:
                rep.tee.set_sinks((t[index], t[2]) for t in self._active if t[index] is not None)

    def _install(self) -> None:
        self._replacements = {name: _Replacement(name) for name in STREAMS}
        swap = {id(r.original): r.stream for r in self._replacements.values() if r.original is not None}
        for handler in _stream_handlers():
            new = swap.get(id(handler.stream))
            if new is not None:
                handler.setStream(new)

    def _uninstall(self) -> None:
        for rep in self._replacements.values():
            rep.restore()
        back = {id(r.stream): r.original for r in self._replacements.values()}
        for handler in _stream_handlers():
            original = back.get(id(handler.stream))
            if original is not None:
                handler.setStream(original)
        self._replacements = {}


def _stream_handlers() -> Iterable[logging.StreamHandler]:
    loggers: list[logging.Logger] = [logging.getLogger()]
    known = list(logging.Logger.manager.loggerDict.values())
    loggers += [lg for lg in known if isinstance(lg, logging.Logger)]
    seen: set[int] = set()
    for lg in loggers:
        for handler in list(lg.handlers):
            if isinstance(handler, logging.StreamHandler) and id(handler) not in seen:
                seen.add(id(handler))
                yield handler


_capture = _Capture()


def attach(out: BinaryIO | None, err: BinaryIO | None,
           on_error: Callable[[BinaryIO, OSError], None] = _ignore) -> object:
    """Send this process's stdout/stderr also to ``out``/``err`` until :func:`detach`; a
    writer that fails is dropped and ``on_error`` told why (what is printed still shows)."""
    return _capture.attach(out, err, on_error)


def detach(token: object) -> None:
    """End a capture begun by :func:`attach`."""
    _capture.detach(token)


def uncaptured(name: str = "stderr") -> Any:
    """``sys.stdout`` or ``sys.stderr`` as it is outside any capture: where rhcore draws
    what only a person watching should see (progress bars), and no Run's log should keep."""
    with _capture._lock:
        current = getattr(sys, name)
        rep = _capture._replacements.get(name)
        return rep.original if rep is not None and current is rep.stream else current
