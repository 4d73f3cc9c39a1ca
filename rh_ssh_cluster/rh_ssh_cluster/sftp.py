"""The ``sftp`` system: fsspec's ``SFTPFileSystem`` (paramiko) made safe for Runs.

Changes to the stock filesystem, each for a guarantee rhcore relies on:

- host keys are verified (see :mod:`rh_ssh_cluster.connection`); the stock one accepts
  any host key unless told otherwise;
- one shared connection per host, user and credentials, opened on first use, and usable
  from many threads (calls on the SFTP session take turns);
- ``pipe_file(..., mode="create")`` is a real exclusive create (``O_EXCL``), and ``mv``
  replaces an existing target atomically (``posix-rename@openssh.com``);
- ``~`` and ``~/...`` mean the login user's home, as relative paths do;
- ``cat_file`` reads byte ranges counted from the end too (the stock one fails on them).
"""

from __future__ import annotations

import errno
import functools
import posixpath
import stat
from collections.abc import Callable
from typing import Any

import paramiko
from fsspec.implementations.sftp import SFTPFileSystem
from fsspec.spec import AbstractFileSystem
from fsspec.utils import infer_storage_options

from rh_ssh_cluster import ranges
from rh_ssh_cluster.config import SSHSettings
from rh_ssh_cluster.connection import SSHConnection, connection
from rh_ssh_cluster.parents import MakesParents
from rh_ssh_cluster.paths import home_relative

COPY_CHUNK = 1024 * 1024


class _TakingTurns:
    """The SFTP session of a connection, seen as an ``SFTPClient`` whose every call takes
    the session for itself; files it opens do the same for each of their calls."""

    def __init__(self, conn: SSHConnection):
        self._conn = conn

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
    tests expect), only when they are missing: no round trip otherwise.
    """

    protocol = ("sftp",)
    cachable = False  # connections are shared by rh_ssh_cluster.connection instead

    def __init__(self, **data_config: Any):
        AbstractFileSystem.__init__(self)
        self.settings = SSHSettings.from_data_config(data_config, system="sftp")
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
        return _TakingTurns(self.connection)

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

    def makedirs(self, path: str, exist_ok: bool = False, mode: int = 0o777) -> None:
        """Create folder ``path`` and its missing parents: one round trip when it exists,
        and no error when another client creates one of them at the same time."""
        path = self._strip_protocol(path)
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
                try:
                    f = sftp.open(path, flags)
                except FileNotFoundError:  # its folder is missing: made (only then), as sshfs does
                    self.makedirs(self._parent(path), exist_ok=True)
                    f = sftp.open(path, flags)
            except OSError as exc:
                # SFTP v3 has no "file exists" status: OpenSSH answers a plain failure.
                if mode == "create" and exc.errno is None and _exists(sftp, path):
                    raise FileExistsError(errno.EEXIST, f"File exists: {path}") from None
                raise
            with f:
                f.write(value)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy a file on the server (streamed through this client: SFTP v3 has no copy)."""
        source, target = self._strip_protocol(path1), self._strip_protocol(path2)
        with self.connection.sftp() as sftp, sftp.open(source, "rb") as src:
            with sftp.open(target, "wb") as dst:
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
