"""A Run whose worker runs where this machine cannot see it lives while it beats."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import rhcore as rh
from rhcore import layout, records
from rhcore.folder import Folder
from rhcore.records import vitals

BEAT = layout.attempt_file(layout.HEARTBEAT_PREFIX, 1)
ELSEWHERE = {"host": "another-node", "boot_id": "b", "pid": 4242, "start": 1}


def running_elsewhere(tmp_path, started_ago: float, clock_behind: float = 0.0) -> rh.Run:
    """A RUNNING Run whose job process is on another machine, whose record the store last
    changed ``started_ago`` s ago, written by a worker whose clock is ``clock_behind`` s late."""
    folder = Folder(str(tmp_path / "far"), "file")
    started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=started_ago + clock_behind)
    config = {"name": "far", "status": rh.RunStatus.RUNNING.value, "run_type": rh.RunType.FUNCTION_RUN.value,
              "start_time": started.isoformat(), "worker": {"job": ELSEWHERE}, "attempt": 1}
    folder.publish(layout.CONFIG_FILE, json.dumps(config).encode())
    then = time.time() - started_ago
    os.utime(folder.join(layout.CONFIG_FILE), (then, then))
    return rh.run(path=folder.path)


def test_a_fresh_beat_keeps_a_far_run_alive(tmp_path):
    run = running_elsewhere(tmp_path, started_ago=300)
    records.beat(run.folder, run.attempt)
    assert run.refresh().status is rh.RunStatus.RUNNING


def test_a_far_run_silent_for_over_a_minute_is_dead(tmp_path):
    run = running_elsewhere(tmp_path, started_ago=300)
    assert run.refresh().status is rh.RunStatus.ERROR
    assert "no heartbeat" in run.error


def test_a_far_run_that_just_started_is_given_time(tmp_path):
    assert running_elsewhere(tmp_path, started_ago=5).refresh().status is rh.RunStatus.RUNNING


def test_a_far_worker_whose_clock_is_late_is_not_taken_for_dead(tmp_path):
    """Its start time and its beats say 90 s ago; the store saw them now: it lives."""
    run = running_elsewhere(tmp_path, started_ago=1, clock_behind=90)
    assert run.refresh().status is rh.RunStatus.RUNNING
    late = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=90)).isoformat()
    records.book(run.folder).write_bytes(BEAT, late.encode())
    assert run.refresh().status is rh.RunStatus.RUNNING


def test_a_beat_seen_unchanged_for_too_long_from_here_is_death(tmp_path, monkeypatch):
    """A watcher's own clock decides: however fresh the store says the beat is, one this
    process has seen unchanged for longer than a heartbeat may be silent is death."""
    monkeypatch.setattr(vitals, "HEARTBEAT_STALE_SECONDS", 0.5)
    run = running_elsewhere(tmp_path, started_ago=0)
    records.beat(run.folder, run.attempt)
    assert run.refresh().status is rh.RunStatus.RUNNING
    records.beat(run.folder, run.attempt)  # it changed: alive
    assert run.refresh().status is rh.RunStatus.RUNNING
    time.sleep(0.7)
    assert run.refresh().status is rh.RunStatus.ERROR and "as watched from here" in run.error


def test_beating_writes_only_for_runs_that_last(tmp_path, monkeypatch):
    monkeypatch.setattr(vitals, "HEARTBEAT_SECONDS", 0.3)
    short, long = Folder(str(tmp_path / "short"), "file"), Folder(str(tmp_path / "long"), "file")
    with records.beating(short, 1):
        pass
    long_book, short_book = records.book(long), records.book(short)
    with records.beating(long, 1):
        deadline = time.monotonic() + 5
        while not long_book.has(BEAT) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert long_book.has(BEAT) and not short_book.has(BEAT)
    first = long_book.read_bytes(BEAT)
    time.sleep(1.5)
    assert long_book.read_bytes(BEAT) == first  # stops with the block

