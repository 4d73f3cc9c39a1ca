"""Faults end Runs with their cause and stay where they happened (issue 16): a function's
sys.exit, files that cannot be read back, a corrupt config among many, a folder deleted
while its Run goes."""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys

import pytest

import rhcore as rh
from rhcore import layout, records
from rhcore.records import ownership
from rhcore.testing.executor import summer, wait_for


def exits(code):
    print("leaving")
    sys.exit(code)


def slow_then_done(seconds: float):
    import time

    print("started", flush=True)
    time.sleep(seconds)
    return "done"


@pytest.mark.parametrize("code", [0, None])
def test_sys_exit_with_success_is_a_completed_run_and_the_caller_goes_on(code):
    assert rh.function(exits)(code, run_name=f"exit-{code}") is None
    run = rh.cluster("local").get_run(f"exit-{code}")
    assert run.status is rh.RunStatus.COMPLETED and run.stdout() == "leaving"


def test_sys_exit_with_failure_is_an_error_and_the_caller_goes_on():
    with pytest.raises(rh.RunFailedError, match=r"sys.exit\(3\)"):
        rh.function(exits)(3, run_name="exit-3")
    run = rh.cluster("local").get_run("exit-3")
    assert run.status is rh.RunStatus.ERROR and "sys.exit(3)" in run.error


def test_a_corrupt_result_names_its_file():
    rh.function(summer)(1, 2, run_name="damaged")
    run = rh.cluster("local").get_run("damaged")
    result = os.path.join(run.path, layout.RESULT_FILE)
    with open(result, "wb") as f:
        f.write(b"not a pickle")
    with pytest.raises(rh.CorruptRunError, match=rf"{result} cannot be read back"):
        run.result()
    with pytest.raises(rh.CorruptRunError, match=result):
        rh.function(summer).get_or_call(1, 2, run_name="damaged")
    with open(os.path.join(run.path, layout.INPUTS_FILE), "wb") as f:
        f.write(b"\x80\x05truncated")
    with pytest.raises(rh.CorruptRunError, match=layout.INPUTS_FILE):
        run.inputs()


def test_a_listing_skips_a_corrupt_config_with_one_warning():
    f = rh.function(summer)
    for name in ("good-1", "bad", "good-2"):
        f(1, 1, run_name=name)
    bad = os.path.join(rh.cluster("local").get_run("bad").path, layout.CONFIG_FILE)
    config = json.load(open(bad))
    config["status"] = 5
    with open(bad, "w") as out:
        json.dump(config, out)
    with pytest.warns(UserWarning, match=rf"Skipped 1 Run.*{bad}.*'status'"):
        names = [r.name for r in rh.cluster("local").runs()]
    assert names == ["good-1", "good-2"]
    with pytest.warns(UserWarning, match="Skipped 1 Run"):
        assert f.get_or_call(run_name="latest") == 2


def test_a_folder_deleted_while_its_run_goes_ends_in_error_saying_so():
    run = rh.function(slow_then_done).run(1.0, run_name="vanishing")
    wait_for(lambda: "started" in run.stdout(), what="the job to start")
    shutil.rmtree(run.path)
    wait_for(lambda: os.path.exists(os.path.join(run.path, layout.CONFIG_FILE)), 10, "the end")
    assert run.refresh().status is rh.RunStatus.ERROR
    assert "was deleted while it ran" in run.error


def test_a_block_whose_folder_was_deleted_ends_in_error_saying_so():
    with rh.run(name="gone") as r:
        shutil.rmtree(r.path)
    assert r.status is rh.RunStatus.ERROR and "deleted while it ran" in r.error


def test_a_running_record_naming_no_worker_is_not_waited_for_forever(tmp_path):
    folder = rh.cluster("local").run_folder("orphan-record")
    folder.publish(layout.CONFIG_FILE, json.dumps(
        {"name": "orphan-record", "status": "RUNNING", "run_type": "FUNCTION", "attempt": 1}).encode())
    records.book(folder).create("lease-1", b'{"holder": null, "taken": "2026-01-01T00:00:00+00:00"}')
    assert rh.function(summer).get_or_call(2, 2, run_name="orphan-record") == 4
    [judged] = rh.cluster("local").get_run("orphan-record").attempts()
    assert judged.status is rh.RunStatus.ERROR and "names no worker" in judged.error


def test_waiting_on_another_hosts_attempt_says_whose_it_is(monkeypatch, caplog):
    monkeypatch.setattr(ownership, "WAIT_NOTICE_SECONDS", 0.2)
    monkeypatch.setattr(ownership, "STALE_LEASE_SECONDS", 1.5)
    folder = rh.cluster("local").run_folder("held-elsewhere")
    holder = {"host": "node-7", "boot_id": "b", "pid": 4242, "start": 1}
    records.book(folder).create("lease-1", json.dumps({"holder": holder, "taken": layout.now_iso()}).encode())
    with caplog.at_level(logging.WARNING, logger="rhcore"):
        assert rh.function(summer).get_or_call(1, 1, run_name="held-elsewhere") == 2
    assert "by process 4242 on node-7 since" in caplog.text


def test_latest_is_the_run_the_store_recorded_last_whatever_the_workers_clocks(tmp_path):
    f = rh.function(summer)
    f(1, 1, run_name="first")
    f(2, 2, run_name="second")
    first = rh.cluster("local").get_run("first")
    config = os.path.join(first.path, layout.CONFIG_FILE)
    skewed = json.load(open(config))
    skewed["end_time"] = "2099-01-01T00:00:00+00:00"  # a worker whose clock runs far ahead
    with open(config, "w") as out:
        json.dump(skewed, out)
    past = os.stat(config).st_mtime - 60
    os.utime(config, (past, past))  # recorded before "second", by the store's clock
    assert f.get_or_call(run_name="latest") == 4
