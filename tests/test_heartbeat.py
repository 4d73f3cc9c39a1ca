"""A Run whose worker runs where this machine cannot see it lives while it beats."""

from __future__ import annotations

import datetime as dt
import json
import time

import rhcore as rh
from rhcore import heartbeat, layout
from rhcore.folder import Folder

ELSEWHERE = {"host": "another-node", "boot_id": "b", "pid": 4242, "start": 1}


def running_elsewhere(tmp_path, started_ago: float) -> rh.Run:
    """A RUNNING Run whose job process is on another machine, started ``started_ago`` s ago."""
    folder = Folder(str(tmp_path / "far"), "file")
    started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=started_ago)
    config = {"name": "far", "status": rh.RunStatus.RUNNING.value, "run_type": rh.RunType.FUNCTION_RUN.value,
              "start_time": started.isoformat(), "worker": {"job": ELSEWHERE}}
    folder.publish(layout.CONFIG_FILE, json.dumps(config).encode())
    return rh.run(path=folder.path)


def test_a_fresh_beat_keeps_a_far_run_alive(tmp_path):
    run = running_elsewhere(tmp_path, started_ago=300)
    heartbeat.beat(run.folder)
    assert run.refresh().status is rh.RunStatus.RUNNING


def test_a_far_run_silent_for_over_a_minute_is_dead(tmp_path):
    run = running_elsewhere(tmp_path, started_ago=300)
    assert run.refresh().status is rh.RunStatus.ERROR
    assert "no heartbeat" in run.error


def test_a_far_run_that_just_started_is_given_time(tmp_path):
    assert running_elsewhere(tmp_path, started_ago=5).refresh().status is rh.RunStatus.RUNNING


def test_beating_writes_only_for_runs_that_last(tmp_path, monkeypatch):
    monkeypatch.setattr(heartbeat, "HEARTBEAT_SECONDS", 0.3)
    short, long = Folder(str(tmp_path / "short"), "file"), Folder(str(tmp_path / "long"), "file")
    with heartbeat.beating(short):
        pass
    with heartbeat.beating(long):
        deadline = time.monotonic() + 5
        while not long.has(layout.HEARTBEAT_FILE) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert long.has(layout.HEARTBEAT_FILE) and not short.has(layout.HEARTBEAT_FILE)
    first = long.read_bytes(layout.HEARTBEAT_FILE)
    time.sleep(1.5)
    assert long.read_bytes(layout.HEARTBEAT_FILE) == first  # stops with the block

