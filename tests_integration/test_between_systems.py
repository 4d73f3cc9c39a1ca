"""``Run.to`` between every two writable systems: each file arrives byte for byte, the
copy loads as the same Run, and the source is untouched."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable

import pytest

import rhcore as rh
from rhcore import layout
from rhcore.folder import Folder

SYSTEMS = ["file", "s3", "gs", "azure", "sftp"]


@pytest.fixture
def places(request, tmp_path) -> dict[str, Callable[[str], Folder]]:
    """For each system, a function giving a new folder on it (servers start on first use)."""

    def on(system: str) -> Callable[[str], Folder]:
        if system == "file":
            return lambda name: Folder(str(tmp_path / name), "file")
        if system == "sftp":
            sshd = request.getfixturevalue("sshd")
            return lambda name: Folder(str(sshd.dir / "data" / name), "sftp", sshd.data_config)
        if system == "azure":
            server = request.getfixturevalue("azurite")
            bucket = server.create_container(f"rh-int-{uuid.uuid4().hex[:8]}")
        else:
            server = request.getfixturevalue({"s3": "moto", "gs": "gcs"}[system])
            bucket = server.create_bucket(f"rh-int-{uuid.uuid4().hex[:8]}")
        return lambda name: Folder(f"{bucket}/{name}", system, server.data_config())

    return {system: on(system) for system in request.param}


@pytest.mark.parametrize("places", list(itertools.permutations(SYSTEMS, 2)), indirect=True,
                         ids=lambda pair: "-to-".join(pair))
def test_to_between_two_systems(places):
    (source_system, make_source), (dest_system, make_dest) = places.items()
    source, dest = make_source("made"), make_dest("copied")
    with rh.run(name="made", path=source.path, system=source_system,
                data_config=source.data_config) as r:
        print("on", source_system)
    r.write({"from": source_system}, layout.RESULT_FILE)
    r.write(b"\0" * 70_000, "artifacts/weights.bin")
    before = {f: source.read_bytes(f) for f in source.files()}

    copy = r.to(dest_system, path=dest.path, data_config=dest.data_config)

    assert {f: dest.read_bytes(f) for f in dest.files()} == before
    assert {f: source.read_bytes(f) for f in source.files()} == before
    loaded = rh.run(path=dest.path, system=dest_system, data_config=dest.data_config)
    assert loaded.run_config == r.refresh().run_config
    assert loaded.result() == {"from": source_system} and loaded.stdout() == f"on {source_system}"
    assert copy.folder.system == dest_system
