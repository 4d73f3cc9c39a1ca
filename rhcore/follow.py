"""Following a Run's logs as they are written, until it ends (``cluster.get(...,
stream_logs=True)``, ``rh logs --follow``). Works on any system: it reads what was
appended to the Run's log files since the last look."""

from __future__ import annotations

import codecs
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from rhcore.folder import Folder


class LogEcho:
    """Prints what is appended to log files of a folder, each on its own stream, from
    where the last look ended (multi-byte characters split between looks stay whole)."""

    def __init__(self, folder: Folder, names: Sequence[str], targets: Sequence[TextIO]):
        self.folder = folder
        self.logs = [(name, target, codecs.getincrementaldecoder("utf-8")("replace"))
                     for name, target in zip(names, targets, strict=True)]
        self.offsets = dict.fromkeys(names, 0)

    def show(self, *, final: bool = False) -> None:
        """Print what was appended since the last call; ``final``: the logs are complete."""
        for name, target, decoder in self.logs:
            data = self.folder.read_from(name, self.offsets[name])
            self.offsets[name] += len(data)
            text = decoder.decode(data, final=final)
            if text:
                target.write(text)
                target.flush()


def follow(
    run: Any,
    *,
    show: bool = True,
    out: TextIO | None = None,
    err: TextIO | None = None,
    poll: float = 0.1,
    timeout: float | None = None,
) -> Any:
    """Print the Run's stdout/stderr as they grow (when ``show``) and return once the Run
    has ended and everything it wrote was printed. TimeoutError after ``timeout`` s."""
    echo = LogEcho(run.folder, (run.stdout_file, run.stderr_file),
                   (out or sys.stdout, err or sys.stderr)) if show else None
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = min(poll, 0.02)
    while True:
        ended = run.refresh().status.is_final
        if echo is not None:
            echo.show(final=ended)
        if ended:
            return run
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"Run {run.name!r} did not end within {timeout} s")
        time.sleep(delay)
        delay = min(delay * 2, poll)
