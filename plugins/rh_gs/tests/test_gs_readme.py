"""The README's examples run as written against the session's fake-gcs-server: its
endpoint comes from ``STORAGE_EMULATOR_HOST``, as for any Google client, and the bucket is
the examples' own ``my-bucket``."""

from __future__ import annotations

from pathlib import Path

import pytest

import rhcore as rh
from rhcore.testing.readme import blocks_for

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def emulator(gcs, monkeypatch):
    """The server in this process's environment; ``my-bucket`` there."""
    for name, value in gcs.environment().items():
        monkeypatch.setenv(name, value)
    gcs.create_bucket("my-bucket")  # this test's alone, in the session's server
    return gcs


def test_the_plugin_is_listed():
    (console,) = [b for b in blocks_for(README, __file__) if b.lang == "console"]
    console.run_console()


def test_use_and_command_line(emulator, gs_config, isolated):
    use, cli = [b for b in blocks_for(README, __file__) if b.lang != "console"]
    scope = use.run_python()
    assert scope["local"].path == str(isolated / "rh" / "train")
    assert rh.run("train").stdout() == "epoch 1"
    assert scope["total"] == 6
    run = scope["grid"].get_run("total")
    assert (run.folder.system, run.path) == ("gs", "my-bucket/runs/total")
    assert rh.run(path="my-bucket/archive/train", system="gs", data_config=gs_config).stdout() == "epoch 1"

    assert cli.run_shell(cwd=isolated) == "copied train to gs:my-bucket/archive/train\n"
