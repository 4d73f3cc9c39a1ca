"""A read-only system serves its Runs and refuses every write before anything changes."""

from __future__ import annotations

import sys

import pytest
from fsspec.implementations.memory import MemoryFileSystem

import rhcore as rh
from rhcore import hookimpl, plugins
from rhcore.folder import Folder
from rhcore.plugins import Capabilities, SystemSpec


@hookimpl
def rhcore_register_systems(register):
    # two views of one in-memory store: "shelf" is how tests put Runs there, "archive" how
    # users see them (MemoryFileSystem instances share their store)
    register(SystemSpec("shelf", protocols=("shelf",), factory=lambda cfg: MemoryFileSystem()))
    register(
        SystemSpec(
            "archive",
            protocols=("archive",),
            capabilities=Capabilities(read_only=True),
            factory=lambda cfg: MemoryFileSystem(),
        )
    )


@pytest.fixture
def archive():
    plugins.register(sys.modules[__name__], "archive")
    yield
    plugins.unregister("archive")
    MemoryFileSystem.store.clear()
    MemoryFileSystem.pseudo_dirs[:] = [""]


@pytest.fixture
def published(archive):
    """A COMPLETED Run in the archive, published there by other means."""
    with rh.run(name="published", system="shelf", path="/archive/published") as r:
        print("made elsewhere")
    assert r.status is rh.RunStatus.COMPLETED
    return rh.run(path="/archive/published", system="archive")


def test_a_published_run_loads_and_reads(published):
    assert published.status is rh.RunStatus.COMPLETED
    assert published.stdout() == "made elsewhere"


def test_a_missing_run_is_an_error_not_a_new_run(archive):
    with pytest.raises(rh.RunNotFoundError, match=r"No Run at archive:/archive/absent.*read-only"):
        rh.run(path="/archive/absent", system="archive")


def test_writes_are_refused(published):
    with pytest.raises(rh.ReadOnlySystemError, match="read-only"):
        published.write(b"x", "extra.bin")
    assert Folder("/archive/published", "shelf").files() == [
        "config_for_run.json", "published.err", "published.out"
    ]


def test_a_refused_rename_leaves_the_run_as_it_was(published):
    with pytest.raises(rh.ReadOnlySystemError):
        published.save("renamed")
    assert published.name == "published"
    assert rh.run(path="/archive/published", system="archive").name == "published"
    assert not rh.exists("renamed")


def test_copies_out_of_it_work(published, tmp_path):
    copy = published.to("file", path=str(tmp_path / "copy"))
    assert copy.stdout() == "made elsewhere" and copy.status is rh.RunStatus.COMPLETED
