"""The ``gs`` system as rhcore sees it: registration, paths, defaults, and the GCS
behaviours rhcore relies on, checked against the real server."""

from __future__ import annotations

import pytest
import rh_gs
from rh_gs.filesystem import ATTEMPTS, RunGCSFileSystem

import rhcore as rh
from rhcore.folder import Folder
from rhcore.plugins import Capabilities
from rhcore.testing import SystemPluginContract


class TestGSPlugin(SystemPluginContract):
    system = "gs"
    protocols = ("gs", "gcs")
    distribution = "rh-gs"
    version = rh_gs.__version__
    lazy_modules = ("gcsfs",)  # gcsfs and the Google libraries take seconds to import
    capabilities = Capabilities(atomic_write=True, exclusive_create=True)

    @pytest.fixture
    def place(self, gs_bucket, gs_config):
        return Folder(f"{gs_bucket}/runs/x", "gs", gs_config)


def test_the_stable_json_api_filesystem_with_rhcores_defaults(gs_config):
    fs = Folder("bucket/x", "gs", gs_config).fs
    assert type(fs) is RunGCSFileSystem  # never gcsfs's experimental gRPC-probing subclass
    assert fs.retries == 6 and ATTEMPTS == 3  # gcsfs's class attribute is not what is used
    assert fs.requests_timeout.sock_connect == 5
    chosen = Folder("bucket/x", "gs", {**gs_config, "requests_timeout": 30}).fs
    assert chosen.requests_timeout == 30  # a data_config setting wins


def test_another_processs_writes_are_seen_at_once(gs_bucket, gs_config, gcs):
    """Listings are not cached: an object written by another client after this process
    listed the folder is found."""
    folder = Folder(f"{gs_bucket}/shared", "gs", gs_config)
    folder.write_bytes("first.txt", b"1")
    assert folder.files() == ["first.txt"]
    other = RunGCSFileSystem(**gs_config, skip_instance_cache=True)
    other.pipe_file(f"{gs_bucket}/shared/second.txt", b"2")
    assert folder.files() == ["first.txt", "second.txt"]
    assert folder.has("second.txt")


def test_a_large_result_round_trips(gs_bucket, gs_config, tmp_path):
    payload = bytes(range(256)) * (24 * 1024 * 1024 // 256)  # 24 MiB, several upload chunks
    with rh.run(name="big", path=str(tmp_path / "big")) as r:
        pass
    r.write(payload, "payload.bin")
    copy = r.to("gs", path=f"{gs_bucket}/big", data_config=gs_config)
    assert copy.folder.read_bytes("payload.bin") == payload
    back = copy.to("file", path=str(tmp_path / "back"))
    assert back.folder.read_bytes("payload.bin") == payload
