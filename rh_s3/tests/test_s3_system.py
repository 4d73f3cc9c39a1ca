"""The ``s3`` system as rhcore sees it: registration, paths, defaults, and the S3
behaviours rhcore relies on, checked against the real server."""

from __future__ import annotations

import copy

import pytest
import s3fs

import rh_s3
import rhcore as rh
from rhcore import layout
from rhcore.folder import Folder
from rhcore.plugins import Capabilities
from rhcore.testing import SystemPluginContract


class TestS3Plugin(SystemPluginContract):
    system = "s3"
    protocols = ("s3", "s3a")
    distribution = "rh-s3"
    version = rh_s3.__version__
    lazy_modules = ("s3fs", "botocore")
    capabilities = Capabilities(atomic_write=True, exclusive_create=True)

    @pytest.fixture
    def place(self, s3_bucket, s3_config):
        return Folder(f"{s3_bucket}/runs/x", "s3", s3_config)


def test_no_default_place_asks_for_a_path(s3_config):
    with pytest.raises(rh.RhcoreError, match="'s3' has no default place for Runs: pass path="):
        rh.run(name="nowhere", system="s3", data_config=s3_config, load=False)


def client_config(fs: s3fs.S3FileSystem):
    """The botocore Config the filesystem's client was really made with."""
    fs.ls("")  # makes the client
    return fs.s3.meta.config


def test_defaults_never_override_the_user_and_never_touch_their_dict(moto):
    mine = {
        **moto.data_config(),
        "config_kwargs": {"connect_timeout": 11, "retries": {"max_attempts": 7}},
        "use_listings_cache": True,
    }
    before = copy.deepcopy(mine)
    fs = rh_s3.s3_filesystem(mine)
    config = client_config(fs)
    assert mine == before  # botocore rewrites the retries it is given: only our copy
    assert config.connect_timeout == 11 and config.retries["total_max_attempts"] == 8
    assert fs.dircache.use_listings_cache is True

    default = rh_s3.s3_filesystem(moto.data_config())
    config = client_config(default)
    assert config.connect_timeout == 3
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert default.dircache.use_listings_cache is False


def test_exclusive_create_is_refused_by_the_server(s3_bucket, s3_config):
    """The server itself refuses the second create (If-None-Match), not a check in rhcore:
    a separate s3fs handle, as another machine would have, cannot create it either."""
    folder = Folder(f"{s3_bucket}/lease", "s3", s3_config)
    assert folder.create("owner", b"first")
    other = s3fs.S3FileSystem(**s3_config, skip_instance_cache=True)
    with pytest.raises(FileExistsError):
        other.pipe_file(folder.join("owner"), b"second", mode="create")
    assert folder.create("owner", b"third") is False
    assert other.cat_file(folder.join("owner")) == b"first"


def test_another_handles_writes_are_seen_after_a_listing(s3_bucket, s3_config):
    """A listing must not hide objects written since by another process or machine."""
    folder = Folder(f"{s3_bucket}/shared", "s3", s3_config)
    folder.write_bytes("a.json", b"{}")
    assert folder.files() == ["a.json"]
    other = s3fs.S3FileSystem(**s3_config, skip_instance_cache=True)
    other.pipe_file(folder.join("b.json"), b"{}")
    assert folder.has("b.json")
    assert folder.files() == ["a.json", "b.json"]
    other.rm_file(folder.join("a.json"))
    assert not folder.has("a.json")


def test_removing_a_folder_leaves_its_siblings(s3_bucket, s3_config):
    for name in ("runs/a/x", "runs/ab/y", "runs/a.json"):
        Folder(f"{s3_bucket}", "s3", s3_config).write_bytes(name, b"1")
    Folder(f"{s3_bucket}/runs/a", "s3", s3_config).rm()
    assert Folder(s3_bucket, "s3", s3_config).files() == ["runs/a.json", "runs/ab/y"]


def test_remove_says_whether_the_object_existed(s3_bucket, s3_config):
    folder = Folder(f"{s3_bucket}/r", "s3", s3_config)
    folder.write_bytes(layout.CONFIG_FILE, b"{}")
    assert folder.remove(layout.CONFIG_FILE) is True
    assert folder.remove(layout.CONFIG_FILE) is False


def test_a_run_on_s3_creates_no_bucket_marker_or_folder_object(s3_bucket, s3_config, moto):
    with rh.run(name="flat", system="s3", path=f"{s3_bucket}/a/b/flat", data_config=s3_config):
        pass
    keys = sorted(moto.objects(s3_bucket))
    assert keys == [  # the Run's files; beside them rhcore's records of its attempt, and the
        # store's index of Runs: an event for its start and one for its end
        f"{s3_bucket}/a/b/.flat.rhcore/end-1", f"{s3_bucket}/a/b/.flat.rhcore/lease-1",
        f"{s3_bucket}/a/b/.rhcore-index/events/000000000001",
        f"{s3_bucket}/a/b/.rhcore-index/events/000000000002",
        *(f"{s3_bucket}/a/b/flat/{n}" for n in (layout.CONFIG_FILE, "flat.err", "flat.out")),
    ]


def test_a_whole_bucket_is_never_removed(s3_bucket, s3_config):
    bucket = Folder(s3_bucket, "s3", s3_config)
    bucket.write_bytes("keep.txt", b"x")
    with pytest.raises(ValueError, match="whole bucket"):
        bucket.rm()
    assert bucket.has("keep.txt")


def test_mkdir_makes_nothing_on_an_object_store(s3_bucket, s3_config):
    folder = Folder(f"{s3_bucket}/empty", "s3", s3_config)
    folder.mkdir()
    assert not folder.exists()


def test_a_blob_on_an_object_store_needs_a_path(s3_bucket, s3_config):
    with pytest.raises(ValueError, match="needs a path"):
        rh.blob(data=1, system="s3", data_config=s3_config)
    blob = rh.blob(data=[1, 2], system="s3", path=f"{s3_bucket}/blobs/b1", data_config=s3_config).write()
    assert blob.to("file", path="copied.pkl").fetch() == [1, 2]
