"""Turning a Run's stored bytes back into values: the one place rhcore unpickles what a
store holds (a result, inputs, a cache hit), so that what cannot be read back is a
:class:`~rhcore.errors.CorruptRunError` naming the file, not a bare unpickling error."""

from __future__ import annotations

import pickle
from typing import Any

from rhcore.errors import CorruptRunError


def unpickle(data: bytes, where: str) -> Any:
    """The value pickled in ``data``, read from ``where`` (``system:path``, for the error)."""
    try:
        return pickle.loads(data)
    except Exception as exc:  # truncated, not a pickle, or needing what is not installed here
        raise CorruptRunError(f"{where} cannot be read back ({type(exc).__name__}: {exc})") from exc
