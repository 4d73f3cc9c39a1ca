"""Progress bars for copies of Runs: a tqdm bar per large file, on a terminal only.

:meth:`Run.to` and ``rh cp`` copy through :meth:`Folder.copy_to`, whose callback
reports ``(relpath, bytes_done, bytes_total)`` from fsspec's own transfer callbacks (so
multipart uploads and ranged downloads report as they go). On a terminal each file of at
least :data:`MIN_BYTES` gets a bar; anywhere else (a pipe, a log file, CI) nothing is
printed and no callback is installed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TextIO

from tqdm import tqdm

from rhcore import capture

MIN_BYTES = 8 * 1024 * 1024
"""Files smaller than this copy without a bar: they take well under a second."""

Report = Callable[[str, int, int], None]


class CopyProgress:
    """A ``callback(relpath, done, total)`` for :meth:`Folder.copy_to` that draws one tqdm
    bar per file of at least ``min_bytes``, labelled ``<label> <relpath>``."""

    def __init__(self, label: str, stream: TextIO, min_bytes: int = MIN_BYTES):
        self.label, self.stream, self.min_bytes = label, stream, min_bytes
        self._rel: str | None = None
        self._bar: tqdm | None = None

    def __call__(self, rel: str, done: int, total: int) -> None:
        if rel != self._rel:
            self.close()
            self._rel = rel
        if self._bar is None and total >= self.min_bytes:
            self._bar = tqdm(
                total=total,
                desc=f"{self.label} {rel}",
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                file=self.stream,
                dynamic_ncols=True,
            )
        if self._bar is not None and done > self._bar.n:
            self._bar.update(done - self._bar.n)

    def close(self) -> None:
        """Finish the current bar, if any."""
        bar, self._bar = self._bar, None
        if bar is not None:
            bar.close()


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or closed
        return False


@contextlib.contextmanager
def copy_progress(label: str, stream: TextIO | None = None) -> Iterator[Report | None]:
    """A progress callback for a copy, or None when ``stream`` is not a terminal; its last
    bar is closed on exit. The default stream is stderr as it is outside any Run's
    capture: a copy made inside a ``with rh.run()`` block shows its bar on the terminal
    but does not write it into that Run's log."""
    stream = stream if stream is not None else capture.uncaptured("stderr")
    if not is_terminal(stream):
        yield None
        return
    progress = CopyProgress(label, stream)
    try:
        yield progress
    finally:
        progress.close()
