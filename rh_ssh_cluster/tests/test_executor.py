"""The SSH executor: rhcore's executor contract on a real sshd, and what SSH adds —
one reused connection, host key checks, secrets, and fast, clear failures."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time

import pytest
from rh_ssh_cluster.connection import HostKeyError, SSHConnectionError

import rhcore as rh
from rhcore.testing import ExecutorContract
from rhcore.testing.executor import summer


def ssh_cluster(sshd, name="cpu", **extra):
    """An SSH cluster on the test sshd, keeping its Run folders under the server's data dir."""
    return rh.cluster(
        name=name,
        ips=[sshd.host],
        ssh_port=sshd.port,
        ssh_creds={"ssh_user": sshd.username, "ssh_private_key": sshd.private_key,
                   "known_hosts": sshd.known_hosts, **extra.pop("creds", {})},
        python=extra.pop("python", sys.executable),
        logs_dir=str(sshd.dir / "data" / "logs"),
        **extra,
    )


class TestSSHExecutor(ExecutorContract):
    @pytest.fixture
    def cluster(self, sshd):
        return ssh_cluster(sshd)


def test_runs_live_on_the_host_and_come_here(sshd):
    cpu = ssh_cluster(sshd)
    assert rh.function(summer).to(cpu)(1, 2, run_name="remote_run") == 3
    run = cpu.get_run("remote_run")
    assert run.folder.system == "sftp"
    assert run.folder.path == str(sshd.dir / "data" / "logs" / "remote_run")
    assert run.stdout() == "adding 1 and 2" and run.result() == 3
    local = run.to("here")
    assert local.folder.system == "file" and local.result() == 3
    assert local.run_config == run.run_config


def test_default_run_folders_are_in_the_hosts_home(sshd):
    cpu = rh.cluster(name="homed", ips=[sshd.host], ssh_port=sshd.port, python=sys.executable,
                     ssh_creds={"ssh_user": sshd.username, "ssh_private_key": sshd.private_key,
                                "known_hosts": sshd.known_hosts})
    home = cpu.executor.connection.server_home
    assert cpu.run_folder("x").path == f"{home}/.rh/logs/x"


def test_one_connection_serves_calls_files_and_threads(sshd):
    import threading

    cpu = ssh_cluster(sshd)
    f = rh.function(summer).to(cpu)
    f(1, 1, run_name="first")
    transport = cpu.executor.connection._reader.channel.get_transport()
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(f(i, 1))) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [i + 1 for i in range(6)]
    assert cpu.get_run("first").folder.fs.ftp.get_channel().get_transport() is transport


def test_a_saved_cluster_records_how_to_connect_never_a_secret(sshd):
    cpu = ssh_cluster(sshd, name="saved_cpu", creds={"passphrase": "not-written-anywhere"})
    cpu.save()
    entry = rh.load("saved_cpu", instantiate=False)
    text = json.dumps(entry)
    assert "not-written-anywhere" not in text
    assert entry["settings"]["ssh_creds"]["ssh_private_key"] == sshd.private_key
    again = rh.cluster(name="saved_cpu")
    assert again.kind == "ssh" and again.settings["ips"] == [sshd.host]


def test_an_unknown_host_key_is_refused_clearly(sshd, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    cpu = ssh_cluster(sshd, name="stranger", creds={"known_hosts": str(empty)})
    with pytest.raises(HostKeyError, match="host key is unknown"):
        rh.function(summer).to(cpu)(1, 1)


def test_accept_new_hosts_is_opt_in(sshd, tmp_path):
    known = tmp_path / "known_hosts"
    cpu = ssh_cluster(sshd, name="trusting", creds={"known_hosts": str(known), "accept_new_hosts": True})
    assert rh.function(summer).to(cpu)(2, 2) == 4
    assert sshd.host_public_key.split()[1] in known.read_text()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"ssh_port": "closed"}, "connection refused"),
        ({"creds": {"ssh_private_key": "wrong"}}, "authentication failed"),
        ({"python": "/nonexistent/python3"}, "was not found on 127.0.0.1"),
    ],
    ids=["wrong-port", "refused-key", "no-python"],
)
def test_failures_come_back_within_seconds(sshd, tmp_path, change, message):
    if change.get("ssh_port") == "closed":
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            change = {"ssh_port": s.getsockname()[1]}
    if change.get("creds", {}).get("ssh_private_key") == "wrong":
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")],
                       check=True)
        change = {"creds": {"ssh_private_key": str(tmp_path / "other")}}
    kwargs = dict(change)
    if "ssh_port" in kwargs:
        cpu = rh.cluster(name="broken", ips=[sshd.host], ssh_port=kwargs["ssh_port"], python=sys.executable,
                         ssh_creds={"ssh_user": sshd.username, "ssh_private_key": sshd.private_key,
                                    "known_hosts": sshd.known_hosts})
    else:
        cpu = ssh_cluster(sshd, name="broken", **kwargs)
    started = time.monotonic()
    with pytest.raises((SSHConnectionError, rh.RhcoreError), match=message) as excinfo:
        rh.function(summer).to(cpu)(1, 1)
    assert time.monotonic() - started < 15
    assert "PRIVATE KEY" not in str(excinfo.value)


def triple(x):
    return 3 * x


def test_a_host_without_rhcore_says_how_to_install_it_and_that_works(sshd, tmp_path):
    """The hint's commands, run as it says (the host is this machine), make the call work."""
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", str(bare)], check=True)
    python = str(bare / "bin" / "python")
    cpu = ssh_cluster(sshd, name="bare", python=python)
    with pytest.raises(rh.RhcoreError, match=r"rhcore is not installed .* -m pip install rhcore-") as excinfo:
        rh.function(triple).to(cpu)(1)
    message = str(excinfo.value)
    build, install = re.findall(r"`([^`]+)`", message)
    wheel = re.search(r"copy (wheelhouse/\S+\.whl) to the host", message).group(1)
    assert shlex.split(build)[0] == "pip" and shlex.split(install)[0] == python
    pip = [python, "-m", "pip", "--quiet"]
    subprocess.run([*pip, *shlex.split(build)[1:]], cwd=tmp_path, check=True)  # "here"
    host_home = tmp_path / "host"
    host_home.mkdir()
    shutil.copy(tmp_path / wheel, host_home)  # "copy ... to the host"
    subprocess.run([*shlex.split(install)[:3], "--quiet", *shlex.split(install)[3:]], cwd=host_home,
                   check=True)
    cpu = ssh_cluster(sshd, name="installed", python=python)
    assert rh.function(triple).to(cpu)(14) == 42


def big_result(size: int) -> bytes:
    return b"x" * size


@pytest.fixture
def full_disk(tmp_path):
    """A 256 KiB file system, so the host runs out of space mid-Run (needs root: mount)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    assert mounted.returncode == 0, f"mounting a small tmpfs needs root: {mounted.stderr}"
    yield mount_point
    subprocess.run(["umount", "--lazy", str(mount_point)], check=True)  # the host may still hold it


def test_a_full_disk_on_the_host_is_a_clear_error(sshd, full_disk):
    cpu = ssh_cluster(sshd, name="full")
    cpu.settings["logs_dir"] = str(full_disk / "logs")
    started = time.monotonic()
    with pytest.raises(OSError, match="No space left on device"):
        rh.function(big_result).to(cpu)(1 << 20, run_name="too_big")
    assert time.monotonic() - started < 15


def test_rh_logs_and_rh_cancel_on_a_saved_cluster(sshd):
    from click.testing import CliRunner

    from rhcore.cli import main
    from rhcore.testing.executor import chatty, sleeper, wait_for

    cpu = ssh_cluster(sshd, name="cli_cpu").save()
    rh.function(chatty).to(cpu).run(3, 0.2, run_name="followed_remotely")
    followed = CliRunner().invoke(main, ["logs", "cli_cpu", "followed_remotely", "--follow"])
    assert followed.exit_code == 0, followed.output
    printed = [ln for ln in followed.output.splitlines() if ln.startswith("line")]
    assert printed == ["line 0", "line 1", "line 2"]

    run = rh.function(sleeper).to(cpu).run(60, run_name="stopped_remotely")
    wait_for(lambda: (run.refresh().worker or {}).get("job"))
    cancelled = CliRunner().invoke(main, ["cancel", "cli_cpu", "stopped_remotely"])
    assert cancelled.exit_code == 0 and "is CANCELLED" in cancelled.output, cancelled.output
    assert run.refresh().status is rh.RunStatus.CANCELLED
