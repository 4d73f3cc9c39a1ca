"""Paths on the host (``~`` and relative paths are the login user's home) and the plugin's
registration."""

from __future__ import annotations

import os
import pwd
import shutil
import uuid

import pytest

import rhcore as rh
from rhcore import layout
from rhcore.folder import Folder
from rhcore.plugins import get_plugins

SYSTEMS = ("sftp", "ssh")


@pytest.fixture
def home_name(sshd):
    """A fresh folder name in the login user's (real) home, removed afterwards."""
    name = f".rh-ssh-test-{uuid.uuid4().hex[:10]}"
    yield name
    shutil.rmtree(os.path.join(pwd.getpwnam(sshd.username).pw_dir, name), ignore_errors=True)


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("spelling", ["~/{}", "{}"])
def test_tilde_and_relative_paths_are_the_login_home(sshd, home_name, system, spelling):
    folder = Folder(spelling.format(home_name) + "/runs", system, sshd.data_config)
    assert folder.path == f"{home_name}/runs"
    folder.write_bytes("f.txt", b"at home")
    on_disk = os.path.join(pwd.getpwnam(sshd.username).pw_dir, home_name, "runs", "f.txt")
    with open(on_disk, "rb") as f:
        assert f.read() == b"at home"
    assert Folder("~", system, sshd.data_config).exists()


@pytest.mark.parametrize("system", SYSTEMS)
def test_a_run_in_the_home_folder(sshd, home_name, system):
    path = f"~/{home_name}/ctx"
    with rh.run(path=path, system=system, data_config=sshd.data_config) as r:
        print("from home")
    assert r.path == f"{home_name}/ctx"
    again = rh.run(path=path, system=system, data_config=sshd.data_config)
    assert again.status is rh.RunStatus.COMPLETED and again.stdout() == "from home"


def test_default_run_paths_are_under_the_login_home():
    plugins = get_plugins()
    for system in SYSTEMS:
        assert plugins.default_run_path(system, "r1", rh.RunType.CTX_MANAGER) == "rh/r1"
        assert plugins.default_run_path(system, "r1", rh.RunType.FUNCTION_RUN) == ".rh/logs/r1"
    assert plugins.default_run_path("file", "r1", rh.RunType.CTX_MANAGER) == os.path.join(
        layout.local_runs_dir(), "r1"
    )


def test_registered_through_the_entry_point():
    plugins = get_plugins()
    info = {p.name: p for p in plugins.info()}
    assert info["ssh_cluster"].distribution == "rh-ssh-cluster"
    assert info["ssh_cluster"].systems == ("sftp", "ssh")
    for system in SYSTEMS:
        caps = plugins.system(system).capabilities
        assert caps.atomic_rename and caps.exclusive_create and caps.posix_paths
        assert not caps.local_paths and not caps.read_only


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"host": "h", "known_host": "/x"},
        {"host": "h", "ssh_private_key": "/a", "key_filename": "/b"},
        {"host": "h", "accept_new_hosts": "false"},
        {"host": "h", "port": "ssh"},
    ],
)
def test_bad_data_config_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="data_config"):
        Folder("/x", "sftp", bad).exists()
