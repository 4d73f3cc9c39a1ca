"""Runs that live on S3 from the start, and Runs moved between systems with ``Run.to``."""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

import pytest
import s3fs

import rhcore as rh
from rhcore import layout
from rhcore.folder import Folder

RESULT = {"accuracy": 0.9, "weights": list(range(100))}


def function_like_run(
    path: str, system: str = "file", data_config: dict | None = None, payload: bytes = b""
) -> rh.Run:
    """A COMPLETED Run with inputs, a result, stdout, stderr and a nested artifact."""
    with rh.run(
        name="train",
        system=system,
        path=path,
        data_config=data_config,
        fn_name="train",
        run_type=rh.RunType.FUNCTION_RUN,
    ) as r:
        print("epoch 1 done")
        print("a warning", file=sys.stderr)
        r.write(((3,), {"lr": 0.1}), layout.INPUTS_FILE)
        r.write({**RESULT, "payload": payload}, layout.RESULT_FILE)
        r.write(b"checkpoint", "artifacts/model.bin")
    return r


def snapshot(folder: Folder) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {name: folder.read_bytes(name) for name in folder.files()}


def assert_is_a_full_copy(source: rh.Run, copy: rh.Run, before: dict[str, bytes]) -> None:
    """``copy`` holds every file of ``source`` byte for byte, loads as the same Run from a
    fresh handle, and ``source`` did not change."""
    assert snapshot(copy.folder) == before
    assert snapshot(source.folder) == before
    loaded = rh.run(path=copy.path, system=copy.folder.system, data_config=copy.folder.data_config)
    assert loaded.run_config == source.refresh().run_config
    assert loaded.status is rh.RunStatus.COMPLETED
    assert loaded.result()["accuracy"] == RESULT["accuracy"]
    assert loaded.inputs() == {"args": [3], "kwargs": {"lr": 0.1}}
    assert loaded.stdout() == "epoch 1 done"
    assert loaded.stderr() == "a warning"


# -- living on S3 ----------------------------------------------------------------------


def test_a_with_block_run_on_s3(s3_bucket, s3_config):
    path = f"{s3_bucket}/team/ctx_run"
    with rh.run(name="ctx_run", system="s3", path=path, data_config=s3_config) as r:
        print("hello from s3")
    assert (r.status, r.path, r.folder.system) == (rh.RunStatus.COMPLETED, path, "s3")
    loaded = rh.run(path=path, system="s3", data_config=s3_config)
    assert loaded.stdout() == "hello from s3"
    assert loaded.run_config == r.run_config


def test_logs_reach_s3_while_the_block_runs(s3_bucket, s3_config, monkeypatch):
    """A separate client, as another machine would use, reads the .out object mid-run."""
    monkeypatch.setenv("RHCORE_LOG_SYNC_SECONDS", "0.2")
    path = f"{s3_bucket}/live/watched"
    watcher = s3fs.S3FileSystem(**s3_config, skip_instance_cache=True, use_listings_cache=False)
    with rh.run(name="watched", system="s3", path=path, data_config=s3_config) as r:
        print("step 1 of 2")
        deadline, seen = time.monotonic() + 10, b""
        while b"step 1 of 2" not in seen and time.monotonic() < deadline:
            time.sleep(0.1)
            if watcher.isfile(f"{path}/watched.out"):
                seen = watcher.cat_file(f"{path}/watched.out")
        assert seen == b"step 1 of 2\n"
        assert b'"status": "RUNNING"' in watcher.cat_file(f"{path}/{layout.CONFIG_FILE}")
        print("step 2 of 2")
    assert watcher.cat_file(f"{path}/watched.out") == b"step 1 of 2\nstep 2 of 2\n"
    assert r.refresh().status is rh.RunStatus.COMPLETED


def test_a_failing_block_on_s3_records_its_error(s3_bucket, s3_config):
    path = f"{s3_bucket}/errors/broken"
    with pytest.raises(ValueError):
        with rh.run(name="broken", system="s3", path=path, data_config=s3_config):
            raise ValueError("bad input")
    loaded = rh.run(path=path, system="s3", data_config=s3_config)
    assert loaded.status is rh.RunStatus.ERROR
    assert loaded.error == "ValueError: bad input"
    assert "Traceback" in loaded.stderr()


# -- moving Runs -----------------------------------------------------------------------


def test_file_to_s3(s3_bucket, s3_config, tmp_path):
    source = function_like_run(str(tmp_path / "train"))
    before = snapshot(source.folder)
    copy = source.to("s3", path=f"{s3_bucket}/copies/train", data_config=s3_config)
    assert (copy.folder.system, copy.path) == ("s3", f"{s3_bucket}/copies/train")
    assert_is_a_full_copy(source, copy, before)


def test_s3_to_file(s3_bucket, s3_config, tmp_path):
    source = function_like_run(f"{s3_bucket}/runs/train", "s3", s3_config)
    before = snapshot(source.folder)
    copy = source.to("file", path=str(tmp_path / "local" / "train"))
    assert copy.path == str(tmp_path / "local" / "train")
    assert_is_a_full_copy(source, copy, before)


def test_s3_to_here(s3_bucket, s3_config, isolated):
    source = function_like_run(f"{s3_bucket}/runs/train", "s3", s3_config)
    before = snapshot(source.folder)
    copy = source.to("here")
    assert copy.path == str(isolated / "rh" / "train")
    assert_is_a_full_copy(source, copy, before)
    assert rh.run(name="train").stdout() == "epoch 1 done"  # found at its default place


def test_s3_to_s3_same_credentials(s3_bucket, s3_config, moto):
    other_bucket = moto.create_bucket(f"rh-other-{uuid.uuid4().hex[:8]}")
    source = function_like_run(f"{s3_bucket}/runs/train", "s3", s3_config)
    before = snapshot(source.folder)
    copy = source.to("s3", path=f"{other_bucket}/moved/train", data_config=s3_config)
    assert copy.folder.fs is source.folder.fs  # one client: S3 copies server-side
    assert_is_a_full_copy(source, copy, before)


def test_s3_to_s3_other_credentials_streams_large_files(s3_bucket, s3_config, moto):
    """Another account's credentials mean another client: bytes stream through this
    machine in chunks, the config still last."""
    creds = moto.create_user(f"teammate-{uuid.uuid4().hex[:8]}")
    theirs = moto.data_config(creds)
    their_bucket = moto.create_bucket(f"rh-theirs-{uuid.uuid4().hex[:8]}", creds)
    source = function_like_run(
        f"{s3_bucket}/runs/train", "s3", s3_config, payload=os.urandom(20 * 1024 * 1024)
    )
    before = snapshot(source.folder)
    copy = source.to("s3", path=f"{their_bucket}/train", data_config=theirs)
    assert copy.folder.fs is not source.folder.fs
    assert_is_a_full_copy(source, copy, before)
    assert len(copy.result()["payload"]) == 20 * 1024 * 1024


def test_copying_again_replaces_the_copy_and_another_run_is_refused(s3_bucket, s3_config, tmp_path):
    source = function_like_run(str(tmp_path / "train"))
    dest = f"{s3_bucket}/copies/train"
    source.to("s3", path=dest, data_config=s3_config)
    source.write(b"added later", "notes.txt")
    copy = source.to("s3", path=dest, data_config=s3_config)
    assert copy.folder.read_bytes("notes.txt") == b"added later"

    with rh.run(name="other", path=str(tmp_path / "other")) as other:
        pass
    with pytest.raises(rh.RunExistsError, match=f"s3:{dest} already holds another Run"):
        other.to("s3", path=dest, data_config=s3_config)
    assert rh.run(path=dest, system="s3", data_config=s3_config).name == "train"


def test_the_config_is_written_last(s3_bucket, s3_config, tmp_path):
    source = function_like_run(str(tmp_path / "train"))
    order: list[str] = []
    source.folder.copy_to(
        Folder(f"{s3_bucket}/ordered", "s3", s3_config),
        last=layout.CONFIG_FILE,
        callback=lambda rel, done, total: order.append(rel),
    )
    order = list(dict.fromkeys(order))
    assert order[-1] == layout.CONFIG_FILE
    assert sorted(order) == sorted(source.folder.files())


def user_denied_uploads_of(moto, bucket: str, file_name: str) -> dict[str, str]:
    """Credentials of a new user allowed everything but uploading ``file_name`` into any
    folder of ``bucket`` (a bucket policy denying some keys)."""
    return moto.create_user(
        f"no-{file_name.replace('.', '-').replace('_', '-')}-{uuid.uuid4().hex[:8]}",
        policy={
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:PutObject",
                 "Resource": f"arn:aws:s3:::{bucket}/*/{file_name}"},
            ],
        },
    )


def test_an_interrupted_copy_is_never_a_run(s3_bucket, s3_config, moto, tmp_path):
    """The server refuses one object mid-copy (a bucket policy denying result.pkl): the
    copy fails naming the place, the files before it are there, the config is not, so no
    reader takes the folder for a Run. Copying again with rights completes it."""
    denied = user_denied_uploads_of(moto, s3_bucket, layout.RESULT_FILE)
    source = function_like_run(str(tmp_path / "train"))
    before = snapshot(source.folder)
    dest = f"{s3_bucket}/partial/train"
    with pytest.raises(rh.StorageError, match=f"s3:{dest}/{layout.RESULT_FILE}: permission denied"):
        source.to("s3", path=dest, data_config=moto.data_config(denied))
    left = Folder(dest, "s3", s3_config)
    assert "artifacts/model.bin" in left.files() and layout.INPUTS_FILE in left.files()
    assert layout.CONFIG_FILE not in left.files()
    with pytest.raises(rh.RunNotFoundError, match="holds no Run"):
        rh.run(path=dest, system="s3", data_config=s3_config)
    assert snapshot(source.folder) == before

    copy = source.to("s3", path=dest, data_config=s3_config)
    assert_is_a_full_copy(source, copy, before)


def test_a_run_the_server_refuses_to_start_leaves_nothing(s3_bucket, moto):
    """A bucket policy denying Run configs: the block never runs, no log is uploaded."""
    no_configs = user_denied_uploads_of(moto, s3_bucket, layout.CONFIG_FILE)
    path = f"{s3_bucket}/refused"
    with pytest.raises(rh.StorageError, match=f"Cannot publish s3:{path}/{layout.CONFIG_FILE}"):
        with rh.run(name="refused", system="s3", path=path, data_config=moto.data_config(no_configs)):
            pytest.fail("the block must not run when the Run cannot start")
    assert moto.objects(s3_bucket) == {}


def test_credentials_are_never_written(s3_bucket, s3_config, moto, tmp_path):
    """The keys in ``data_config`` reach S3 and nowhere else: not the Run's files, not the
    registry, not a copy; the endpoint, which is no secret, is kept."""
    with rh.run(name="secretive", system="s3", path=f"{s3_bucket}/secretive", data_config=s3_config) as r:
        print("working with credentials")
    r.save()
    r.to("file", path=str(tmp_path / "copy")).save("secretive_copy")
    assert r.config_for_rns["data_config"] == {"client_kwargs": s3_config["client_kwargs"]}
    written = b"".join(moto.objects(s3_bucket).values())
    for root in (Path(os.environ["HOME"]), Path.cwd(), tmp_path):
        written += b"".join(f.read_bytes() for f in root.rglob("*") if f.is_file())
    assert s3_config["key"].encode() not in written and s3_config["secret"].encode() not in written
    assert s3_config["client_kwargs"]["endpoint_url"].encode() in written
