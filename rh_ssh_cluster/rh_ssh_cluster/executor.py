"""The SSH executor: functions and commands on a host reached over SSH.

``rh.cluster(name="cpu", ips=["10.0.0.5"], ssh_port=22, ssh_creds={...}, python="python3")``
keeps one warm ``rhcore.worker`` server on the host, started over the cluster's one SSH
connection and spoken to over that connection's channel; jobs are forked there, exactly as
on the local cluster. The client reads and writes the host's Run folders over SFTP on the
same connection.

``ssh_creds`` keys: ``ssh_user``, ``ssh_private_key`` (a key file path), ``known_hosts``
(a file path), ``accept_new_hosts``, ``password``, ``passphrase``, ``timeout``. Host keys
are verified against known_hosts; a saved cluster records the user, the key and
known_hosts *paths* — how to connect — never a password or passphrase.
"""

from __future__ import annotations

import posixpath
import shlex
from typing import Any

import paramiko

from rh_ssh_cluster.config import MODE_KEYS, SSHSettings
from rh_ssh_cluster.connection import connect_error, connection
from rhcore import Folder, RhcoreError
from rhcore.execution import (
    WORKER_COMMAND,
    FolderRef,
    ServerExecutor,
    WorkerConnection,
    caller_registry,
    remote_install_hint,
)
from rhcore.spec import scrub

CREDENTIAL_KEYS = {
    "ssh_user": "username",
    "ssh_private_key": "ssh_private_key",
    "known_hosts": "known_hosts",
    "accept_new_hosts": "accept_new_hosts",
    "password": "password",
    "passphrase": "passphrase",
    "timeout": "timeout",
}
SECRET_CREDENTIALS = ("password", "passphrase")


class RemoteSetupError(RhcoreError):
    """The host cannot run rhcore's worker (no such Python, or rhcore not installed there)."""


def public_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """What a saved SSH cluster records: how to connect (user, port, key and known_hosts
    paths, python), never a password or passphrase."""
    public = dict(settings)
    creds = {k: v for k, v in (settings.get("ssh_creds") or {}).items() if k not in SECRET_CREDENTIALS}
    if creds:
        public["ssh_creds"] = creds
    else:
        public.pop("ssh_creds", None)
    return public


def data_config_of(settings: dict[str, Any]) -> dict[str, Any]:
    """The ``sftp`` system's ``data_config`` for a cluster's settings."""
    ips = settings.get("ips") or []
    if not ips:
        raise ValueError("An SSH cluster needs ips=[...] (the host to run on)")
    config: dict[str, Any] = {"host": ips[0], "port": int(settings.get("ssh_port") or 22)}
    creds = settings.get("ssh_creds") or {}
    unknown = sorted(set(creds) - set(CREDENTIAL_KEYS))
    if unknown:
        raise ValueError(f"Unknown ssh_creds key(s): {', '.join(unknown)}; "
                         f"accepted: {', '.join(sorted(CREDENTIAL_KEYS))}")
    for key, value in creds.items():
        if value is not None:
            config[CREDENTIAL_KEYS[key]] = value
    return config


class SSHExecutor(ServerExecutor):
    """Runs a cluster's work on its first host, through a warm worker server there."""

    pickle_by_value = True  # the host imports installed packages, not the caller's modules

    def __init__(self, cluster):
        super().__init__(cluster)
        self.data_config = data_config_of(cluster.settings)
        self.ssh = SSHSettings.from_data_config(self.data_config, system=f"cluster {cluster.name!r}")
        self.python = cluster.settings.get("python") or "python3"

    @property
    def where(self) -> str:
        return f"{self.ssh.username}@{self.ssh.host}:{self.ssh.port}"

    def open_connection(self) -> WorkerConnection:
        """Start ``python -m rhcore.worker serve`` on the host over the shared connection."""
        client = connection(self.ssh).client()
        try:
            channel = client.get_transport().open_session(timeout=self.ssh.timeout)
            channel.settimeout(self.ssh.timeout)
            channel.exec_command(shlex.join([self.python, *WORKER_COMMAND]))
        except (paramiko.SSHException, OSError) as exc:
            raise connect_error(self.ssh, exc) from None

        def on_close() -> str:
            return self._explain(channel)

        try:
            worker = WorkerConnection(
                channel.makefile("rb"),
                channel.makefile_stdin("wb"),
                describe=f"the worker server of cluster {self.cluster.name!r} on {self.where}",
                on_close=on_close,
            )
        except TimeoutError:
            channel.close()
            raise RemoteSetupError(
                f"The worker server of cluster {self.cluster.name!r} on {self.where} did not "
                f"answer within {self.ssh.timeout:g} s"
            ) from None
        channel.settimeout(None)  # from now on the reader thread waits as long as needed
        return worker

    def _explain(self, channel: paramiko.Channel) -> str:
        """Why the remote worker went away, with what to do about the usual causes."""
        channel.status_event.wait(self.ssh.timeout)  # the exit status tells the causes apart
        stderr = b""
        while channel.recv_stderr_ready():
            stderr += channel.recv_stderr(65536)
        text = scrub(stderr.decode("utf-8", "replace").strip()[-2000:], self.ssh.secrets)
        status = channel.recv_exit_status() if channel.exit_status_ready() else None
        if status in (126, 127) or f"{self.python}: No such file" in text or "command not found" in text:
            return (f"{self.python!r} was not found on {self.ssh.host}: install Python 3.10+ "
                    "there, or pass python='/path/to/python' to rh.cluster")
        if "No module named rhcore" in text or "No module named 'rhcore'" in text:
            return (f"rhcore is not installed for {self.python} on {self.ssh.host}: "
                    f"{remote_install_hint(self.python)}")
        return text or (f"exit status {status}" if status is not None else "")

    def store(self) -> Folder:
        """The host's ``~/.rh/logs`` (or the cluster's ``logs_dir``), over SFTP; or the
        cluster's shared ``run_store``."""
        run_store = self.cluster.run_store_folder()
        if run_store is not None:
            return run_store
        logs_dir = self.cluster.settings.get("logs_dir") or posixpath.join(
            self.connection.server_home, ".rh", "logs"
        )
        return Folder(logs_dir, "sftp", self.data_config)

    def worker_folder(self, folder: Folder) -> FolderRef:
        """The host's own view of a folder: its files, for a folder reached over SFTP (made
        with the same ``file_mode``/``dir_mode``)."""
        if folder.system in ("sftp", "ssh") and folder.data_config.get("host") == self.ssh.host:
            modes = {key: folder.data_config[key] for key in MODE_KEYS if key in folder.data_config}
            return FolderRef("file", folder.path, modes)
        return super().worker_folder(folder)

    def job_context(self) -> dict[str, Any]:
        """The caller's registry, when the host can reach it (a shared one, not a local
        folder of the caller's machine)."""
        url, data_config = caller_registry()
        if "://" not in url or url.startswith("file://"):
            return {}
        return {"registry": (url, data_config)}
