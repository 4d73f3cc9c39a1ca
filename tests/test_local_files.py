"""The local file system's fast paths keep fsspec's semantics (rh_file.filesystem)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import rhcore as rh
from rh_file.filesystem import RunFileSystem, replace
from rhcore.folder import Folder


def test_replace_puts_the_new_file_in_place_and_leaves_nothing_else(tmp_path):
    tmp_path = tmp_path / "run"
    tmp_path.mkdir()
    (tmp_path / "config.json").write_bytes(b"old")
    (tmp_path / ".new").write_bytes(b"new")
    replace(str(tmp_path / ".new"), str(tmp_path / "config.json"))
    assert (tmp_path / "config.json").read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["config.json"]


def test_replace_without_a_target_renames(tmp_path):
    tmp_path = tmp_path / "run"
    tmp_path.mkdir()
    (tmp_path / ".new").write_bytes(b"new")
    replace(str(tmp_path / ".new"), str(tmp_path / "config.json"))
    assert sorted(os.listdir(tmp_path)) == ["config.json"]


def test_replace_never_swaps_a_file_with_a_folder(tmp_path):
    (tmp_path / "target").mkdir()
    (tmp_path / "target" / "inside").write_bytes(b"kept")
    (tmp_path / "file").write_bytes(b"data")
    with pytest.raises(IsADirectoryError):
        replace(str(tmp_path / "file"), str(tmp_path / "target"))
    assert (tmp_path / "file").read_bytes() == b"data"
    assert (tmp_path / "target" / "inside").read_bytes() == b"kept"


def test_moving_a_file_onto_a_folder_moves_it_into_the_folder(tmp_path):
    (tmp_path / "target").mkdir()
    (tmp_path / "file").write_bytes(b"data")
    RunFileSystem().mv(str(tmp_path / "file"), str(tmp_path / "target"))
    assert (tmp_path / "target" / "file").read_bytes() == b"data"
    assert not (tmp_path / "file").exists()


def test_whole_file_writes_and_reads_of_a_large_payload(tmp_path):
    folder = Folder(str(tmp_path), "file")
    payload = os.urandom(1024) * 40_000  # 40 MB: more than one write may take
    folder.write_bytes("result.pkl", payload)
    assert folder.read_bytes("result.pkl") == payload


def test_exclusive_create_refuses_an_existing_file(tmp_path):
    folder = Folder(str(tmp_path), "file")
    assert folder.create(".lease-1", b"first")
    assert not folder.create(".lease-1", b"second")
    assert folder.read_bytes(".lease-1") == b"first"


def test_a_new_file_is_its_owners_alone(tmp_path):
    folder = Folder(str(tmp_path), "file")
    folder.write_bytes("inputs.pkl", b"x")
    folder.publish("config.json", b"{}")
    assert (tmp_path / "inputs.pkl").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "config.json").stat().st_mode & 0o777 == 0o600


def test_makedirs_makes_missing_parents_and_refuses_a_file(tmp_path):
    fs = RunFileSystem()
    fs.makedirs(str(tmp_path / "a" / "b"), exist_ok=True)
    fs.makedirs(str(tmp_path / "a" / "b"), exist_ok=True)  # there already: fine
    assert (tmp_path / "a" / "b").is_dir()
    with pytest.raises(FileExistsError):
        fs.makedirs(str(tmp_path / "a" / "b"), exist_ok=False)
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(FileExistsError):
        fs.makedirs(str(tmp_path / "file"), exist_ok=True)


def test_moving_a_folder_to_a_free_name_renames_it(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "inside").write_bytes(b"kept")
    RunFileSystem().mv(str(tmp_path / "src"), str(tmp_path / "dst"))
    assert (tmp_path / "dst" / "inside").read_bytes() == b"kept"
    assert not (tmp_path / "src").exists()


def test_moving_a_file_to_another_device_copies_it(tmp_path):
    other = "/dev/shm"
    if not os.path.isdir(other) or os.stat(other).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another device than the temporary directory")
    (tmp_path / "file").write_bytes(b"data")
    target = os.path.join(other, f"rhcore-test-{os.getpid()}")
    try:
        RunFileSystem().mv(str(tmp_path / "file"), target)
        with open(target, "rb") as moved:
            assert moved.read() == b"data"
        assert not (tmp_path / "file").exists()
    finally:
        if os.path.exists(target):
            os.unlink(target)



def test_a_log_written_through_its_descriptor_and_its_writer(tmp_path):
    from rhcore.logfiles import LogFile

    log = LogFile(Folder(str(tmp_path), "file"), "run.out", autosync=False)
    os.write(log.fileno(), b"from the descriptor\n")
    log.write(b"through the log\n")
    log.close()
    assert (tmp_path / "run.out").read_bytes() == b"from the descriptor\nthrough the log\n"
    with pytest.raises(ValueError):
        log.write(b"too late")


def test_runs_and_registry_entries_are_their_owners_alone(tmp_path):
    old = os.umask(0o022)  # a usual umask: what is not asked for otherwise is world-readable
    try:
        with rh.run(name="private") as r:
            print("secret output")
        r.write(b"x", "artifacts/model.bin")
        r.save()
        rh.function(_double)(2, run_name="private-call")
    finally:
        os.umask(old)
    call = rh.cluster("local").get_run("private-call").path
    for folder in (r.path, call):
        assert os.stat(folder).st_mode & 0o777 == 0o700, folder
        for directory, _, files in os.walk(folder):
            assert os.stat(directory).st_mode & 0o777 == 0o700, directory
            for name in files:
                assert os.stat(os.path.join(directory, name)).st_mode & 0o777 == 0o600, name
    entry = os.path.join(os.environ["HOME"], ".rh", "registry", "private.json")
    assert os.stat(entry).st_mode & 0o777 == 0o600


def test_a_group_readable_store_is_a_setting(tmp_path):
    shared = {"file_mode": 0o640, "dir_mode": 0o750}
    with rh.run(name="shared", path=str(tmp_path / "shared" / "run"), data_config=shared, load=False) as r:
        pass
    assert os.stat(r.path).st_mode & 0o777 == 0o750
    assert os.stat(os.path.join(r.path, "config_for_run.json")).st_mode & 0o777 == 0o640


def _double(x):
    return 2 * x


def test_a_copy_onto_the_local_disk_is_its_owners_alone(tmp_path):
    with rh.run(name="shared", path=str(tmp_path / "src")) as r:
        print("out")
    copy = r.to("file", path=str(tmp_path / "copy"))
    for path in Path(copy.path).rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path
