"""Platforms without /proc, pidfds or fork, on Linux: the paths rhcore takes there,
taken here by switching the Linux ones off.

macOS has fork but neither /proc nor pidfds; a platform without fork also starts each
job process as a new interpreter. ``RHCORE_NO_PROC`` (process liveness through psutil),
``RHCORE_NO_PIDFD`` (job processes watched through SIGCHLD) and ``RHCORE_NO_FORK`` (job
processes spawned) switch the Linux paths off in the processes started with them: here,
the local cluster's worker server and its job processes. This process takes the psutil
path through :func:`rhcore.liveness.use_proc`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

import rhcore as rh
from rhcore import liveness
from rhcore.testing import ExecutorContract

PROFILES = {
    "macos": ("RHCORE_NO_PROC", "RHCORE_NO_PIDFD"),
    "no-fork": ("RHCORE_NO_PROC", "RHCORE_NO_PIDFD", "RHCORE_NO_FORK"),
}

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="switches Linux's paths off")


@pytest.fixture
def psutil_path():
    """This process judges processes through psutil, as where there is no /proc."""
    was = liveness.proc_in_use()
    liveness.use_proc(False)
    yield
    liveness.use_proc(was)


@pytest.fixture(params=sorted(PROFILES))
def without_linux_paths(request, monkeypatch, psutil_path):
    """A fresh local worker server, started with the profile's Linux paths switched off;
    the next one, after the test, is started without the switches."""
    rh.cluster("local").executor.close()
    for variable in PROFILES[request.param]:
        monkeypatch.setenv(variable, "1")
    yield request.param
    rh.cluster("local").executor.close()


class TestLocalClusterWithoutLinuxPaths(ExecutorContract):
    @pytest.fixture
    def cluster(self, without_linux_paths):
        return rh.cluster(name="local")


def job_argv() -> list[str]:
    return sys.argv


def test_the_server_takes_the_switched_paths(without_linux_paths):
    """Job processes are spawned (``rhcore.worker job``) or forked (``serve``) as the
    profile says, and name themselves with psutil's start times."""
    cluster = rh.cluster(name="local")
    argv = rh.function(job_argv, system=cluster)(run_name="argv")
    run = cluster.get_run("argv")
    assert argv[1] == ("job" if without_linux_paths == "no-fork" else "serve")
    assert run.worker["job"]["created"] and "start" not in run.worker["job"]
    assert run.worker["job"]["boot_id"].startswith(liveness.BOOT_TIME_PREFIX)


def test_a_block_that_refreshes_itself_lives_and_completes(psutil_path):
    """The bug this file is for: without /proc, this process looked dead to itself."""
    with rh.run(name="self-check") as run:
        assert run.refresh().status is rh.RunStatus.RUNNING
        assert "created" in run.worker["job"]
    assert run.status is rh.RunStatus.COMPLETED
    assert rh.run(path=run.path).status is rh.RunStatus.COMPLETED


# -- liveness through psutil ---------------------------------------------------------------


def test_this_process_is_alive(psutil_path):
    me = liveness.identify()
    assert me["pid"] == os.getpid() and me["created"] > 0 and "start" not in me
    assert liveness.alive(me) is True
    assert liveness.identify(os.getpid())["created"] == me["created"]


def test_an_exited_process_is_dead_reaped_or_not(psutil_path):
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    identity = liveness.identify(child.pid)
    deadline = time.monotonic() + 10
    while liveness.alive(identity) and time.monotonic() < deadline:  # a zombie until reaped
        time.sleep(0.02)
    assert liveness.alive(identity) is False
    child.wait()
    assert liveness.alive(identity) is False
    assert "is gone" in liveness.death_reason(identity)


def test_a_reused_pid_is_not_the_process_recorded(psutil_path):
    me = liveness.identify()
    assert liveness.alive(me | {"created": me["created"] - 30}) is False


def test_records_of_either_kind_are_judged_on_either_path(psutil_path):
    liveness.use_proc(True)
    by_proc = liveness.identify()
    liveness.use_proc(False)
    by_psutil = liveness.identify()
    assert "start" in by_proc and "created" in by_psutil
    assert liveness.alive(by_proc) is True  # this process is there; its ticks cannot be read
    liveness.use_proc(True)
    assert liveness.alive(by_psutil) is True
    assert liveness.alive(by_psutil | {"created": by_psutil["created"] + 30}) is False


def test_a_boot_time_that_moved_with_the_clock_is_not_a_reboot(psutil_path):
    me = liveness.identify()
    booted = float(me["boot_id"].removeprefix(liveness.BOOT_TIME_PREFIX))
    assert liveness.alive(me | {"boot_id": f"{liveness.BOOT_TIME_PREFIX}{booted - 2:.0f}"}) is True
    long_ago = me | {"boot_id": f"{liveness.BOOT_TIME_PREFIX}{booted - 86400:.0f}", "created": 1.0}
    assert liveness.alive(long_ago) is False
    assert "rebooted" in liveness.death_reason(long_ago)


def test_descendants_started_since_a_mark(psutil_path):
    mark = liveness.ticks_now()
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert child.pid in liveness.descendants(os.getpid(), started_since=mark)
        assert child.pid not in liveness.descendants(os.getpid(), started_since=mark + 3600)
    finally:
        child.kill()
        child.wait()
