"""A disk that fills up never leaves a Run RUNNING, never takes another Run down, and
never makes a user's own print() fail (issue 16)."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import pytest

import rhcore as rh
from rhcore.testing.executor import sleeper, wait_for

MB = 1024 * 1024


def flood(megabytes: int):
    line = "x" * 1023
    for _ in range(megabytes * 1024):
        print(line)
    return "flooded"


def big(megabytes: int):
    return b"y" * (megabytes * MB)


def no_temporary_files(root) -> list[str]:
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files if ".tmp-" in f]


def test_a_function_printing_past_a_full_disk_ends_in_error_and_spares_its_neighbour(full_disk):
    neighbour = rh.function(sleeper).run(1.5, run_name="neighbour")
    with pytest.raises(OSError, match="No space left on device"):
        rh.function(flood)(12, run_name="flood", stream_logs=False)
    run = wait_for(lambda: (r := rh.cluster("local").get_run("flood")) and r.status.is_final and r)
    assert run.status is rh.RunStatus.ERROR and "No space left on device" in run.error
    assert "dropped to record the Run's end" in run.stdout()[-200:]
    wait_for(lambda: neighbour.refresh().status.is_final, what="the neighbour to end")
    assert neighbour.status is rh.RunStatus.COMPLETED and neighbour.result() == 1.5
    assert rh.function(sleeper)(0, run_name="after") == 0  # the worker server lives on
    shown = subprocess.run([sys.executable, "-m", "rhcore.cli", "logs", "local", "flood"],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert no_temporary_files(full_disk) == []


def test_a_result_too_big_for_the_disk_ends_in_error_and_leaves_nothing_half_written(full_disk):
    with pytest.raises(OSError, match="No space left on device"):
        rh.function(big)(12, run_name="too-big")
    run = rh.cluster("local").get_run("too-big")
    assert run.status is rh.RunStatus.ERROR and "No space left on device" in run.error
    assert not os.path.exists(os.path.join(run.path, "result.pkl"))
    assert no_temporary_files(full_disk) == []


def test_a_block_printing_past_a_full_disk_goes_on_and_ends_in_error(full_disk, capfd):
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with rh.run(name="chatty") as r:
            for _ in range(12 * 1024):
                print("z" * 1023)  # never raises: the log gives up, the terminal keeps it all
            print("the last line")
    assert "the last line" in capfd.readouterr().out
    assert len([w for w in said if "can no longer save its output" in str(w.message)]) == 1
    assert r.status is rh.RunStatus.ERROR and "No space left on device" in r.error
    assert rh.run(name="chatty").status is rh.RunStatus.ERROR
    assert no_temporary_files(full_disk) == []
