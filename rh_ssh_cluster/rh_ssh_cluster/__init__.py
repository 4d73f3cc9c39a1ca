"""rh-ssh-cluster: Runs on hosts reached over SSH.

Registers the cluster kind ``ssh`` (:mod:`rh_ssh_cluster.executor`: functions and
commands on a host, through a warm worker server there) and two storage systems through
the ``rhcore`` entry-point group:

``sftp``
    fsspec's ``SFTPFileSystem`` (paramiko), see :mod:`rh_ssh_cluster.sftp`.
``ssh``
    the ``sshfs`` package's ``SSHFileSystem`` (asyncssh), see :mod:`rh_ssh_cluster.ssh`.

Both take the same ``data_config`` (:mod:`rh_ssh_cluster.config`), verify host keys
against known_hosts by default, replace files atomically and create them exclusively,
and create files and folders owner-only (0600, 0700) unless ``file_mode``/``dir_mode``
say otherwise. Its password, passphrase and private key settings are the systems'
declared secret fields.
The SSH connection layer (:mod:`rh_ssh_cluster.connection`) is shared by the systems and
the executor: one connection per host, user and credentials.
"""

from __future__ import annotations

import os
import posixpath
import sys
import threading
from collections.abc import Callable
from typing import Any

from rh_ssh_cluster.config import Modes, SSHSettings
from rhcore import hookimpl
from rhcore.spec import LOCAL_RUN_DIR, Capabilities, ExecutorSpec, RunType, SystemSpec

__version__ = "0.1.0"

SYSTEMS = ("sftp", "ssh")
CAPABILITIES = Capabilities(atomic_rename=True, exclusive_create=True, posix_paths=True)
SECRET_FIELDS = ("password", "passphrase", "ssh_private_key", "key_filename", "client_keys")
"""The ``data_config`` keys that hold secrets (a key file's path says where the key is)."""

_ssh_filesystems: dict[tuple[SSHSettings, Modes, int], Any] = {}
_ssh_lock = threading.Lock()

# paramiko, sshfs and asyncssh are imported by the factories below, on first use: every
# process that loads rhcore's plugins would otherwise pay for them.


def _sftp_filesystem(data_config: dict) -> Any:
    from rh_ssh_cluster.sftp import RunSFTPFileSystem

    return RunSFTPFileSystem(**data_config)


def _ssh_filesystem(data_config: dict) -> Any:
    """One filesystem, hence one asyncssh connection, per host, user, credentials and
    modes of what it creates."""
    from rh_ssh_cluster.ssh import RunSSHFileSystem

    key = (
        SSHSettings.from_data_config(data_config, system="ssh"),
        Modes.from_data_config(data_config, system="ssh"),
        os.getpid(),
    )
    with _ssh_lock:
        fs = _ssh_filesystems.get(key)
        if fs is None:
            fs = _ssh_filesystems[key] = RunSSHFileSystem(**data_config)
        return fs


def close_all() -> None:
    """Close every SSH connection this process holds (sftp, ssh, shared clients); each
    reopens when next used. For a clean disconnect, e.g. before a server goes away."""
    connection = sys.modules.get("rh_ssh_cluster.connection")
    if connection is not None:
        connection.close_all()
    with _ssh_lock:
        filesystems = list(_ssh_filesystems.values())
    for fs in filesystems:
        fs.close_connection()


@hookimpl
def rhcore_register_systems(register: Callable[[SystemSpec], None]) -> None:
    """Register ``sftp`` and ``ssh``: both atomic-rename, exclusive-create, POSIX paths."""
    register(
        SystemSpec(
            name="sftp",
            protocols=("sftp",),
            capabilities=CAPABILITIES,
            description="a host over SFTP (paramiko), host keys checked against known_hosts",
            factory=_sftp_filesystem,
            secret_fields=SECRET_FIELDS,
        )
    )
    register(
        SystemSpec(
            name="ssh",
            protocols=("ssh",),
            capabilities=CAPABILITIES,
            description="a host over SSH (sshfs, asyncssh), host keys checked against known_hosts",
            factory=_ssh_filesystem,
            secret_fields=SECRET_FIELDS,
        )
    )


def _ssh_executor(cluster):
    from rh_ssh_cluster.executor import SSHExecutor

    return SSHExecutor(cluster)


def _public_settings(settings: dict) -> dict:
    from rh_ssh_cluster.executor import public_settings

    return public_settings(settings)


@hookimpl
def rhcore_register_executors(register: Callable[[ExecutorSpec], None]) -> None:
    """Register the cluster kind ``ssh``: ``rh.cluster(name=..., ips=[...], ssh_creds=...)``."""
    register(
        ExecutorSpec(
            "ssh",
            _ssh_executor,
            "a host over SSH: a warm worker server there, Run folders over SFTP",
            public_settings=_public_settings,
        )
    )


@hookimpl
def rhcore_default_run_path(system: str, name: str, run_type: RunType) -> str | None:
    """On an SSH host, paths are relative to the login user's home: a ``with`` block's Run
    goes to ``~/rh/<name>`` (as ``./rh/<name>`` locally), a function or command Run to
    ``~/.rh/logs/<name>``, where a cluster keeps the Runs it executes."""
    if system not in SYSTEMS:
        return None
    if run_type is RunType.CTX_MANAGER:
        return posixpath.join(LOCAL_RUN_DIR, name)
    return posixpath.join(".rh", "logs", name)
