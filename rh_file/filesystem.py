"""fsspec's local filesystem, with the calls a Run makes on every start and end kept
close to the system calls they stand for.

A context-manager Run is a handful of small file operations; with the stock
``LocalFileSystem`` the path handling around each one cost more than the operation itself.
The overrides below keep fsspec's interface and semantics and only skip work: absolute
POSIX paths need no normalising, whole-file reads and writes need no file wrapper, and a
file-to-file move is ``os.replace`` (atomic, and replaces the target).
"""

from __future__ import annotations

import os
from typing import Any

from fsspec.implementations.local import LocalFileSystem


class RunFileSystem(LocalFileSystem):
    """``LocalFileSystem`` with fast paths for whole-file I/O on absolute paths."""

    protocol = ("file", "local")

    @classmethod
    def _strip_protocol(cls, path: Any) -> str:
        if type(path) is str and path[:1] == "/":  # already absolute and POSIX
            return path.rstrip("/") or "/"
        return super()._strip_protocol(path)

    def _open(self, path: str, mode: str = "rb", block_size: Any = None, **kwargs: Any) -> Any:
        if "b" in mode and not kwargs and not self._intrans and not self.auto_mkdir:
            return open(self._strip_protocol(path), mode)
        return super()._open(path, mode, block_size=block_size, **kwargs)

    def cat_file(self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any) -> bytes:
        if start is None and end is None:
            with open(self._strip_protocol(path), "rb") as f:
                return f.read()
        return super().cat_file(path, start=start, end=end, **kwargs)

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        with open(self._strip_protocol(path), "xb" if mode == "create" else "wb") as f:
            f.write(value)

    def mv(self, path1: str, path2: str, recursive: bool = True, **kwargs: Any) -> None:
        source, target = self._strip_protocol(path1), self._strip_protocol(path2)
        if os.path.isfile(source):
            try:
                os.replace(source, target)
                return
            except IsADirectoryError:  # into a folder: fsspec's semantics below
                pass
        super().mv(source, target, recursive=recursive, **kwargs)
