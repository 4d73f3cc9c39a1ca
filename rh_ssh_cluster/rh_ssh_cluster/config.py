"""How to reach an SSH host: the ``data_config`` of the ``sftp`` and ``ssh`` systems.

Both systems take the same keys, so one ``data_config`` works for either (and, later, for
an SSH cluster):

``host`` (required)
    name or address of the SSH server.
``port``
    its port (22).
``username`` (or ``ssh_user``)
    the login user (default: the local user, as ``ssh`` does).
``ssh_private_key`` (or paramiko's ``key_filename``, or asyncssh's ``client_keys``)
    path of a private key file, or a list of paths. When given, only these keys are tried
    (like ``IdentitiesOnly yes``); when not, the default keys in ``~/.ssh`` and a running
    agent are, as ``ssh`` does.
``passphrase``
    the passphrase of an encrypted private key.
``password``
    a login password (most servers only take keys).
``known_hosts``
    path of the known_hosts file the host key is checked against
    (default ``~/.ssh/known_hosts``).
``accept_new_hosts``
    ``True`` trusts a host that has no entry yet and records its key in ``known_hosts``
    (OpenSSH's ``StrictHostKeyChecking=accept-new``). A key that differs from the
    recorded one is refused either way. Default ``False``: unknown hosts are refused.
``timeout``
    seconds to wait for the TCP connection, the SSH handshake, the login, and any single
    reply of the server (10).
``file_mode``, ``dir_mode``
    the permissions of the files and folders the systems create (0o600 and 0o700: their
    owner's alone, as on the local disk); e.g. 0o640 and 0o750 share them with a group.
    The server's umask still applies. They say nothing about the connection.

Key paths, passwords and passphrases are secrets for :mod:`rhcore.secrets`: they are
never written to a Run's config and are scrubbed from error messages.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from typing import Any

import attrs

DEFAULT_PORT = 22
DEFAULT_TIMEOUT = 10.0
DEFAULT_FILE_MODE = 0o600
DEFAULT_DIR_MODE = 0o700
MODE_KEYS = ("file_mode", "dir_mode")
"""``data_config`` keys of :class:`Modes`, not of the connection."""

_ALIASES: dict[str, tuple[str, ...]] = {
    "username": ("username", "ssh_user"),
    "ssh_private_key": ("ssh_private_key", "key_filename", "client_keys"),
}
_KEYS = frozenset(
    {"host", "port", "passphrase", "password", "known_hosts", "accept_new_hosts", "timeout"}
    | set(MODE_KEYS)
    | {alias for names in _ALIASES.values() for alias in names}
)


def _paths(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (str, os.PathLike)):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(v, (str, os.PathLike)) for v in value
    ):
        raise ValueError("ssh_private_key must be a key file path or a list of paths")
    return tuple(os.path.abspath(os.path.expanduser(os.fspath(v))) for v in value)


def _mode(value: Any, key: str, system: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0o7777:
        raise ValueError(
            f"data_config for system {system!r}: {key!r} must be permission bits such as 0o640"
        )
    return value


@attrs.frozen
class Modes:
    """The permissions of what a system creates on the host: owner-only unless
    ``data_config`` says ``file_mode``/``dir_mode`` (the names of the local system's)."""

    file: int = DEFAULT_FILE_MODE
    dir: int = DEFAULT_DIR_MODE

    @classmethod
    def from_data_config(cls, data_config: Mapping[str, Any], system: str = "ssh") -> Modes:
        config = data_config or {}
        file_mode, dir_mode = (config.get(key) for key in MODE_KEYS)
        return cls(
            file=DEFAULT_FILE_MODE if file_mode is None else _mode(file_mode, "file_mode", system),
            dir=DEFAULT_DIR_MODE if dir_mode is None else _mode(dir_mode, "dir_mode", system),
        )


@attrs.frozen
class SSHSettings:
    """Everything needed to open an authenticated, host-verified SSH connection.

    Equal settings share one connection per process (see
    :func:`rh_ssh_cluster.connection.connection`). Secrets stay out of ``repr``.
    """

    host: str
    port: int = DEFAULT_PORT
    username: str = attrs.field(factory=getpass.getuser)
    private_keys: tuple[str, ...] = attrs.field(default=(), repr=False)
    """Absolute paths of the private key files to offer; empty: ``~/.ssh`` keys and agent."""
    passphrase: str | None = attrs.field(default=None, repr=False)
    password: str | None = attrs.field(default=None, repr=False)
    known_hosts: str = attrs.field(
        factory=lambda: os.path.expanduser(os.path.join("~", ".ssh", "known_hosts"))
    )
    accept_new_hosts: bool = False
    timeout: float = DEFAULT_TIMEOUT
    system: str = attrs.field(default="ssh", eq=False)
    """The system (or cluster kind) these settings serve, named in error messages."""

    @classmethod
    def from_data_config(cls, data_config: Mapping[str, Any], system: str = "ssh") -> SSHSettings:
        """Read a ``data_config`` (keys in the module docstring); unknown keys are an error,
        so a misspelt ``known_host`` cannot silently fall back to a default."""
        config = dict(data_config or {})
        unknown = sorted(set(config) - _KEYS)
        if unknown:
            raise ValueError(
                f"Unknown data_config key(s) for system {system!r}: {', '.join(unknown)}. "
                f"Accepted: {', '.join(sorted(_KEYS))}"
            )
        values: dict[str, Any] = {}
        for canonical, names in _ALIASES.items():
            given = [n for n in names if config.get(n) is not None]
            if len(given) > 1:
                raise ValueError(
                    f"data_config for system {system!r} gives both {given[0]!r} and {given[1]!r}; "
                    "use one"
                )
            if given:
                values[canonical] = config.pop(given[0])
            for name in names:
                config.pop(name, None)
        host = config.get("host")
        if not isinstance(host, str) or not host:
            raise ValueError(f"data_config for system {system!r} needs 'host' (the SSH server)")
        try:
            port = int(config.get("port") or DEFAULT_PORT)
            timeout = float(config.get("timeout") or DEFAULT_TIMEOUT)
        except (TypeError, ValueError):
            port = timeout = 0
        if not 0 < port < 65536 or timeout <= 0:
            raise ValueError(
                f"data_config for system {system!r}: 'port' must be a port number and "
                "'timeout' a positive number of seconds"
            )
        accept_new_hosts = config.get("accept_new_hosts", False)
        if not isinstance(accept_new_hosts, bool):  # "false" must not mean True
            raise ValueError(
                f"data_config for system {system!r}: 'accept_new_hosts' must be True or False"
            )
        known_hosts = config.get("known_hosts")
        return cls(
            host=host,
            port=port,
            username=values.get("username") or getpass.getuser(),
            private_keys=_paths(values.get("ssh_private_key")),
            passphrase=config.get("passphrase"),
            password=config.get("password"),
            known_hosts=(
                os.path.abspath(os.path.expanduser(os.fspath(known_hosts)))
                if known_hosts
                else os.path.expanduser(os.path.join("~", ".ssh", "known_hosts"))
            ),
            accept_new_hosts=accept_new_hosts,
            timeout=timeout,
            system=system,
        )

    @property
    def where(self) -> str:
        """``system user@host port N``: how errors name the connection (never a secret)."""
        return f"{self.system} {self.username}@{self.host} port {self.port}"

    @property
    def secrets(self) -> dict[str, Any]:
        """The secret values, keyed so that :func:`rhcore.secrets.scrub` removes them."""
        return {
            "password": self.password,
            "passphrase": self.passphrase,
            "ssh_private_key": list(self.private_keys),
        }
