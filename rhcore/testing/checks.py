"""Small checks that storage plugins' error and secrets tests share."""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail unless the block ends within ``seconds`` (an error must come quickly)."""
    start = time.monotonic()
    yield
    assert time.monotonic() - start < seconds, f"took {time.monotonic() - start:.1f} s"


def failure_text(excinfo: pytest.ExceptionInfo) -> str:
    """The message and the whole printed traceback, as a user would see them."""
    return "".join(traceback.format_exception(excinfo.value))


def local_files(*roots: str | os.PathLike) -> dict[str, bytes]:
    """Every file under ``roots`` with its bytes (to search them for a secret)."""
    found = {}
    for root in roots:
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                path = os.path.join(dirpath, name)
                with open(path, "rb") as f:
                    found[path] = f.read()
    return found
