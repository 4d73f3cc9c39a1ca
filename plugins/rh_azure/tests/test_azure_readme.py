"""The README's examples run as written against the session's Azurite: the account comes
from ``AZURE_STORAGE_CONNECTION_STRING``, as for any Azure client, and the container is
the examples' own ``my-container``."""

from __future__ import annotations

from pathlib import Path

import pytest

import rhcore as rh
from rhcore.testing.readme import blocks_for

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def account(azurite, monkeypatch):
    """The account in this process's environment; ``my-container`` there."""
    for name, value in azurite.environment().items():
        monkeypatch.setenv(name, value)
    azurite.create_container("my-container")  # this test's alone, in the session's server
    return azurite


def test_the_plugin_is_listed():
    (console,) = [b for b in blocks_for(README, __file__) if b.lang == "console"]
    console.run_console()


def test_use_and_command_line(account, az_config, isolated):
    use, cli = [b for b in blocks_for(README, __file__) if b.lang != "console"]
    scope = use.run_python()
    assert scope["local"].path == str(isolated / "rh" / "train")
    assert rh.run("train", data_config=az_config).stdout() == "epoch 1"
    assert scope["total"] == 6
    run = scope["grid"].get_run("total")
    assert (run.folder.system, run.path) == ("azure", "my-container/runs/total")
    archived = rh.run(path="my-container/archive/train", system="azure", data_config=az_config)
    assert archived.stdout() == "epoch 1"

    assert cli.run_shell(cwd=isolated) == "copied train to azure:my-container/archive/train\n"
