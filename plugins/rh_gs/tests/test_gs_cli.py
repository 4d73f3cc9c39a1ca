"""``rh cp`` to and from GCS, credentials and endpoint from the standard environment."""

from __future__ import annotations

import os
import subprocess
import sys

import rhcore as rh


def test_cp_by_name_to_gs_and_back_here(gcs, gs_bucket, gs_config, tmp_path):
    with rh.run(name="made") as r:
        print("made here")
    r.save()
    env = {**os.environ, **gcs.environment()}
    done = subprocess.run([sys.executable, "-m", "rhcore.cli", "cp", "made", f"gs:{gs_bucket}/copies/made"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"copied made to gs:{gs_bucket}/copies/made\n"
    copy = rh.run(path=f"{gs_bucket}/copies/made", system="gs", data_config=gs_config)
    assert copy.run_config == r.run_config and copy.stdout() == "made here"

    copy.save("made-on-gs")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([sys.executable, "-m", "rhcore.cli", "cp", "made-on-gs", "here"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert rh.run(path=str(elsewhere / "rh" / "made-on-gs")).stdout() == "made here"


def test_cp_to_a_missing_bucket_fails_clearly(gcs):
    with rh.run(name="stays") as r:
        pass
    r.save()
    done = subprocess.run([sys.executable, "-m", "rhcore.cli", "cp", "stays", "gs:no-such-bucket/x"],
                          env={**os.environ, **gcs.environment()}, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "gs:no-such-bucket/x" in done.stderr and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr
