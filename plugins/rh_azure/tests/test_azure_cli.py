"""``rh cp`` to and from Azure, the credentials from the standard environment."""

from __future__ import annotations

import os
import subprocess
import sys

import rhcore as rh


def test_cp_by_name_to_azure_and_back_here(azurite, az_container, az_config, tmp_path):
    with rh.run(name="made") as r:
        print("made here")
    r.save()
    env = {**os.environ, **azurite.environment()}
    done = subprocess.run(
        [sys.executable, "-m", "rhcore.cli", "cp", "made", f"azure:{az_container}/copies/made"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"copied made to azure:{az_container}/copies/made\n"
    copy = rh.run(path=f"{az_container}/copies/made", system="azure", data_config=az_config)
    assert copy.run_config == r.run_config and copy.stdout() == "made here"

    copy.save("made-on-azure")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([sys.executable, "-m", "rhcore.cli", "cp", "made-on-azure", "here"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert rh.run(path=str(elsewhere / "rh" / "made-on-azure")).stdout() == "made here"
