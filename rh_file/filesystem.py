"""fsspec's local filesystem, with the calls a Run makes on every start and end kept
close to the system calls they stand for.

A context-manager Run is a handful of small file operations; with the stock
``LocalFileSystem`` the path handling around each one cost more than the operation itself.
The overrides below keep fsspec's interface and semantics and only skip work: absolute
POSIX paths need no normalising, whole-file reads and writes are a descriptor's system
calls without a Python file object around them, and a file-to-file move is an atomic
replace of the target (see :func:`replace`).

What it creates is its owner's alone by default (files 0600, folders 0700): on a shared
host a Run's inputs, result and logs are nobody else's to read. ``file_mode`` and
``dir_mode`` (in ``data_config``) set other modes, e.g. 0o640 and 0o750 for a group.

Whole files are read and written without following a symbolic link in their last
component (``O_NOFOLLOW``): a link planted in a Run folder cannot make a Run's log
overwrite, or its reader show, a file outside it.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import sys
from typing import Any

from fsspec.implementations.local import LocalFileSystem


class RunFileSystem(LocalFileSystem):
    """``LocalFileSystem`` with fast paths for whole-file I/O on absolute paths, creating
    files and folders owner-only unless ``file_mode``/``dir_mode`` say otherwise."""

    protocol = ("file", "local")

    def __init__(self, *, file_mode: int = 0o600, dir_mode: int = 0o700, **kwargs: Any):
        super().__init__(**kwargs)
        self.file_mode, self.dir_mode = file_mode, dir_mode

    @classmethod
    def _strip_protocol(cls, path: Any) -> str:
        if type(path) is str and path[:1] == "/":  # already absolute and POSIX
            return path.rstrip("/") or "/"
        return super()._strip_protocol(path)

    def _open(self, path: str, mode: str = "rb", block_size: Any = None, **kwargs: Any) -> Any:
        if mode in ("wb", "xb", "ab") and not kwargs and not self._intrans and not self.auto_mkdir:
            return os.fdopen(open_file(self._strip_protocol(path), _WRITE_FLAGS[mode], self.file_mode), mode)
        if mode == "rb" and not kwargs and not self._intrans:
            return os.fdopen(open_file(self._strip_protocol(path), _READ), mode)
        return super()._open(path, mode, block_size=block_size, **kwargs)

    def cat_file(self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any) -> bytes:
        with os.fdopen(open_file(self._strip_protocol(path), _READ), "rb", buffering=0) as f:
            if start is None and end is None:
                return f.readall()
            size = os.fstat(f.fileno()).st_size
            start = 0 if start is None else start if start >= 0 else max(size + start, 0)
            end = size if end is None else end if end >= 0 else max(size + end, 0)
            f.seek(start)
            return f.read(max(end - start, 0))

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        flags = _CREATE if mode == "create" else _OVERWRITE
        path = self._strip_protocol(path)
        if self.auto_mkdir:
            self.makedirs(self._parent(path), exist_ok=True)
        fd = open_file(path, flags, self.file_mode)
        try:
            view = memoryview(value).cast("B")
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        path = self._strip_protocol(path)
        try:
            os.mkdir(path, self.dir_mode)  # a Run's new folder: its parent is there, one system call
        except FileNotFoundError:
            os.makedirs(path, self.dir_mode, exist_ok=exist_ok)
        except FileExistsError:
            if not exist_ok or not os.path.isdir(path):
                raise

    def mv(self, path1: str, path2: str, recursive: bool = True, **kwargs: Any) -> None:
        source, target = self._strip_protocol(path1), self._strip_protocol(path2)
        try:
            target_type = _file_type(target)
            if target_type is None and not self.auto_mkdir:
                os.rename(source, target)  # nothing there: all shutil.move would do
                return
            if target_type == stat.S_IFREG and _file_type(source) == stat.S_IFREG:
                _replace_file(source, target)
                return
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
        super().mv(source, target, recursive=recursive, **kwargs)  # a folder; another device


_SAFE = getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
_READ = os.O_RDONLY | _SAFE
_OVERWRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _SAFE
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _SAFE
_WRITE_FLAGS = {"wb": _OVERWRITE, "xb": _CREATE, "ab": os.O_WRONLY | os.O_CREAT | os.O_APPEND | _SAFE}


def open_file(path: str, flags: int, mode: int = 0o600) -> int:
    """``os.open`` of a file of a Run folder, refusing a symbolic link in its last component
    (``flags`` carry ``O_NOFOLLOW``) with an error that says so."""
    try:
        return os.open(path, flags, mode)
    except OSError as exc:
        if exc.errno != errno.ELOOP or not os.path.islink(path):
            raise
        raise OSError(errno.ELOOP, "it is a symbolic link, and a Run's files are never read or "
                                   "written through one", path) from None
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _load_renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # a C library older than glibc 2.28
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    return function


_renameat2 = _load_renameat2()


def replace(source: str, target: str) -> None:
    """Move file ``source`` over ``target`` atomically: readers of ``target`` see the old
    or the new file, never neither.

    On Linux an existing file at ``target`` is exchanged with the source, then the old
    file (now at ``source``) is deleted. A plain rename over an existing file makes ext4
    write the new file's data out at once (its ``auto_da_alloc`` safeguard); a Run's final
    config replaces its RUNNING one, so on every Run that write cost more than the rest of
    its recording. Anywhere else (no file there yet, a file system that cannot exchange)
    this is ``os.replace``.
    """
    if _file_type(target) == stat.S_IFREG:
        _replace_file(source, target)
    else:
        os.replace(source, target)


def _replace_file(source: str, target: str) -> None:
    """:func:`replace` of a regular file at ``target``."""
    if _renameat2 is not None and _exchange(source, target):
        os.unlink(source)
        return
    os.replace(source, target)


def _exchange(source: str, target: str) -> bool:
    return _renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_EXCHANGE) == 0


def _file_type(path: str) -> int | None:
    """The type of what is at ``path`` (``stat.S_IFREG``, ``S_IFDIR``...; a link is not
    followed), None if nothing is."""
    try:
        return stat.S_IFMT(os.lstat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return None
