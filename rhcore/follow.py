"""Following a Run's logs as they are written, until it ends (``cluster.get(...,
stream_logs=True)``, ``rh logs --follow``). Works on any system: it reads what was
appended to the Run's log files since the last look."""

from __future__ import annotations

import codecs
import sys
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rhcore.run import Run


def follow(
    run: Run,
    *,
    show: bool = True,
    out: TextIO | None = None,
    err: TextIO | None = None,
    poll: float = 0.1,
    timeout: float | None = None,
) -> Run:
    """Print the Run's stdout/stderr as they grow (when ``show``) and return once the Run
    has ended and everything it wrote was printed. TimeoutError after ``timeout`` s."""
    targets = ((run.stdout_file, out or sys.stdout), (run.stderr_file, err or sys.stderr))
    offsets = {name: 0 for name, _ in targets}
    decoders = {name: codecs.getincrementaldecoder("utf-8")("replace") for name, _ in targets}
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = min(poll, 0.02)
    while True:
        ended = run.refresh().status.is_final
        if show:
            for name, target in targets:
                data = run.folder.read_from(name, offsets[name])
                if data:
                    offsets[name] += len(data)
                    target.write(decoders[name].decode(data, final=ended))
                    target.flush()
        if ended:
            return run
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"Run {run.name!r} did not end within {timeout} s")
        time.sleep(delay)
        delay = min(delay * 2, poll)
