"""One owner of a Run's record: one live execution per name, final states that hold,
earlier attempts kept, late outcomes recorded beside the end (issue 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

import rhcore as rh
from rhcore import layout, liveness, records
from rhcore.testing.executor import sleeper, summer, token, wait_for


def ignores_sigterm(seconds: float):
    """Finishes its work whatever a polite cancel says."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    time.sleep(seconds)
    return "finished anyway"


# -- one live execution per name ------------------------------------------------------------


def test_a_second_run_of_a_running_name_is_refused_and_names_it():
    f = rh.function(sleeper)
    first = f.run(5, run_name="dup")
    with pytest.raises(rh.RunInProgressError, match="'dup' is already running") as refused:
        f.run(1, run_name="dup")
    assert refused.value.run_name == "dup" and "dup" in refused.value.place
    with pytest.raises(rh.RunInProgressError):
        f(1, run_name="dup")
    with pytest.raises(rh.RunInProgressError):
        rh.cluster("local").run(["true"], run_name="dup")
    assert isinstance(refused.value, FileExistsError)  # RunExistsError's family
    run = rh.cluster("local").get_run("dup")
    assert run.status is rh.RunStatus.RUNNING and run.attempt == 1
    rh.cluster("local").cancel("dup", force=True)
    assert first.refresh().status is rh.RunStatus.CANCELLED


def test_get_or_call_waits_for_the_live_run_instead_of_refusing():
    f = rh.function(token)
    running = f.run(1.0, run_name="shared")
    assert f.get_or_call(1.0, run_name="shared") == running.refresh().result()
    assert rh.cluster("local").get_run("shared").attempt == 1


def test_two_processes_entering_the_same_block_one_is_refused(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import rhcore as rh, time\nwith rh.run(name='x'):\n"
                               "    print('in', flush=True)\n    time.sleep(30)\n"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "in"
        with pytest.raises(rh.RunInProgressError, match="'x' is already running"):
            with rh.run(name="x"):
                print("a second block must not run")
        assert "a second block" not in rh.run(name="x").stdout()
        assert rh.run(name="x").status is rh.RunStatus.RUNNING
    finally:
        holder.kill()
        holder.wait()
    assert rh.run(name="x").refresh().status is rh.RunStatus.ERROR  # its process is gone


# -- final states are final --------------------------------------------------------------------


def test_a_cancelled_run_stays_cancelled_and_its_processes_are_gone():
    run = rh.function(sleeper).run(30, run_name="stopped")
    wait_for(lambda: (run.refresh().worker or {}).get("job"), what="the job to be named")
    job = run.worker["job"]
    assert rh.cluster("local").cancel("stopped").status is rh.RunStatus.CANCELLED
    wait_for(lambda: not liveness.alive(job), 5, "the job process to be gone")
    time.sleep(0.5)
    assert run.refresh().status is rh.RunStatus.CANCELLED


def test_a_cancel_from_another_process_is_final(tmp_path):
    run = rh.function(sleeper).run(30, run_name="job-a")
    wait_for(lambda: "sleeping" in run.stdout(), what="the job to start")
    done = subprocess.run([sys.executable, "-m", "rhcore.cli", "cancel", "local", "job-a"],
                          capture_output=True, text=True, timeout=60)
    assert "CANCELLED" in done.stdout, done.stdout + done.stderr
    size = os.path.getsize(os.path.join(run.path, run.stdout_file))
    time.sleep(1.0)
    assert run.refresh().status is rh.RunStatus.CANCELLED
    assert os.path.getsize(os.path.join(run.path, run.stdout_file)) == size  # nothing runs on


def test_a_job_ending_after_its_run_was_cancelled_is_recorded_beside_it():
    f = rh.function(ignores_sigterm)
    run = f.run(1.5, run_name="late")
    wait_for(lambda: run.refresh().status is rh.RunStatus.RUNNING and os.path.exists(run.path))
    ended = records.end(run.folder, run.record, rh.RunStatus.CANCELLED, late=False, error="Cancelled")
    assert ended.won
    wait_for(lambda: os.path.exists(os.path.join(run.path, layout.LATE_RESULT_FILE)), 10, "the late result")
    assert run.refresh().status is rh.RunStatus.CANCELLED and run.error == "Cancelled"
    late = json.loads(records.book(run.folder).read_bytes(layout.attempt_file(layout.LATE_PREFIX, 1)))
    assert late["status"] == "COMPLETED"
    assert not os.path.exists(os.path.join(run.path, layout.RESULT_FILE))
    assert rh.cluster("local").get_run("late").status is rh.RunStatus.CANCELLED


def test_the_caller_of_a_cancelled_call_is_told_even_if_the_job_finished():
    f = rh.function(ignores_sigterm)
    handle = {}

    def cancel_soon():
        run = wait_for(lambda: rh.cluster("local").get_run("late-sync"))
        wait_for(lambda: run.refresh().status is rh.RunStatus.RUNNING)
        handle["ended"] = records.end(run.folder, run.record, rh.RunStatus.CANCELLED, late=False)

    import threading

    thread = threading.Thread(target=cancel_soon)
    thread.start()
    with pytest.raises(rh.RunCancelledError, match="kept beside it"):
        f(1.5, run_name="late-sync")
    thread.join()
    assert handle["ended"].won


def test_ending_twice_is_refused_on_every_path():
    with rh.run(name="once") as r:
        pass
    with pytest.raises(rh.IllegalTransitionError, match="already ended"):
        records.end(r.folder, r.record, rh.RunStatus.ERROR)
    with pytest.raises(rh.IllegalTransitionError):
        r.__exit__(None, None, None)
    assert rh.run(name="once").status is rh.RunStatus.COMPLETED


def test_a_stale_running_read_loses_to_the_end_already_recorded():
    with rh.run(name="raced") as r:
        stale = r.record  # what a slow watcher read while the block ran
    outcome = records.end(r.folder, stale, rh.RunStatus.ERROR, late=False, error="judged dead")
    assert not outcome.won and outcome.record.status is rh.RunStatus.COMPLETED
    assert rh.run(name="raced").status is rh.RunStatus.COMPLETED


def test_an_end_decided_but_not_published_reads_as_ended():
    """A writer that died between deciding the end and publishing the config (a full
    disk, a kill) leaves a Run that reads as ended, not RUNNING."""
    with rh.run(name="half") as r:
        running = r.record
    folder = r.folder
    folder.publish(layout.CONFIG_FILE, records.stored_form(running))  # as if the publish never happened
    assert rh.run(name="half").status is rh.RunStatus.COMPLETED


# -- attempts are kept ---------------------------------------------------------------------------


def test_entering_a_finished_block_again_keeps_the_first_attempt():
    with rh.run(name="prepare") as first:
        print("first attempt")
    with rh.run(name="prepare") as second:
        print("second attempt")
    assert (first.attempt, second.attempt) == (1, 2)
    assert second.stdout() == "second attempt"
    [earlier] = second.attempts()
    assert earlier.attempt == 1 and earlier.status is rh.RunStatus.COMPLETED
    assert earlier.stdout() == "first attempt"
    assert [os.path.basename(p) for p in second.folder.ls()] == \
        ["config_for_run.json", "prepare.err", "prepare.out"]


def test_a_failed_block_run_again_keeps_its_error():
    with pytest.raises(ValueError), rh.run(name="flaky"):
        raise ValueError("first try")
    with rh.run(name="flaky") as r:
        pass
    [failed] = r.attempts()
    assert failed.status is rh.RunStatus.ERROR and "first try" in failed.stderr()
    assert r.status is rh.RunStatus.COMPLETED and r.error is None


def test_a_function_run_again_keeps_its_inputs_and_result():
    f = rh.function(summer)
    assert f(1, 2, run_name="twice") == 3
    assert f(5, 5, run_name="twice") == 10
    run = rh.cluster("local").get_run("twice")
    assert run.attempt == 2 and run.result() == 10
    [first] = run.attempts()
    assert first.inputs() == {"args": [1, 2], "kwargs": {}} and first.result() == 3
    assert first.stdout() == "adding 1 and 2"


def test_get_or_call_after_an_error_keeps_the_failed_attempt():
    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        rh.function(broken)(run_name="retried")
    assert rh.function(summer).get_or_call(2, 2, run_name="retried") == 4
    run = rh.cluster("local").get_run("retried")
    [failed] = run.attempts()
    assert failed.status is rh.RunStatus.ERROR and "boom" in failed.error


def test_copying_onto_an_earlier_attempt_keeps_it(tmp_path):
    target = str(tmp_path / "copy")
    with rh.run(name="moved") as r:
        print("one")
    r.to("file", path=target)
    with rh.run(name="moved") as r:
        print("two")
    copy = r.to("file", path=target)
    assert copy.stdout() == "two"
    assert [a.stdout() for a in copy.attempts()] == ["one"]
    again = r.to("file", path=target)  # the same attempt again: brought up to date, nothing kept twice
    assert [a.stdout() for a in again.attempts()] == ["one"]


def test_copying_onto_another_run_is_refused(tmp_path):
    with rh.run(name="a") as a:
        pass
    with rh.run(name="b") as b:
        pass
    with pytest.raises(rh.RunExistsError, match="another Run"):
        a.to("file", path=b.path)


# -- the record's schema -----------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("status", 5), ("upstream_artifacts", 5),
                                              ("start_time", "yesterday"), ("attempt", "one")])
def test_a_config_with_a_wrong_type_is_corrupt_naming_the_file_and_field(field, value):
    with rh.run(name="typed") as r:
        pass
    path = os.path.join(r.path, layout.CONFIG_FILE)
    config = json.load(open(path))
    config[field] = value
    with open(path, "w") as f:
        json.dump(config, f)
    with pytest.raises(rh.CorruptConfigError, match=rf"{path}.*{field}"):
        rh.run(path=r.path)


def test_file_names_come_from_the_layout_never_from_the_config():
    with rh.run(name="safe") as r:
        print("mine")
    path = os.path.join(r.path, layout.CONFIG_FILE)
    config = json.load(open(path))
    config.update(stdout_file="../../victim.txt", stderr_file="/etc/passwd")
    with open(path, "w") as f:
        json.dump(config, f)
    loaded = rh.run(path=r.path)
    assert loaded.stdout() == "mine" and loaded.stdout_file == "safe.out"
