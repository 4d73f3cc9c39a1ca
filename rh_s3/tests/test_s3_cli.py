"""``rh cp`` to and from S3, with a progress bar on a terminal and silence elsewhere."""

from __future__ import annotations

import fcntl
import json
import os
import struct
import subprocess
import sys
import termios

import pytest

import rhcore as rh
from rhcore import layout

BIG = 12 * 1024 * 1024


def rh_cli(*args: str, env: dict[str, str], stderr=subprocess.PIPE) -> subprocess.CompletedProcess:
    """The real ``rh`` command in a new process, with ``env`` added to the environment."""
    return subprocess.run(
        [sys.executable, "-m", "rhcore.cli", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        timeout=120,
    )


@pytest.fixture
def saved_big_run() -> rh.Run:
    with rh.run(name="big") as r:
        print("big output")
    r.write(os.urandom(BIG), layout.RESULT_FILE)
    return r.save()


def test_cp_by_name_to_s3_and_back_here(saved_big_run, s3_bucket, s3_config, moto, tmp_path):
    done = rh_cli("cp", "big", f"s3:{s3_bucket}/copies/big", env=moto.environment())
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"copied big to s3:{s3_bucket}/copies/big\n"
    assert done.stderr == ""  # not a terminal: no progress bar
    copy = rh.run(path=f"{s3_bucket}/copies/big", system="s3", data_config=s3_config)
    assert copy.run_config == saved_big_run.run_config
    assert copy.folder.read_bytes(layout.RESULT_FILE) == saved_big_run.folder.read_bytes(
        layout.RESULT_FILE
    )

    # Register the S3 copy under a new name, then bring it into another working directory.
    copy.save("big-on-s3")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "rhcore.cli", "cp", "big-on-s3", "here"],
        cwd=elsewhere,
        env={**os.environ, **moto.environment()},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert rh.run(path=str(elsewhere / "rh" / "big-on-s3")).stdout() == "big output"


def test_cp_a_folder_with_a_url_and_data_config(saved_big_run, s3_bucket, s3_config, moto):
    keys_only = {k: v for k, v in moto.environment().items() if k != "AWS_ENDPOINT_URL"}
    endpoint = json.dumps({"client_kwargs": {"endpoint_url": moto.endpoint}})
    done = rh_cli(
        "cp",
        saved_big_run.path,
        f"s3://{s3_bucket}/urls/big",
        "--data-config",
        endpoint,
        env=keys_only,
    )
    assert done.returncode == 0, done.stderr
    assert (
        rh.run(path=f"{s3_bucket}/urls/big", system="s3", data_config=s3_config).stdout()
        == "big output"
    )


def test_cp_shows_progress_on_a_terminal(saved_big_run, s3_bucket, moto):
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    with os.fdopen(master, "rb", buffering=0) as terminal:
        done = rh_cli(
            "cp", "big", f"s3:{s3_bucket}/shown/big", env=moto.environment(), stderr=slave
        )
        os.close(slave)
        shown = b""
        while True:
            try:
                chunk = terminal.read(65536)
            except OSError:  # EIO: the writer has gone and everything was read
                break
            if not chunk:
                break
            shown += chunk
    assert done.returncode == 0
    text = shown.decode(errors="replace")
    assert "big: result.pkl" in text and "100%" in text and "12.0M/12.0M" in text
    assert "big.out" not in text  # small files copy without a bar
