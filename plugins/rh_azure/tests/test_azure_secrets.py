"""The account key given in ``data_config`` reaches no blob, no local file and no error
message."""

from __future__ import annotations

import os
import subprocess
import sys
import traceback

import pytest

import rhcore as rh
from rhcore.testing.checks import local_files


def test_a_runs_credentials_are_written_nowhere(azurite, az_container, az_config, tmp_path, isolated):
    secrets = [azurite.key, azurite.connection_string()]
    rh.configure(registry=f"azure://{az_container}/registry", data_config=az_config)
    with rh.run(name="classified", system="azure", path=f"{az_container}/runs/classified",
                data_config=az_config) as r:
        print("working with", sorted(az_config))
    r.save()
    local = r.to("file", path=str(tmp_path / "copies" / "classified"))
    back = local.to("azure", path=f"{az_container}/back/classified", data_config=az_config)
    back.to("azure", path=f"{az_container}/again/classified", data_config=az_config)
    r.to("here")
    local.save("local-copy")
    with pytest.raises(rh.StorageError) as excinfo:
        local.to("azure", path="no-such-container/x", data_config=az_config)
    messages = ["".join(traceback.format_exception(excinfo.value))]
    cli = subprocess.run(
        [sys.executable, "-m", "rhcore.cli", "cp", "local-copy", "azure:no-such-container/y"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, **azurite.environment(), "RHCORE_REGISTRY": f"azure://{az_container}/registry"},
    )
    assert cli.returncode != 0 and "azure:no-such-container/y" in cli.stderr
    messages.append(cli.stdout + cli.stderr)

    blobs = azurite.blobs(az_container)
    assert f"{az_container}/registry/classified.json" in blobs
    assert f"{az_container}/again/classified/config_for_run.json" in blobs
    files = {**local_files(tmp_path), **local_files(isolated)}
    assert any(p.endswith("classified/config_for_run.json") for p in files)
    for secret in secrets:
        for place, content in {**blobs, **files}.items():
            assert secret.encode() not in content, f"a credential was written to {place}"
        for message in messages:
            assert secret not in message
