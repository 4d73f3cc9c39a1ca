"""The ``ssh`` system: the ``sshfs`` package's filesystem (asyncssh) made safe for Runs.

Changes to the stock ``sshfs.SSHFileSystem``, each for a guarantee rhcore relies on:

- host keys are verified against known_hosts (the stock one checks none by default),
  with the same accept-new rule as the ``sftp`` system;
- the connection opens on first use, within ``timeout`` seconds, and again after it
  dropped; failures are :class:`~rh_ssh_cluster.connection.SSHConnectionError` naming
  the host and port, never a secret;
- ``pipe_file(..., mode="create")`` is a real exclusive create (``O_EXCL``), and ``mv``
  replaces an existing target atomically (``posix-rename@openssh.com``), never by the
  copy-and-delete the stock one falls back to;
- ``~`` and ``~/...`` mean the login user's home, as relative paths do;
- ``cat_file(path, start, end)`` reads that byte range (the stock one ignores both and
  returns the whole file, so a followed log would repeat itself);
- what it creates is its owner's alone (files 0600, folders 0700, as on the local disk)
  unless ``data_config`` says ``file_mode``/``dir_mode``: a file gets its mode in the
  request that creates it, never by a chmod afterwards (a copy on the host, made by
  ``cp``, keeps its source's).

asyncssh runs on fsspec's event loop thread, so the filesystem may be used from many
threads; its SFTP channels are pooled by sshfs.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import weakref
from collections.abc import AsyncIterator
from typing import Any

import asyncssh
from asyncssh.sftp import SFTPClient, SFTPFailure, SFTPNoSuchFile
from fsspec.asyn import AsyncFileSystem, FSTimeoutError, sync, sync_wrapper
from fsspec.callbacks import DEFAULT_CALLBACK, Callback
from sshfs import SSHFileSystem
from sshfs.file import SSHFile
from sshfs.pools import SFTPSoftChannelPool
from sshfs.utils import wrap_exceptions

from rh_ssh_cluster import ranges
from rh_ssh_cluster.config import Modes, SSHSettings
from rh_ssh_cluster.connection import (
    HostKeyError,
    KnownHosts,
    SSHConnectionError,
    changed_host_message,
    check_key_files,
    connect_error,
    login_refused_message,
    unknown_host_message,
)
from rh_ssh_cluster.parents import MakesParents
from rh_ssh_cluster.paths import home_relative
from rhcore.spec import scrub

MAX_SFTP_CHANNELS = 8
"""SFTP channels per connection (OpenSSH allows 10 sessions; sshfs keeps 2 for commands)."""
SHELL_CHANNELS = 2
UPLOAD_CHUNK = 4 * 1024 * 1024
"""Bytes of a local file read at a time by ``put_file`` (asyncssh pipelines each write)."""


class _HostKeyChecker(asyncssh.SSHClient):
    """asyncssh asks this about a host key that known_hosts does not trust: accepted (and
    recorded) only with ``accept_new_hosts`` and only for a host known_hosts does not list
    at all: a changed key is always refused."""

    def __init__(self, settings: SSHSettings):
        self.settings = settings

    def validate_host_public_key(
        self, host: str, addr: str, port: int, key: asyncssh.SSHKey
    ) -> bool:
        known = KnownHosts(self.settings.known_hosts)
        if not self.settings.accept_new_hosts or known.keys(self.settings.host, self.settings.port):
            return False
        key_type, key_base64 = key.export_public_key("openssh").decode().split()[:2]
        known.add(self.settings.host, self.settings.port, key_type, key_base64)
        return True


async def open_client(settings: SSHSettings) -> asyncssh.SSHClientConnection:
    """A new asyncssh connection, logged in and host-verified per ``settings``."""
    check_key_files(settings)
    options: dict[str, Any] = {
        "port": settings.port,
        "username": settings.username,
        "known_hosts": (
            settings.known_hosts
            if KnownHosts(settings.known_hosts).keys(settings.host, settings.port)
            else asyncssh.import_known_hosts("")
        ),
        "client_factory": lambda: _HostKeyChecker(settings),
        "config": [],  # like the sftp system: ~/.ssh/config does not change what is asked
        "connect_timeout": settings.timeout,
        "login_timeout": settings.timeout,
        "keepalive_interval": 30,
    }
    if settings.private_keys:
        options.update(client_keys=list(settings.private_keys), agent_path=None)
    if settings.passphrase is not None:
        options["passphrase"] = settings.passphrase
    if settings.password is not None:
        options["password"] = settings.password
    try:
        return await asyncssh.connect(settings.host, **options)
    except asyncssh.HostKeyNotVerifiable:
        known = KnownHosts(settings.known_hosts).keys(settings.host, settings.port)
        raise HostKeyError(
            changed_host_message(settings) if known else unknown_host_message(settings)
        ) from None
    except asyncssh.PermissionDenied:
        raise SSHConnectionError(login_refused_message(settings)) from None
    except asyncssh.DisconnectError as exc:
        raise SSHConnectionError(
            scrub(f"Cannot connect to {settings.where}: {exc.reason}", settings.secrets)
        ) from None
    except Exception as exc:
        raise connect_error(settings, exc) from None


class _Live:
    """The current connection of a filesystem and its SFTP channel pool."""

    def __init__(self) -> None:
        self.client: asyncssh.SSHClientConnection | None = None
        self.pool: SFTPSoftChannelPool | None = None

    def usable(self) -> bool:
        return self.client is not None and not self.client.is_closed()

    async def close(self) -> None:
        pool, client = self.pool, self.client
        self.pool = self.client = None
        if pool is not None:
            with contextlib.suppress(Exception):
                await pool.close()
        if client is not None:
            client.close()
            with contextlib.suppress(Exception):
                await client.wait_closed()


def _close_on_collect(loop: asyncio.AbstractEventLoop, live: _Live) -> None:
    if loop is not None and loop.is_running():
        with contextlib.suppress(FSTimeoutError, RuntimeError):
            sync(loop, live.close, timeout=0.5)


class _LazyPool:
    """Stands where sshfs keeps its channel pool: connects on first use (or after a drop),
    then lends channels from the live pool."""

    def __init__(self, fs: RunSSHFileSystem):
        self._fs = weakref.proxy(fs)

    @contextlib.asynccontextmanager
    async def get(self) -> AsyncIterator[SFTPClient]:
        pool = await self._fs._connected_pool()
        async with pool.get() as channel:
            yield channel


class _CreatingSSHFile(SSHFile):
    """sshfs's file opened for writing: a file it creates gets the filesystem's
    ``file_mode`` from the start."""

    @wrap_exceptions
    async def _open_file(self) -> Any:
        async with self.fs._pool.get() as channel:
            if self.blocksize is None:
                self.blocksize = self._determine_block_size(channel) * self.max_requests
            return await channel.open(
                self.path,
                self.mode,
                attrs=self.fs.new_file,
                block_size=self.blocksize // self.max_requests,
                max_requests=self.max_requests,
            )


class RunSSHFileSystem(MakesParents, SSHFileSystem):
    """sshfs's filesystem over a host-verified connection opened on first use.

    Takes the ``data_config`` keys of :mod:`rh_ssh_cluster.config` as keyword arguments.
    A write makes its missing parent folders, as with the ``sftp`` system. Files and
    folders it creates get ``modes`` (owner-only by default).
    """

    protocol = ("ssh",)
    cachable = False  # one instance per connection is kept by the plugin instead

    def __init__(self, **data_config: Any):
        AsyncFileSystem.__init__(self)
        self.settings = SSHSettings.from_data_config(data_config, system="ssh")
        self.modes = Modes.from_data_config(data_config, system="ssh")
        self.new_file = asyncssh.SFTPAttrs(permissions=self.modes.file)
        """What a file this filesystem creates is created with."""
        self._live = _Live()
        self._pool = _LazyPool(self)
        self._client = None
        self._client_lock = asyncio.Semaphore(SHELL_CHANNELS)
        self._connect_lock = asyncio.Lock()
        weakref.finalize(self, _close_on_collect, self.loop, self._live)

    @classmethod
    def _strip_protocol(cls, path: Any) -> str:
        return home_relative(super()._strip_protocol(path))

    async def _connected_pool(self) -> SFTPSoftChannelPool:
        """The live channel pool, connecting first if there is no usable connection."""
        if not self._live.usable():
            async with self._connect_lock:
                if not self._live.usable():
                    await self._live.close()
                    client = await open_client(self.settings)
                    self._live.client, self._client = client, client
                    self._live.pool = SFTPSoftChannelPool(client, max_channels=MAX_SFTP_CHANNELS)
        assert self._live.pool is not None
        return self._live.pool

    def close_connection(self) -> None:
        """Close the connection; the next use opens a new one."""
        sync(self.loop, self._live.close)

    async def _execute(self, *args: Any, **kwargs: Any) -> asyncssh.SSHCompletedProcess:
        """Run a shell command on the host (connecting first if needed)."""
        await self._connected_pool()
        return await super()._execute(*args, **kwargs)

    execute = sync_wrapper(_execute)

    async def _isdir(self, path: str) -> bool:
        """Whether ``path`` is a folder. Only "no such file" means no: a host that cannot
        be reached raises (fsspec's default answers False to any error)."""
        try:
            return (await self._info(path))["type"] == "directory"
        except FileNotFoundError:
            return False

    async def _isfile(self, path: str) -> bool:
        """Whether ``path`` is a file; raises, like :meth:`_isdir`, if the host fails."""
        try:
            return (await self._info(path))["type"] == "file"
        except FileNotFoundError:
            return False

    async def _makedirs(
        self, path: str, *, exist_ok: bool = False, permissions: int | None = None, **kwargs: Any
    ) -> None:
        """Create folder ``path`` and its missing parents (``permissions``: ``dir_mode``
        unless given); one round trip when it exists (asyncssh tries every component,
        which is safe against concurrent creators)."""
        if exist_ok and await self._isdir(path):
            return
        permissions = self.modes.dir if permissions is None else permissions
        await super()._makedirs(path, exist_ok=exist_ok, permissions=permissions, **kwargs)

    makedirs = sync_wrapper(_makedirs)

    async def _mkdir(
        self, path: str, *, create_parents: bool = True, permissions: int | None = None, **kwargs: Any
    ) -> None:
        """Create folder ``path`` (``permissions``: ``dir_mode`` unless given)."""
        permissions = self.modes.dir if permissions is None else permissions
        await super()._mkdir(path, create_parents=create_parents, permissions=permissions, **kwargs)

    mkdir = sync_wrapper(_mkdir)

    def _open_here(self, path: str, mode: str, block_size: Any, **kwargs: Any) -> Any:
        if any(flag in mode for flag in "wax"):
            return _CreatingSSHFile(self, path, mode, block_size, **kwargs)
        return super()._open_here(path, mode, block_size, **kwargs)

    @wrap_exceptions
    async def _pipe_file(
        self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any
    ) -> None:
        """Write ``value`` to ``path``; with ``mode="create"`` only if no file is there
        (``O_EXCL`` on the server: of concurrent creators exactly one succeeds)."""
        create = mode == "create"
        async with self._pool.get() as channel:
            try:
                f = await self._create(channel, path, "xb" if create else "wb")
            except SFTPFailure:
                # SFTP v3 has no "file exists" status: OpenSSH answers a plain failure.
                if create and await channel.exists(path):
                    raise FileExistsError(errno.EEXIST, f"File exists: {path}") from None
                raise
            async with f:
                await f.write(value)

    async def _create(self, channel: SFTPClient, path: str, mode: str) -> Any:
        """Open ``path`` for writing with ``mode`` (``"wb"``, ``"xb"``), creating it with
        ``file_mode``; its folder is made if it is missing (only then, as sshfs does)."""
        try:
            return await channel.open(path, mode, attrs=self.new_file)
        except SFTPNoSuchFile:
            await self._makedirs(self._parent(path), exist_ok=True)
            return await channel.open(path, mode, attrs=self.new_file)

    @wrap_exceptions
    async def _put_file(
        self, lpath: str, rpath: str, callback: Callback = DEFAULT_CALLBACK, **kwargs: Any
    ) -> None:
        """Upload the local file ``lpath`` to ``rpath`` (a new file gets ``file_mode``; its
        folder is made if missing). asyncssh's ``put`` would create it with none."""
        if os.path.isdir(lpath):
            await self._makedirs(rpath, exist_ok=True)
            return
        with open(lpath, "rb") as src:
            callback.set_size(os.fstat(src.fileno()).st_size)
            async with self._pool.get() as channel:
                async with await self._create(channel, rpath, "wb") as dst:
                    while chunk := src.read(UPLOAD_CHUNK):
                        await dst.write(chunk)
                        callback.relative_update(len(chunk))

    @wrap_exceptions
    async def _cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        """The bytes of ``path`` from ``start`` to ``end`` (fsspec's meaning: either may be
        None or negative, counted from the end)."""
        async with self._pool.get() as channel, channel.open(path, "rb") as f:
            if start is None and end is None:
                return await f.read()
            size = (await f.stat()).size if ranges.needs_size(start, end) else None
            offset, length = ranges.resolve(start, end, size)
            return await f.read(length, offset) if length else b""

    @wrap_exceptions
    async def _mv(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Rename atomically, replacing ``path2`` if it exists (``posix-rename@openssh.com``)."""
        async with self._pool.get() as channel:
            await channel.posix_rename(path1, path2)
