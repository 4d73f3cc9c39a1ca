"""Carrying an exception from the worker back to the caller.

The caller gets the *same* exception type it would have got locally — ``pytest.raises``
and ``except ValueError`` keep working — with the worker's traceback added to the
message (or, where the message cannot be extended, as a note and as
``exc.remote_traceback``). An exception that cannot be pickled arrives as
:class:`RemoteError` carrying its type name and message.
"""

from __future__ import annotations

import pickle

import cloudpickle

from rhcore.errors import RhcoreError


class RemoteError(RhcoreError):
    """An exception from the worker that could not be sent back as itself."""

    def __init__(self, type_name: str, message: str):
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name


def pack_exception(exc: BaseException) -> bytes:
    """The exception pickled for the trip, or a RemoteError standing for it."""
    try:
        data = cloudpickle.dumps(exc)
        pickle.loads(data)  # what cannot be rebuilt here cannot be rebuilt there
        return data
    except Exception:
        return cloudpickle.dumps(RemoteError(type(exc).__qualname__, str(exc)))


def unpack_exception(data: bytes | None, error: str, traceback_text: str) -> BaseException:
    """The worker's exception, ready to raise here, carrying the worker's traceback."""
    try:
        exc = pickle.loads(data) if data else RemoteError("Error", error)
    except Exception:
        exc = RemoteError(error.split(":", 1)[0] or "Error", error)
    if not isinstance(exc, BaseException):  # pragma: no cover - defensive
        exc = RemoteError("Error", error)
    exc.remote_traceback = traceback_text  # type: ignore[attr-defined]
    trailer = f"\n\nTraceback in the worker:\n{traceback_text.rstrip()}"
    if len(exc.args) == 1 and isinstance(exc.args[0], str) and not isinstance(exc, KeyError):
        exc.args = (exc.args[0] + trailer,)
    elif hasattr(exc, "add_note"):
        exc.add_note(trailer.strip())
    return exc
