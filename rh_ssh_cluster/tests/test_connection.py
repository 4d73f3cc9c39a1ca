"""Connections: shared per host and credentials, safe from many threads, reopened after a
drop, and failing within seconds with an error naming system, host, port and path."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from rh_ssh_cluster.config import SSHSettings
from rh_ssh_cluster.connection import SSHConnectionError, connect, connection
from rh_ssh_cluster.testing import free_port

import rh_ssh_cluster
from rhcore.errors import StorageError
from rhcore.folder import Folder
from rhcore.plugins import get_plugins

SYSTEMS = ("sftp", "ssh")


@pytest.mark.parametrize("system", SYSTEMS)
def test_many_threads_share_one_filesystem(sshd, remote_dir, system):
    """Stock paramiko hangs here: a thread reads and drops another thread's reply."""
    folder = Folder(remote_dir, system, sshd.data_config)
    payload = bytes(range(256)) * 400  # 100 KiB: several SFTP reads per file
    folder.write_bytes("shared.bin", payload)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for j in range(15):
                assert folder.read_bytes("shared.bin") == payload
                folder.write_bytes(f"w{i}/{j}", b"%d-%d" % (i, j))
                assert folder.has(f"w{i}/{j}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a thread hangs on the shared connection"
    assert errors == []
    assert len(folder.files()) == 1 + 8 * 15


@pytest.mark.parametrize("system", SYSTEMS)
def test_concurrent_writers_create_the_same_new_folders(sshd, remote_dir, system):
    folder = Folder(remote_dir, system, sshd.data_config).child("new", "deeper")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def write(i: int) -> None:
        barrier.wait()
        try:
            folder.write_bytes(f"f{i}", b"x")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert folder.files() == [f"f{i}" for i in range(8)]


def test_one_connection_per_host_and_user(sshd):
    """Configs that say the same thing share one authenticated transport, which an SSH
    executor can open command channels on."""
    spelled_differently = dict(sshd.data_config, port=str(sshd.port))
    spelled_differently["key_filename"] = spelled_differently.pop("ssh_private_key")
    first = get_plugins().filesystem("sftp", sshd.data_config)
    second = get_plugins().filesystem("sftp", spelled_differently)
    assert first is not second
    assert first.client is second.client
    assert connect(sshd.data_config, system="sftp") is first.client
    _, stdout, _ = first.client.exec_command("echo $((6 * 7))", timeout=10)
    assert stdout.read().strip() == b"42"
    assert stdout.channel.recv_exit_status() == 0

    ssh_first = get_plugins().filesystem("ssh", sshd.data_config)
    assert get_plugins().filesystem("ssh", spelled_differently) is ssh_first
    assert ssh_first.execute("echo $((6 * 7))").stdout == "42\n"


@pytest.mark.parametrize("system", SYSTEMS)
def test_reconnects_after_the_connection_dropped(sshd, remote_dir, system):
    folder = Folder(remote_dir, system, sshd.data_config)
    folder.write_bytes("a.txt", b"before")
    if system == "sftp":
        connection(SSHSettings.from_data_config(sshd.data_config, "sftp")).client().close()
    else:
        folder.fs._live.client.close()
        time.sleep(0.2)  # let asyncssh notice its connection is closed
    assert folder.read_bytes("a.txt") == b"before"
    folder.write_bytes("b.txt", b"after")
    assert folder.files() == ["a.txt", "b.txt"]


@pytest.mark.parametrize("system", SYSTEMS)
def test_closed_port_fails_fast_and_clearly(sshd, system):
    port = free_port()  # nothing listens there
    folder = Folder("/srv/runs/x", system, dict(sshd.data_config, port=port))
    started = time.monotonic()
    with pytest.raises(StorageError) as info:
        folder.exists()
    assert time.monotonic() - started < 5
    message = str(info.value)
    for part in (system, "/srv/runs/x", "127.0.0.1", f"port {port}", "connection refused"):
        assert part in message
    with pytest.raises(StorageError, match="connection refused"):  # never "no such file"
        folder.has("config_for_run.json")
    with pytest.raises(SSHConnectionError, match=rf"^Cannot read {system}:/srv/runs/x/a.txt: "):
        folder.read_bytes("a.txt")  # the plugin's own error type, with the place


@pytest.mark.parametrize("system", SYSTEMS)
def test_silent_server_times_out(sshd, system):
    """A port that accepts TCP but never speaks SSH: an error after `timeout`, not a hang."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel completes handshakes; nobody ever answers
        port = listener.getsockname()[1]
        config = dict(sshd.data_config, port=port, timeout=1)
        started = time.monotonic()
        with pytest.raises(StorageError) as info:
            Folder("/srv/runs/y", system, config).read_bytes("config_for_run.json")
        elapsed = time.monotonic() - started
    assert elapsed < 5
    message = str(info.value)
    assert f"port {port}" in message and "/srv/runs/y" in message
    assert "no SSH answer within 1 s" in message


def test_connection_error_is_a_storage_error_naming_the_connection(sshd):
    settings = SSHSettings.from_data_config(dict(sshd.data_config, port=free_port()), "sftp")
    with pytest.raises(SSHConnectionError) as info:
        connection(settings).client()
    assert isinstance(info.value, StorageError)
    assert f"sftp {sshd.username}@127.0.0.1 port {settings.port}" in str(info.value)


def test_close_all_disconnects_and_the_next_use_reconnects(sshd, remote_dir):
    over_sftp = Folder(remote_dir, "sftp", sshd.data_config)
    over_ssh = Folder(remote_dir, "ssh", sshd.data_config)
    over_sftp.write_bytes("a", b"1")
    assert over_ssh.has("a")
    before = over_sftp.fs.client.get_transport()
    rh_ssh_cluster.close_all()
    assert not before.is_active()
    assert not over_ssh.fs._live.usable()
    assert over_ssh.read_bytes("a") == b"1" and over_sftp.read_bytes("a") == b"1"
    assert over_sftp.fs.client.get_transport() is not before
