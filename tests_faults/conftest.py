"""A full disk, for real: a 5 MiB tmpfs (``shared/SERVICES.md`` §7) as HOME and working
directory, so every Run folder, log and worker of a test lives on it. Needs root, as CI
has; anywhere else the fixture says so and the test fails."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from rh_s3.fixtures import moto, s3_bucket, s3_config  # noqa: F401  (hostile stores on S3)

import rhcore as rh
from rhcore.testing.fixtures import isolated  # noqa: F401  (autouse)

DISK_BYTES = 5 * 1024 * 1024


@pytest.fixture
def full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A 5 MiB disk that is HOME and the working directory; unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.fail("the fault suite mounts a tmpfs: run it as root (CI does)")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(disk)], check=True)
    monkeypatch.setenv("HOME", str(disk))
    monkeypatch.chdir(disk)
    try:
        yield disk
    finally:
        rh.cluster("local").executor.close()
        monkeypatch.chdir(tmp_path)
        subprocess.run(["umount", "-l", str(disk)], check=False)
