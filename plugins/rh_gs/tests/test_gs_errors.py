"""A missing bucket and an unreachable endpoint each fail within seconds with an error
naming the system and path, and leave no half-published Run. (The emulator does not
check credentials, so wrong ones cannot be tried here.)"""

from __future__ import annotations

import pytest

import rhcore as rh
from rhcore.errors import StorageNotFoundError
from rhcore.testing.checks import failure_text, within
from rhcore.testing.servers import free_port


def local_run(tmp_path) -> rh.Run:
    with rh.run(name="local", path=str(tmp_path / "local")) as r:
        print("made here")
    return r


def test_a_run_in_a_missing_bucket(gs_config, gcs):
    with within(5), pytest.raises(StorageNotFoundError) as excinfo:
        with rh.run(name="lost", system="gs", path="no-such-bucket/runs/lost", data_config=gs_config):
            pytest.fail("the block must not run")
    assert str(excinfo.value) == (
        "Cannot start the Run at gs:no-such-bucket/runs/lost: Cannot create "
        "gs:no-such-bucket/runs/.lost.rhcore/lease-1: The bucket 'no-such-bucket' does not exist"
    )
    assert not gcs._fs().exists("no-such-bucket")


def test_a_copy_to_a_missing_bucket(gs_config, tmp_path):
    with within(5), pytest.raises(
        StorageNotFoundError, match=r"^Cannot copy gs:no-such-bucket/copies/local/"
    ):
        local_run(tmp_path).to("gs", path="no-such-bucket/copies/local", data_config=gs_config)


def test_loading_from_a_folder_without_a_run_says_where(gs_bucket, gs_config):
    rh.blob(data=b"not a run", system="gs", path=f"{gs_bucket}/runs/other/data.bin",
            data_config=gs_config).write()
    with pytest.raises(rh.RunNotFoundError, match=f"^gs:{gs_bucket}/runs/other holds no Run"):
        rh.run(path=f"{gs_bucket}/runs/other", system="gs", data_config=gs_config)


def test_a_closed_port(tmp_path):
    config = {"endpoint_url": f"http://127.0.0.1:{free_port()}", "token": "anon"}
    with within(10), pytest.raises(rh.StorageError) as excinfo:
        with rh.run(name="far", system="gs", path="bucket/runs/far", data_config=config):
            pytest.fail("the block must not run")
    text = failure_text(excinfo)
    assert "Cannot read gs:bucket/runs/far/config_for_run.json: Cannot connect to host 127.0.0.1" in text
    with within(10), pytest.raises(rh.StorageError, match="gs:bucket/copies/local"):
        local_run(tmp_path).to("gs", path="bucket/copies/local", data_config=config)


def test_failed_requests_print_nothing_of_their_own(capfd):
    """gcsfs logs each failure's traceback; rhcore's error is the one report a user sees."""
    config = {"endpoint_url": f"http://127.0.0.1:{free_port()}", "token": "anon"}
    with pytest.raises(rh.StorageError):
        rh.run(path="bucket/runs/far", system="gs", data_config=config)
    assert capfd.readouterr().err == ""
