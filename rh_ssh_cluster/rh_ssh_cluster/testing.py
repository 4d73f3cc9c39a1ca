"""A real OpenSSH server on 127.0.0.1, for tests and benchmarks (``shared/SERVICES.md``
§1): fresh host and client keys, authorized_keys, known_hosts and sshd_config in a
folder, ``sshd -D -e`` on a free port. :meth:`SSHServer.start` starts one; ``stop`` stops
it. Plugin test suites and ``bench/bench_ssh.py`` share it."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import attrs

from rhcore.testing.servers import free_port

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
READY_SECONDS = 30


@attrs.frozen
class SSHServer:
    """A running sshd and how to log in to it."""

    host: str
    port: int
    username: str
    private_key: str
    known_hosts: str
    host_public_key: str
    """``type base64`` of the server's host key."""
    dir: Path
    """The server's state folder; tests may keep their files under ``dir / "data"``."""
    process: subprocess.Popen = attrs.field(eq=False, repr=False)

    @classmethod
    def start(cls, folder: Path) -> SSHServer:
        """Set up keys and config in ``folder`` (made absolute: sshd needs it) and start sshd."""
        if not os.path.exists(SSHD):
            raise RuntimeError(f"{SSHD} is missing: apt-get install -y openssh-server")
        d = Path(folder).resolve()
        d.mkdir(parents=True, exist_ok=True)
        host_key = keygen(d / "host_key")
        keygen(d / "id_ed25519")
        shutil.copy(d / "id_ed25519.pub", d / "authorized_keys")
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        (d / "data").mkdir(exist_ok=True)
        for attempt in range(3):  # the free port may be taken before sshd binds it
            port = free_port()
            try:
                process = _start(d, port)
                break
            except RuntimeError:
                if attempt == 2:
                    raise
        (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_key}\n")
        return cls(host="127.0.0.1", port=port, username=getpass.getuser(),
                   private_key=str(d / "id_ed25519"), known_hosts=str(d / "known_hosts"),
                   host_public_key=host_key, dir=d, process=process)

    def stop(self) -> None:
        """Disconnect this process's clients (a clean close, not a dropped connection), then
        stop sshd."""
        import rh_ssh_cluster

        rh_ssh_cluster.close_all()
        self.process.terminate()
        self.process.wait()

    @property
    def data_config(self) -> dict:
        """A ``data_config`` for the ``sftp`` and ``ssh`` systems."""
        return {
            "host": self.host,
            "port": self.port,
            "username": self.username,
            "ssh_private_key": self.private_key,
            "known_hosts": self.known_hosts,
        }


def keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return " ".join(path.with_suffix(".pub").read_text().split()[:2])


def _wait_ready(proc: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.settimeout(2)
                if s.recv(64).startswith(b"SSH-2.0-"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(
        f"sshd not ready on port {port} after {READY_SECONDS} s: {log.read_text()[-2000:]}"
    )


def _start(d: Path, port: int) -> subprocess.Popen:
    config = d / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {d / 'host_key'}",
                f"PidFile {d / 'sshd.pid'}",
                f"AuthorizedKeysFile {d / 'authorized_keys'}",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "UsePAM no",
                "Subsystem sftp internal-sftp",
            ]
        )
        + "\n"
    )
    log = d / "sshd.log"
    with open(log, "ab") as err:
        proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
            start_new_session=True,
        )
    try:
        _wait_ready(proc, port, log)
    except Exception:
        proc.terminate()
        proc.wait()
        raise
    return proc


