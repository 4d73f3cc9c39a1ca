"""What the Ray executor adds to the contract: resources, scheduling limits, many Runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import psutil
import pytest
from rh_ray.executor import SchedulingTimeoutError, UnschedulableError

import rhcore as rh
from rhcore.testing.executor import sleeper, summer, wait_for


def cpus_seen(_=None):
    import ray

    return ray.get_runtime_context().get_assigned_resources().get("CPU", 0)


@pytest.fixture
def grid(ray_head):
    return rh.cluster(name="grid", kind="ray", address=ray_head)


def test_resources_pass_through_to_ray(grid):
    f = rh.function(cpus_seen, system=grid)
    assert f(run_name="one_cpu") == 1
    assert f(num_cpus=2, run_name="two_cpus") == 2
    assert f.options(num_cpus=0.5)(run_name="half") == 0.5
    assert grid.get_run("two_cpus").inputs() == {"args": [], "kwargs": {}}  # options are not inputs


def test_a_request_larger_than_the_cluster_fails_at_once(grid):
    f = rh.function(summer, system=grid)
    started = time.monotonic()
    with pytest.raises(UnschedulableError, match=r"asks for 64 CPU.*has 2 in all"):
        f.run(1, 2, num_cpus=64, run_name="too_big")
    with pytest.raises(UnschedulableError, match="asks for 1 GPU"):
        f(1, 2, num_gpus=1)
    with pytest.raises(ValueError):  # refused by Ray itself
        f.run(1, 2, num_cpus=-1, run_name="negative")
    assert time.monotonic() - started < 5
    assert grid.get_run("too_big") is None and grid.get_run("negative") is None  # nothing recorded
    assert f.get_or_call(1, 2, run_name="too_big") == 3  # so the name is free, not held by a ghost
    with pytest.raises(UnschedulableError):
        f.get_or_call(1, 2, num_cpus=64, run_name="too_big_cached")
    assert f.get_or_call(1, 2, run_name="too_big_cached") == 3  # its lease was given back
    assert time.monotonic() - started < 10


def test_a_run_ray_cannot_place_in_time_ends_in_error(grid):
    blocker = rh.function(sleeper, system=grid).run(20, num_cpus=2, run_name="blocker")
    wait_for(lambda: (blocker.refresh().worker or {}).get("job"), what="the blocker to start")
    waiting = rh.function(summer, system=grid).run(1, 1, num_cpus=2, scheduling_timeout=1.5,
                                                  run_name="starved")
    wait_for(lambda: waiting.refresh().status.is_final, 20, "the starved Run to fail")
    assert waiting.status is rh.RunStatus.ERROR
    assert "could not place it within its scheduling timeout" in waiting.error
    grid.cancel("blocker", force=True)


def test_a_call_ray_cannot_place_in_time_raises(grid):
    blocker = rh.function(sleeper, system=grid).run(20, num_cpus=2, run_name="holder")
    wait_for(lambda: (blocker.refresh().worker or {}).get("job"), what="the blocker to start")
    f = rh.function(summer, system=grid).options(num_cpus=2, scheduling_timeout=1.5)
    started = time.monotonic()
    with pytest.raises(SchedulingTimeoutError, match="could not place it within its scheduling timeout"):
        f(1, 1, run_name="starved_call")
    with pytest.raises(SchedulingTimeoutError):  # a call without a Run is bounded too
        f(1, 1)
    assert time.monotonic() - started < 10
    run = grid.get_run("starved_call")
    assert run.status is rh.RunStatus.ERROR and "could not place" in run.error
    grid.cancel("holder", force=True)


def retried(marker: str, seconds: float):
    """Waits long the first time it runs (until its worker is killed), not once retried."""
    import os
    import time

    first = not os.path.exists(marker)
    open(marker, "a").close()
    print(f"attempt {'one' if first else 'two'} in {os.getpid()}", flush=True)
    if first:
        time.sleep(seconds)
    return "retried" if not first else "first"


@pytest.mark.parametrize("looked_at", [True, False], ids=["refreshed", "unwatched"])
def test_a_run_ray_retries_is_its_next_attempt(grid, tmp_path, looked_at):
    run = rh.function(retried, system=grid).run(str(tmp_path / "ran"), 60, max_retries=1,
                                                run_name=f"retried-{looked_at}")
    wait_for(lambda: re.search(r"attempt one in \d+", run.stdout()), what="the first attempt")
    first_pid = int(re.search(r"attempt one in (\d+)", run.stdout()).group(1))
    assert first_pid != os.getpid() and first_pid not in {p.pid for p in psutil.Process().parents()}
    os.kill(first_pid, 9)
    if looked_at:  # someone notices the death before Ray retries: ERROR, then the retry
        wait_for(lambda: run.refresh().status is not rh.RunStatus.RUNNING or run.attempt == 2,
                 what="the death or the retry")
    wait_for(lambda: run.refresh().status is rh.RunStatus.COMPLETED, 60, "the retry to complete")
    assert run.result() == "retried" and run.attempt == 2
    assert run.stdout().startswith("attempt two") and run.error is None


def test_options_of_another_executor_are_refused():
    with pytest.raises(TypeError, match="takes no option num_cpus"):
        rh.function(summer).options(num_cpus=2)


def test_address_auto_joins_the_running_cluster(ray_head, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", ray_head)
    auto = rh.cluster(name="here", kind="ray", address="auto")
    assert rh.function(summer, system=auto)(2, 2) == 4


def test_unreachable_cluster_fails_in_seconds():
    script = (
        "import rhcore as rh\n"
        "from rhcore.testing.executor import summer\n"
        "nowhere = rh.cluster(name='nowhere', kind='ray', address='127.0.0.1:1')\n"
        "try:\n"
        "    rh.function(summer, system=nowhere)(1, 1)\n"
        "except rh.RhcoreError as exc:\n"
        "    print(exc)\n"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "Cannot reach the Ray cluster of 'nowhere' at '127.0.0.1:1'" in done.stdout, done.stderr
    assert time.monotonic() - started < 20


def test_a_thousand_tiny_runs_each_with_its_folder(grid):
    runs = rh.function(summer, system=grid).map(((i, 1) for i in range(1000)), run_name_prefix="tiny")
    deadline = time.monotonic() + 300
    pending = list(runs)
    while pending and time.monotonic() < deadline:
        pending = [r for r in pending if not r.refresh().status.is_final]
        time.sleep(0.2)
    assert not pending
    assert [r.result() for r in runs] == [i + 1 for i in range(1000)]
    store = os.path.expanduser("~/.rh/logs")
    assert sum(1 for name in os.listdir(store) if name.startswith("tiny-")) == 1000
