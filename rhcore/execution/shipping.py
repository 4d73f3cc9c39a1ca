"""A function shipped to a worker, pickled so that a traceback from it names the caller's
file and line, and shows the line.

cloudpickle (from 3.0 on) names the file of every code object it pickles by value
``<dynamic-code>``, so that its bytes do not depend on where the code was defined; a
function from a script, or from any module a remote worker cannot import, then fails in
the worker with ``File "<dynamic-code>", line 5``. :func:`dumps` keeps each code object's
file name, and ships the source lines the code spans. Where the function is unpickled,
:func:`_code_in` gives it its file name back and hands those lines to :mod:`linecache`
(unless the same file is on that machine), so the worker's traceback shows the caller's
file, line number and line, even on a host that has no such file.

A pickle made here loads with plain ``cloudpickle.loads`` (or ``pickle.loads``) wherever
rhcore is installed.
"""

from __future__ import annotations

import io
import linecache
import pickle
import types
from typing import Any

import cloudpickle

DYNAMIC = "<dynamic-code>"
"""The file name cloudpickle gives the code objects it pickles."""


def dumps(obj: Any, protocol: int = pickle.HIGHEST_PROTOCOL) -> bytes:
    """``cloudpickle.dumps(obj)``, with the file names and source lines of its code."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=protocol).dump(obj)
    return buffer.getvalue()


class _Pickler(cloudpickle.Pickler):
    def __init__(self, file: io.BytesIO, protocol: int):
        super().__init__(file, protocol=protocol)
        self._spans: dict[str, list[tuple[int, int]]] = {}

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, types.CodeType) and obj.co_filename != DYNAMIC:
            first, lines = self._source_of(obj)
            # The code itself is pickled by cloudpickle, under its usual file name.
            return _code_in, (obj.replace(co_filename=DYNAMIC), obj.co_filename, first, lines)
        return super().reducer_override(obj)

    def _source_of(self, code: types.CodeType) -> tuple[int, tuple[str, ...]]:
        """The first line of ``code`` and the source lines it spans (none if this pickle
        already carries them: a function's inner code lies within its own)."""
        first = code.co_firstlineno
        last = max((line for _, _, line in code.co_lines() if line is not None), default=first)
        spans = self._spans.setdefault(code.co_filename, [])
        if any(start <= first and last <= end for start, end in spans):
            return first, ()
        spans.append((first, last))
        return first, tuple(linecache.getlines(code.co_filename)[first - 1:last])


_shipped: dict[str, list[str]] = {}
"""The source lines this process received, by file name (the lists linecache holds)."""


def _code_in(code: types.CodeType, filename: str, first: int, lines: tuple[str, ...]) -> types.CodeType:
    """``code`` as it was where it was pickled: under its own file name, with its source
    lines known to :mod:`linecache` here."""
    if lines:
        _remember(filename, first, list(lines))
    return code.replace(co_filename=filename)


def _remember(filename: str, first: int, lines: list[str]) -> None:
    end = first - 1 + len(lines)
    known = _shipped.get(filename)
    if known is None:
        if linecache.getlines(filename)[first - 1:end] == lines:
            return  # this machine has the same file: linecache reads it from there
        known = _shipped[filename] = []
    known.extend([""] * (end - len(known)))
    known[first - 1:end] = lines
    # An entry without a modification time is never checked against a file.
    linecache.cache[filename] = (sum(map(len, known)), None, known, filename)
