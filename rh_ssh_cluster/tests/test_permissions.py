"""What the ``sftp`` and ``ssh`` systems create on the host is its owner's alone (folders
0700, files 0600), as on the local disk, unless ``data_config`` says ``file_mode`` and
``dir_mode``: Run folders of ``with`` blocks and of functions, and registry entries.

The test sshd runs on this machine as this user, so the host's files are looked at with
``os.stat``: what any other user of the host would meet.
"""

from __future__ import annotations

import os
import stat
import sys
import uuid

import pytest

import rhcore as rh
from rhcore.folder import Folder
from rhcore.settings import using
from rhcore.testing.executor import summer

SYSTEMS = ("sftp", "ssh")
SHARED = {"file_mode": 0o640, "dir_mode": 0o750}


def modes_under(root: str) -> dict[str, tuple[str, int]]:
    """Every folder and file under ``root`` (itself included): ``(kind, permission bits)``."""
    found = {root: ("dir", stat.S_IMODE(os.stat(root).st_mode))}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(dirpath, name)
            mode = os.lstat(path).st_mode
            found[path] = ("dir" if stat.S_ISDIR(mode) else "file", stat.S_IMODE(mode))
    return found


def assert_modes(root: str, file_mode: int, dir_mode: int) -> None:
    found = modes_under(root)
    assert any(kind == "file" for kind, _ in found.values()), f"nothing was written under {root}"
    wrong = {path: oct(mode) for path, (kind, mode) in found.items()
             if mode != (file_mode if kind == "file" else dir_mode)}
    assert not wrong, f"expected files {oct(file_mode)} and folders {oct(dir_mode)}: {wrong}"


@pytest.mark.parametrize("extra", [{}, SHARED], ids=["owner-only", "shared"])
@pytest.mark.parametrize("system", SYSTEMS)
def test_runs_and_registry_entries_are_their_owners_alone(sshd, remote_dir, system, extra):
    """A ``with`` block's Run (its logs uploaded), a function Run kept in a run store on the
    host (by a worker of this machine), and registry entries saved there."""
    config = {**sshd.data_config, **extra}
    with rh.run(name="block", path=f"{remote_dir}/runs/block", system=system, data_config=config) as r:
        print("to the host")
    store = rh.cluster(name=f"store-{uuid.uuid4().hex[:8]}", run_store=f"{system}://{remote_dir}/store",
                       data_config=config)
    assert rh.function(summer).to(store)(1, 2, run_name="added") == 3
    with using(registry=f"{system}://{remote_dir}/registry", data_config=config):
        r.save()
        store.get_run("added").save("added")
        store.save()
    copy = r.to(system, path=f"{remote_dir}/copies/block", data_config=config)
    assert copy.stdout() == "to the host"
    assert {"block.json", "added.json"} <= set(os.listdir(f"{remote_dir}/registry"))
    assert_modes(remote_dir, extra.get("file_mode", 0o600), extra.get("dir_mode", 0o700))


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_way_of_writing_a_file_makes_it_owner_only(sshd, remote_dir, system):
    """fsspec's own calls too: open, pipe (plain and exclusive), put, copy, mkdir."""
    folder = Folder(remote_dir, system, sshd.data_config)
    fs = folder.fs
    local = os.path.join(sshd.dir, f"upload-{uuid.uuid4().hex[:8]}")
    with open(local, "wb") as f:
        f.write(b"x" * 3_000_000)
    os.chmod(local, 0o644)
    with fs.open(f"{remote_dir}/opened/a", "wb") as f:
        f.write(b"a")
    with fs.open(f"{remote_dir}/opened/x", "xb") as f:
        f.write(b"x")
    fs.pipe_file(f"{remote_dir}/piped/b", b"b")
    fs.pipe_file(f"{remote_dir}/piped/c", b"c", mode="create")
    fs.put_file(local, f"{remote_dir}/put/d")
    fs.cp_file(f"{remote_dir}/piped/b", f"{remote_dir}/piped/e")
    fs.mkdir(f"{remote_dir}/made/deep", create_parents=True)
    fs.mkdir(f"{remote_dir}/made/flat", create_parents=False)
    fs.touch(f"{remote_dir}/made/touched")
    assert fs.cat_file(f"{remote_dir}/put/d") == b"x" * 3_000_000
    assert fs.cat_file(f"{remote_dir}/opened/x") == b"x"
    assert_modes(remote_dir, 0o600, 0o700)


@pytest.mark.parametrize("system", SYSTEMS)
def test_an_existing_file_keeps_its_mode(sshd, remote_dir, system):
    """Modes are given as files are created: a file replaced in place keeps its own."""
    folder = Folder(remote_dir, system, sshd.data_config)
    folder.write_bytes("kept", b"first")
    os.chmod(folder.join("kept"), 0o644)
    folder.write_bytes("kept", b"second")
    assert stat.S_IMODE(os.stat(folder.join("kept")).st_mode) == 0o644


def test_an_ssh_clusters_worker_writes_with_the_run_stores_modes(sshd, remote_dir):
    """A function Run on the SSH cluster, in a run store on the same host: the worker
    writes there as local files, with the store's ``file_mode`` and ``dir_mode``."""
    cpu = rh.cluster(
        name="perms", ips=[sshd.host], ssh_port=sshd.port, python=sys.executable,
        ssh_creds={"ssh_user": sshd.username, "ssh_private_key": sshd.private_key,
                   "known_hosts": sshd.known_hosts},
        run_store=f"sftp://{remote_dir}/store", data_config={**sshd.data_config, **SHARED},
    )
    assert rh.function(summer).to(cpu)(2, 3, run_name="remote") == 5
    assert cpu.get_run("remote").result() == 5
    assert_modes(remote_dir, SHARED["file_mode"], SHARED["dir_mode"])


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("setting", [{"file_mode": "0640"}, {"dir_mode": True}, {"file_mode": 0o10000}])
def test_a_mode_must_be_permission_bits(sshd, remote_dir, system, setting):
    with pytest.raises(ValueError, match="permission bits"):
        Folder(remote_dir, system, {**sshd.data_config, **setting}).exists()
