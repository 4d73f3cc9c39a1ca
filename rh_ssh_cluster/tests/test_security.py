"""Security defaults: host keys checked against known_hosts (accept-new only when asked),
and no password or key in error messages or stored configs."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from rh_ssh_cluster.config import SSHSettings
from rh_ssh_cluster.connection import HostKeyError, connection
from rh_ssh_cluster.testing import keygen

import rhcore as rh
from rhcore import layout
from rhcore.errors import StorageError
from rhcore.folder import Folder

SYSTEMS = ("sftp", "ssh")
PASSWORD = "correct-horse-battery-9f3k"


@pytest.fixture(scope="module")
def other_key(tmp_path_factory) -> tuple[str, str]:
    """A key pair the server does not know: (private key path, ``type base64``)."""
    path = tmp_path_factory.mktemp("other") / "id_other"
    return str(path), keygen(path)


def _refused(folder: Folder) -> str:
    with pytest.raises(StorageError) as info:
        folder.exists()
    return str(info.value)


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("accept_new_hosts", [False, True])
def test_changed_host_key_is_refused(sshd, tmp_path, other_key, system, accept_new_hosts):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {other_key[1]}\n")
    config = dict(sshd.data_config, known_hosts=str(known_hosts), accept_new_hosts=accept_new_hosts)
    message = _refused(Folder("/srv/runs/a", system, config))
    assert "does not match" in message
    assert f"127.0.0.1 port {sshd.port}" in message and "/srv/runs/a" in message
    assert known_hosts.read_text() == f"[127.0.0.1]:{sshd.port} {other_key[1]}\n"


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize(
    "entries", [None, "", "127.0.0.1 {key}\n"], ids=["no-file", "empty", "port-22-only"]
)
def test_unknown_host_is_refused_by_default(sshd, tmp_path, system, entries):
    known_hosts = tmp_path / "known_hosts"
    if entries is not None:
        known_hosts.write_text(entries.format(key=sshd.host_public_key))
    config = dict(sshd.data_config, known_hosts=str(known_hosts))
    message = _refused(Folder("/srv/runs/b", system, config))
    assert "host key is unknown" in message and "accept_new_hosts" in message
    assert f"[127.0.0.1]:{sshd.port}" in message
    assert (known_hosts.read_text() if entries is not None else None) == (
        entries.format(key=sshd.host_public_key) if entries is not None else None
    )


@pytest.mark.parametrize("system", SYSTEMS)
def test_accept_new_hosts_records_the_key(sshd, tmp_path, remote_dir, system):
    known_hosts = tmp_path / "ssh" / "known_hosts"  # neither file nor folder exists yet
    first_use = dict(sshd.data_config, known_hosts=str(known_hosts), accept_new_hosts=True)
    Folder(remote_dir, system, first_use).write_bytes("f", b"x")
    assert known_hosts.read_text() == f"[127.0.0.1]:{sshd.port} {sshd.host_public_key}\n"
    assert known_hosts.stat().st_mode & 0o077 == 0
    strict = dict(sshd.data_config, known_hosts=str(known_hosts))
    assert Folder(remote_dir, system, strict).read_bytes("f") == b"x"


@pytest.mark.parametrize("system", SYSTEMS)
def test_hashed_known_hosts(sshd, tmp_path, remote_dir, system):
    known_hosts = tmp_path / "known_hosts"
    shutil.copy(sshd.known_hosts, known_hosts)
    subprocess.run(
        ["ssh-keygen", "-q", "-H", "-f", str(known_hosts)], check=True, capture_output=True
    )
    assert "127.0.0.1" not in known_hosts.read_text()
    config = dict(sshd.data_config, known_hosts=str(known_hosts))
    Folder(remote_dir, system, config).mkdir()


def test_host_key_error_type(sshd, tmp_path):
    settings = SSHSettings.from_data_config(
        dict(sshd.data_config, known_hosts=str(tmp_path / "none")), "sftp"
    )
    with pytest.raises(HostKeyError):
        connection(settings).client()


@pytest.mark.parametrize("system", SYSTEMS)
def test_refused_login_names_no_secret(sshd, other_key, system):
    config = dict(sshd.data_config, ssh_private_key=other_key[0], password=PASSWORD)
    message = _refused(Folder("/srv/runs/c", system, config))
    assert "authentication failed" in message
    assert f"127.0.0.1 port {sshd.port}" in message and "/srv/runs/c" in message
    assert PASSWORD not in message and other_key[0] not in message


@pytest.mark.parametrize("system", SYSTEMS)
def test_missing_key_file_names_no_secret(sshd, system):
    key_path = "/nonexistent/keys/id_secret_name"
    config = dict(sshd.data_config, ssh_private_key=key_path, password=PASSWORD)
    message = _refused(Folder("/srv/runs/d", system, config))
    assert "ssh_private_key" in message and "does not exist" in message
    assert PASSWORD not in message and key_path not in message


def test_settings_repr_hides_secrets(sshd):
    settings = SSHSettings.from_data_config(dict(sshd.data_config, password=PASSWORD), "sftp")
    assert PASSWORD not in repr(settings) and sshd.private_key not in repr(settings)


@pytest.mark.parametrize("system", SYSTEMS)
def test_run_config_keeps_no_secret(sshd, remote_dir, system):
    """The server takes the key; the password rides along and must not be stored."""
    config = dict(sshd.data_config, password=PASSWORD, passphrase="unused-passphrase-77")
    with rh.run(path=remote_dir, system=system, data_config=config) as r:
        print("hello")
    r.save()
    stored = Folder(remote_dir, system, config).read_bytes(layout.CONFIG_FILE).decode()
    registry_entry = json.dumps(rh.load(r.name, instantiate=False), default=str)
    for secret in (PASSWORD, "unused-passphrase-77", sshd.private_key):
        assert secret not in stored
        assert secret not in registry_entry
    kept = rh.load(r.name, instantiate=False)["data_config"]
    assert kept == {
        "host": "127.0.0.1",
        "port": sshd.port,
        "username": sshd.username,
        "known_hosts": sshd.known_hosts,
    }
