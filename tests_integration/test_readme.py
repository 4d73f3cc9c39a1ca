"""The main README's example across two plugins runs as written: a Run on GCS copied to
Azure, against fake-gcs-server and Azurite, each reached through its standard environment
variable (``STORAGE_EMULATOR_HOST``, ``AZURE_STORAGE_CONNECTION_STRING``), in the
examples' own bucket and container."""

from __future__ import annotations

from pathlib import Path

import rhcore as rh
from rhcore.testing.readme import blocks_for

README = Path(__file__).resolve().parent.parent / "README.md"


def test_gs_to_azure(gcs, azurite, monkeypatch):
    for name, value in {**gcs.environment(), **azurite.environment()}.items():
        monkeypatch.setenv(name, value)
    gcs.create_bucket("my-bucket")
    azurite.create_container("my-container")
    (block,) = blocks_for(README, __file__)
    scope = block.run_python()
    assert scope["r"].folder.system == "gs" and scope["r"].stdout() == "epoch 1"
    copy = rh.run(path="my-container/archive/train", system="azure", data_config=azurite.data_config())
    assert copy.stdout() == "epoch 1" and copy.run_config == scope["r"].run_config
