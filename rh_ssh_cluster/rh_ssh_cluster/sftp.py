"""The ``sftp`` system: fsspec's ``SFTPFileSystem`` (paramiko) made safe for Runs.

Changes to the stock filesystem, each for a guarantee rhcore relies on:

- host keys are verified (see :mod:`rh_ssh_cluster.connection`); the stock one accepts
  any host key unless told otherwise;
- one shared connection per host, user and credentials, opened on first use, and usable
  from many threads (calls on the SFTP session take turns);
- ``pipe_file(..., mode="create")`` is a real exclusive create (``O_EXCL``), and ``mv``
  replaces an existing target atomically (``posix-rename@openssh.com``);
- ``~`` and ``~/...`` mean the login user's home, as relative paths do;
- ``cat_file`` reads byte ranges counted from the end too (the stock one fails on them);
- what it creates is its owner's alone (files 0600, folders 0700, as on the local disk)
  unless ``data_config`` says ``file_mode``/``dir_mode``: a file gets its mode as it is
  created, in the open request itself (paramiko's ``open`` sends none, so the server
  would make it 0666 less its umask, and a chmod afterwards leaves a moment in which
  another user can open it).
"""

from __future__ import annotations

import errno
import functools
import os
import posixpath
import stat
from collections.abc import Callable
from typing import Any

import paramiko
from fsspec.callbacks import DEFAULT_CALLBACK, Callback
from fsspec.implementations.sftp import SFTPFileSystem
from fsspec.spec import AbstractFileSystem
from fsspec.utils import infer_storage_options
from paramiko.sftp import (
    CMD_HANDLE,
    CMD_OPEN,
    SFTP_FLAG_APPEND,
    SFTP_FLAG_CREATE,
    SFTP_FLAG_EXCL,
    SFTP_FLAG_READ,
    SFTP_FLAG_TRUNC,
    SFTP_FLAG_WRITE,
    SFTPError,
)

from rh_ssh_cluster import ranges
from rh_ssh_cluster.config import Modes, SSHSettings
from rh_ssh_cluster.connection import SSHConnection, connection
from rh_ssh_cluster.parents import MakesParents
from rh_ssh_cluster.paths import home_relative

COPY_CHUNK = 1024 * 1024


def open_owned(
    sftp: paramiko.SFTPClient, path: str, mode: str, permissions: int, bufsize: int = -1
) -> paramiko.SFTPFile:
    """``sftp.open(path, mode, bufsize)``, except that a file it creates has ``permissions``
    from the start: they go with the open request, and the server creates the file with
    them (less its umask), as ``open(2)`` does. A file that exists keeps its own."""
    if not any(flag in mode for flag in "wax"):
        return sftp.open(path, mode, bufsize)
    flags = SFTP_FLAG_WRITE | SFTP_FLAG_CREATE
    for flag, bit in (("r", SFTP_FLAG_READ), ("+", SFTP_FLAG_READ), ("w", SFTP_FLAG_TRUNC),
                      ("a", SFTP_FLAG_APPEND), ("x", SFTP_FLAG_EXCL)):
        if flag in mode:
            flags |= bit
    attributes = paramiko.SFTPAttributes()
    attributes.st_mode = permissions
    kind, message = sftp._request(CMD_OPEN, sftp._adjust_cwd(path), flags, attributes)
    if kind != CMD_HANDLE:
        raise SFTPError("Expected handle")
    # "x" is no mode of paramiko's file object: it is opened for writing, as "w" is
    return paramiko.SFTPFile(sftp, message.get_binary(), mode.replace("x", "w"), bufsize)


class _TakingTurns:
    """The SFTP session of a connection, seen as an ``SFTPClient`` whose every call takes
    the session for itself; files it opens do the same for each of their calls, and files
    it creates get ``file_mode``."""

    def __init__(self, conn: SSHConnection, file_mode: int):
        self._conn, self._file_mode = conn, file_mode

    def open(self, filename: str, mode: str = "r", bufsize: int = -1) -> _TurnTakingFile:
        with self._conn.sftp() as sftp:
            f = open_owned(sftp, filename, mode, self._file_mode, bufsize)
        return _TurnTakingFile(f, self._conn)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            with self._conn.sftp() as sftp:
                result = getattr(sftp, name)(*args, **kwargs)
            if isinstance(result, paramiko.SFTPFile):
                return _TurnTakingFile(result, self._conn)
            return result

        return call


class _TurnTakingFile:
    """An open ``SFTPFile`` whose calls take the connection's SFTP session in turn."""

    def __init__(self, file: paramiko.SFTPFile, conn: SSHConnection):
        self._file, self._conn = file, conn

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._file, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            with self._conn.sftp():
                return value(*args, **kwargs)

        return call

    def __enter__(self) -> _TurnTakingFile:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class RunSFTPFileSystem(MakesParents, SFTPFileSystem):
    """fsspec's SFTP filesystem over a shared, host-verified, thread-safe connection.

    Takes the ``data_config`` keys of :mod:`rh_ssh_cluster.config` as keyword arguments.
    A write makes its missing parent folders, as sshfs's filesystem does (and fsspec's own
    tests expect), only when they are missing: no round trip otherwise. Files and folders
    it creates get ``modes`` (owner-only by default).
    """

    protocol = ("sftp",)
    cachable = False  # connections are shared by rh_ssh_cluster.connection instead

    def __init__(self, **data_config: Any):
        AbstractFileSystem.__init__(self)
        self.settings = SSHSettings.from_data_config(data_config, system="sftp")
        self.modes = Modes.from_data_config(data_config, system="sftp")
        self.host = self.settings.host
        self.temppath = "/tmp"
        self.connection = connection(self.settings)

    @property
    def client(self) -> paramiko.SSHClient:  # type: ignore[override]
        """The shared paramiko client (connected on first use)."""
        return self.connection.client()

    @property
    def ftp(self) -> _TakingTurns:  # type: ignore[override]
        """The shared SFTP session; each call takes it for itself (thread-safe)."""
        return _TakingTurns(self.connection, self.modes.file)

    @classmethod
    def _strip_protocol(cls, path: Any) -> str:
        return home_relative(infer_storage_options(str(path))["path"])

    def exists(self, path: str, **kwargs: Any) -> bool:
        """Whether ``path`` exists. Only "no such file" means no: a host that cannot be
        reached raises (fsspec's default answers False to any error)."""
        return self._kind(path) is not None

    def isdir(self, path: str) -> bool:
        """Whether ``path`` is a folder; raises, like :meth:`exists`, if the host fails."""
        return self._kind(path) == "directory"

    def isfile(self, path: str) -> bool:
        """Whether ``path`` is a file; raises, like :meth:`exists`, if the host fails."""
        return self._kind(path) == "file"

    def _kind(self, path: str) -> str | None:
        try:
            return self.info(path)["type"]
        except FileNotFoundError:
            return None

    def makedirs(self, path: str, exist_ok: bool = False, mode: int | None = None) -> None:
        """Create folder ``path`` and its missing parents (``mode``: ``dir_mode`` unless
        given): one round trip when it exists, and no error when another client creates
        one of them at the same time."""
        path = self._strip_protocol(path)
        mode = self.modes.dir if mode is None else mode
        if self._kind(path) == "directory":
            if not exist_ok:
                raise FileExistsError(errno.EEXIST, f"File exists: {path}")
            return
        with self.connection.sftp() as sftp:
            current = "/" if path.startswith("/") else ""
            for part in filter(None, path.split("/")):
                current = posixpath.join(current, part)
                try:
                    sftp.mkdir(current, mode)
                except OSError:
                    if not _is_dir(sftp, current):
                        raise

    def mkdir(self, path: str, create_parents: bool = True, mode: int | None = None, **kwargs: Any) -> None:
        """Create folder ``path`` (``mode``: ``dir_mode`` unless given); FileExistsError if
        something is there."""
        path = self._strip_protocol(path)
        if self._kind(path) is not None:
            raise FileExistsError(errno.EEXIST, f"File exists: {path}")
        if create_parents:
            self.makedirs(path, exist_ok=True, mode=mode)
        else:
            self.ftp.mkdir(path, self.modes.dir if mode is None else mode)

    def ls(self, path: str, detail: bool = False, **kwargs: Any) -> list:
        path = self._strip_protocol(path)
        stats = [self._decode_stat(s, path) for s in self.ftp.listdir_attr(path)]
        return stats if detail else sorted(s["name"] for s in stats)

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        path = self._strip_protocol(path)
        with self.connection.sftp() as sftp, sftp.open(path, "rb") as f:
            size = f.stat().st_size if ranges.needs_size(start, end) else None
            offset, length = ranges.resolve(start, end, size)
            f.seek(offset)
            if length >= 0:
                return f.read(length) if length else b""
            return b"".join(iter(functools.partial(f.read, COPY_CHUNK), b""))

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Write ``value`` to ``path``; with ``mode="create"`` only if no file is there
        (``O_EXCL`` on the server: of concurrent creators exactly one succeeds)."""
        path = self._strip_protocol(path)
        flags = "wxb" if mode == "create" else "wb"  # paramiko needs "w" for write access; "x" adds O_EXCL
        with self.connection.sftp() as sftp:
            try:
                f = self._create(sftp, path, flags)
            except OSError as exc:
                # SFTP v3 has no "file exists" status: OpenSSH answers a plain failure.
                if mode == "create" and exc.errno is None and _exists(sftp, path):
                    raise FileExistsError(errno.EEXIST, f"File exists: {path}") from None
                raise
            with f:
                f.write(value)

    def put_file(
        self, lpath: str, rpath: str, callback: Callback = DEFAULT_CALLBACK, **kwargs: Any
    ) -> None:
        """Upload the local file ``lpath`` to ``rpath`` (a new file gets ``file_mode``; its
        folder is made if missing), its writes pipelined as paramiko's ``put`` does."""
        if os.path.isdir(lpath):
            self.makedirs(rpath, exist_ok=True)
            return
        rpath = self._strip_protocol(rpath)
        with open(lpath, "rb") as src, self.connection.sftp() as sftp:
            callback.set_size(os.fstat(src.fileno()).st_size)
            with self._create(sftp, rpath, "wb") as dst:
                dst.set_pipelined(True)
                while chunk := src.read(COPY_CHUNK):
                    dst.write(chunk)
                    callback.relative_update(len(chunk))

    def _create(self, sftp: paramiko.SFTPClient, path: str, mode: str) -> paramiko.SFTPFile:
        """Open ``path`` for writing with ``mode`` (``"wb"``, ``"wxb"``), creating it with
        ``file_mode``; its folder is made if it is missing (only then, as sshfs does)."""
        try:
            return open_owned(sftp, path, mode, self.modes.file)
        except FileNotFoundError:
            self.makedirs(self._parent(path), exist_ok=True)
            return open_owned(sftp, path, mode, self.modes.file)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy a file on the server (streamed through this client: SFTP v3 has no copy)."""
        source, target = self._strip_protocol(path1), self._strip_protocol(path2)
        with self.connection.sftp() as sftp, sftp.open(source, "rb") as src:
            with open_owned(sftp, target, "wb", self.modes.file) as dst:
                while chunk := src.read(COPY_CHUNK):
                    dst.write(chunk)

    def mv(
        self,
        path1: str,
        path2: str,
        recursive: bool = False,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Rename atomically, replacing ``path2`` if it exists (``posix-rename@openssh.com``;
        plain SFTP v3 rename refuses an existing target)."""
        source, target = self._strip_protocol(path1), self._strip_protocol(path2)
        with self.connection.sftp() as sftp:
            sftp.posix_rename(source, target)


def _is_dir(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        return stat.S_ISDIR(sftp.stat(path).st_mode or 0)
    except FileNotFoundError:
        return False


def _exists(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        sftp.stat(path)
    except FileNotFoundError:
        return False
    return True
