"""SSH connections with verified host keys, shared per process.

One :class:`SSHConnection` per set of :class:`~rh_ssh_cluster.config.SSHSettings` (host,
port, user and credentials) and process: the ``sftp`` system and, later, the SSH executor
share its authenticated paramiko transport, which can carry many channels at once (SFTP
sessions, command executions). It connects on first use and again after the connection
dropped.

Host keys are checked against a known_hosts file, as ``ssh`` does: an unknown host is
refused unless ``accept_new_hosts`` is set (then its key is recorded, like
``StrictHostKeyChecking=accept-new``), and a key that differs from the recorded one is
always refused. Every failure to connect is an :class:`SSHConnectionError` that names
the system, host, port and user, and never a password or key.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import paramiko

from rh_ssh_cluster.config import SSHSettings
from rhcore import StorageError
from rhcore.spec import scrub


class SSHConnectionError(StorageError):
    """Connecting or logging in to an SSH host failed (refused, timed out, bad credentials)."""


class HostKeyError(SSHConnectionError):
    """The host's key is not in known_hosts, or differs from the key recorded there."""


def known_hosts_name(host: str, port: int) -> str:
    """How known_hosts names a host: ``host`` on port 22, ``[host]:port`` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


_known_hosts_lock = threading.Lock()


class KnownHosts:
    """A known_hosts file: look up a host's recorded keys, record a new host's key."""

    def __init__(self, path: str):
        self.path = path

    def keys(self, host: str, port: int) -> dict[str, paramiko.PKey]:
        """The keys recorded for ``host``:``port``, by key type (``{}`` if none or no file)."""
        if not os.path.isfile(self.path):
            return {}
        found = paramiko.HostKeys(self.path).lookup(known_hosts_name(host, port))
        return dict(found) if found else {}

    def add(self, host: str, port: int, key_type: str, key_base64: str) -> None:
        """Append ``host``:``port``'s key, creating the file (mode 0600) if needed."""
        line = f"{known_hosts_name(host, port)} {key_type} {key_base64}\n"
        with _known_hosts_lock:
            os.makedirs(os.path.dirname(self.path) or ".", mode=0o700, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a") as f:
                f.write(line)


class _UnknownHostKey(paramiko.SSHException):
    """Raised by the host key policy to refuse a host that known_hosts does not list."""


class _KnownHostsPolicy(paramiko.MissingHostKeyPolicy):
    """paramiko's policy for a host without a known_hosts entry: refuse it, or (accept-new)
    record its key and go on. Hosts with an entry never reach the policy: paramiko itself
    compares their key and raises BadHostKeyException on a mismatch."""

    def __init__(self, settings: SSHSettings):
        self.settings = settings

    def missing_host_key(
        self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey
    ) -> None:
        if not self.settings.accept_new_hosts:
            raise _UnknownHostKey(hostname)
        KnownHosts(self.settings.known_hosts).add(
            self.settings.host, self.settings.port, key.get_name(), key.get_base64()
        )
        client.get_host_keys().add(hostname, key.get_name(), key)


def unknown_host_message(settings: SSHSettings) -> str:
    """Why a host without a known_hosts entry is refused, and what to do about it."""
    return (
        f"Cannot connect to {settings.where}: its host key is unknown (no entry for "
        f"{known_hosts_name(settings.host, settings.port)} in known_hosts file "
        f"{settings.known_hosts}). Add the host's key to that file after checking its "
        f"fingerprint, or set accept_new_hosts=True in data_config to trust it on first use."
    )


def changed_host_message(settings: SSHSettings) -> str:
    """Why a host whose key differs from its known_hosts entry is refused."""
    return (
        f"Cannot connect to {settings.where}: its host key does not match the key recorded "
        f"in known_hosts file {settings.known_hosts}. The host was reinstalled, or someone "
        f"is intercepting the connection; remove the old entry only if you know which."
    )


def login_refused_message(settings: SSHSettings) -> str:
    """Why the server refused the login (which credential, it does not say)."""
    return f"Cannot log in to {settings.where}: authentication failed (key or password refused)"


def connect_error(settings: SSHSettings, exc: BaseException) -> SSHConnectionError:
    """The :class:`SSHConnectionError` for a failure to connect, without secrets."""
    where, timeout = settings.where, settings.timeout
    if isinstance(exc, (ConnectionRefusedError, paramiko.ssh_exception.NoValidConnectionsError)):
        message = f"Cannot connect to {where}: connection refused (no SSH server listens there)"
    elif isinstance(exc, (socket.timeout, TimeoutError)) or (
        # paramiko stops waiting for the handshake after `timeout`, then reports the
        # missing banner or, when it tries to log in, the missing session.
        isinstance(exc, paramiko.SSHException)
        and ("banner" in str(exc) or "No existing session" in str(exc))
    ):
        message = (
            f"Cannot connect to {where}: no SSH answer within {timeout:g} s "
            "(host unreachable, or no SSH server on that port)"
        )
    elif isinstance(exc, paramiko.AuthenticationException):
        message = login_refused_message(settings)
    elif isinstance(exc, OSError):
        message = f"Cannot connect to {where}: {exc.strerror or exc}"
    else:
        message = f"Cannot connect to {where}: {type(exc).__name__}: {exc}"
    return SSHConnectionError(scrub(message, settings.secrets))


def check_key_files(settings: SSHSettings) -> None:
    """Fail clearly, before connecting, when a private key file is missing."""
    for path in settings.private_keys:
        if not os.path.isfile(path):
            raise SSHConnectionError(
                f"Cannot log in to {settings.where}: a file given as ssh_private_key does not exist"
            )


def open_client(settings: SSHSettings) -> paramiko.SSHClient:
    """A new paramiko client, connected, logged in and host-verified per ``settings``.

    Raises :class:`HostKeyError` for an unknown or changed host key, and
    :class:`SSHConnectionError` for any other failure, within ``settings.timeout`` seconds
    per step (TCP connect, banner, login).
    """
    check_key_files(settings)
    client = paramiko.SSHClient()
    if os.path.isfile(settings.known_hosts):
        client.load_host_keys(settings.known_hosts)
    client.set_missing_host_key_policy(_KnownHostsPolicy(settings))
    keys = list(settings.private_keys)
    try:
        client.connect(
            settings.host,
            port=settings.port,
            username=settings.username,
            password=settings.password,
            passphrase=settings.passphrase,
            key_filename=keys or None,
            look_for_keys=not keys,
            allow_agent=not keys,
            timeout=settings.timeout,
            banner_timeout=settings.timeout,
            auth_timeout=settings.timeout,
            channel_timeout=settings.timeout,
        )
    except _UnknownHostKey:
        client.close()
        raise HostKeyError(unknown_host_message(settings)) from None
    except paramiko.BadHostKeyException:
        client.close()
        raise HostKeyError(changed_host_message(settings)) from None
    except Exception as exc:
        client.close()
        raise connect_error(settings, exc) from None
    transport = client.get_transport()
    if transport is not None:
        transport.set_keepalive(30)
    return client


class SSHConnection:
    """One shared, lazily opened SSH connection: an authenticated paramiko client and
    (when files are used) one SFTP session on it.

    :meth:`client` may be used from any thread (paramiko's Transport multiplexes
    channels). The SFTP session is used through :meth:`sftp`, one thread at a time:
    paramiko's ``SFTPClient`` reads replies in whichever thread waits and drops a reply
    meant for another thread's request, which then waits forever.
    """

    def __init__(self, settings: SSHSettings):
        self.settings = settings
        self._connect_lock = threading.Lock()
        self._sftp_lock = threading.RLock()
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None

    def __repr__(self) -> str:
        return f"SSHConnection({self.settings.where})"

    def client(self) -> paramiko.SSHClient:
        """The connected client (connecting, or reconnecting after a drop, if needed)."""
        with self._connect_lock:
            client = self._client
            transport = client.get_transport() if client is not None else None
            if transport is None or not transport.is_active():
                if client is not None:
                    client.close()
                client = self._client = open_client(self.settings)
            return client

    @contextlib.contextmanager
    def sftp(self) -> Iterator[paramiko.SFTPClient]:
        """The SFTP session, for this thread alone until the block ends.

        A session that fails at the transport level (dropped, timed out) is discarded so
        the next block gets a fresh one.
        """
        with self._sftp_lock:
            client = self.client()
            sftp = self._sftp
            if (
                sftp is None
                or sftp.get_channel().closed
                or sftp.get_channel().get_transport() is not client.get_transport()
            ):
                try:
                    sftp = self._sftp = client.open_sftp()
                except Exception as exc:
                    raise connect_error(self.settings, exc) from None
                sftp.get_channel().settimeout(self.settings.timeout)
            try:
                yield sftp
            except (EOFError, TimeoutError, paramiko.SSHException):
                self._sftp = None
                sftp.close()
                raise

    def close(self) -> None:
        """Close the connection; the next use opens a new one."""
        with self._sftp_lock, self._connect_lock:
            if self._client is not None:
                self._client.close()
            self._client = self._sftp = None


_connections: dict[tuple[SSHSettings, int], SSHConnection] = {}
_connections_lock = threading.Lock()


def connection(settings: SSHSettings) -> SSHConnection:
    """The process's shared connection for ``settings`` (not opened until first used)."""
    key = (settings, os.getpid())
    with _connections_lock:
        conn = _connections.get(key)
        if conn is None:
            conn = _connections[key] = SSHConnection(settings)
        return conn


def connect(data_config: Mapping[str, Any], system: str = "ssh") -> paramiko.SSHClient:
    """The shared, connected paramiko client for ``data_config`` (keys as for the
    ``sftp``/``ssh`` systems). Callers open channels on it and must not close it."""
    return connection(SSHSettings.from_data_config(data_config, system)).client()


def close_all() -> None:
    """Close every shared connection of this process (each reopens when next used)."""
    with _connections_lock:
        conns = list(_connections.values())
    for conn in conns:
        conn.close()
