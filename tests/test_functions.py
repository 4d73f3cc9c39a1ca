"""Functions on the local cluster beyond the executor contract: saving and loading,
closures and lambdas, leases whose holder died, reboots, and a dying worker server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

import rhcore as rh
from rhcore import layout, liveness, records
from rhcore.folder import Folder
from rhcore.records import ownership
from rhcore.testing.executor import sleeper, summer, token, wait_for


def test_lambdas_and_closures_run_and_save():
    offset = 10
    add = rh.function(lambda x: x + offset, name="add_offset")
    assert add(5) == 15
    add.save()
    loaded = rh.function(name="add_offset")
    assert loaded(1) == 11
    assert rh.load("add_offset")(2) == 12
    assert rh.exists("add_offset", resource_type="function")


def test_saved_function_remembers_its_cluster(tmp_path):
    store = str(tmp_path / "store")
    cluster = rh.cluster(name="mine", run_store=store)
    f = rh.function(summer, name="remembered", system=cluster).save()
    assert f.system is cluster
    loaded = rh.function(name="remembered")
    assert loaded.system == cluster
    loaded(1, 2, run_name="on_store")
    assert os.path.exists(os.path.join(store, "on_store", layout.CONFIG_FILE))


def test_function_to_another_cluster(tmp_path):
    f = rh.function(summer)
    elsewhere = rh.cluster(name="elsewhere", run_store=str(tmp_path / "elsewhere"))
    moved = f.to(elsewhere)
    assert moved.system is elsewhere and f.system.name == "local"
    moved(1, 1, run_name="moved_run")
    assert elsewhere.get_run("moved_run").result() == 2
    assert rh.cluster("local").get_run("moved_run") is None


def test_unknown_function_name_says_so():
    with pytest.raises(rh.ResourceNotFoundError, match="nosuch"):
        rh.function(name="nosuch")


def test_unknown_cluster_names_the_saved_ones():
    rh.cluster(name="saved_one", run_store="/tmp/x").save()
    with pytest.raises(rh.ResourceNotFoundError, match="saved clusters: saved_one"):
        rh.cluster(name="nosuch")


def test_unknown_cluster_kind_names_the_extra(monkeypatch):
    monkeypatch.setenv("RHCORE_PLUGINS", "file")  # as if rh-ray were not installed
    with pytest.raises(rh.UnknownSystemError, match=r"provided by rh-ray: pip install "):
        rh.cluster(name="grid", kind="ray", address="127.0.0.1:6379")


def test_cluster_runs_live_in_home_logs():
    rh.function(summer)(1, 2, run_name="homed")
    assert os.path.isdir(os.path.expanduser("~/.rh/logs/homed"))
    assert rh.cluster("local").get_run("homed").system == rh.cluster("local")


def test_spec_loading_results_example():
    rh.function(summer, name="my_test_func")(1, 2, run_name="my_fn_run")
    cpu = rh.cluster("local")
    fn_run = cpu.get_run("my_fn_run")
    assert fn_run.result() == 3
    assert fn_run.stdout() == "adding 1 and 2" and fn_run.stderr() == ""


def test_a_dead_lease_holder_is_taken_over():
    folder = rh.cluster("local").run_folder("orphaned")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    record = {"holder": liveness.identify(gone.pid) | {"start": 1}, "taken": layout.now_iso()}
    records.book(folder).create("lease-1", json.dumps(record).encode())
    f = rh.function(token)
    value = f.get_or_call(0, run_name="orphaned")
    run = rh.cluster("local").get_run("orphaned")
    assert run.result() == value and run.attempt == 2
    assert records.lease_generations(folder) == [1, 2]


def test_a_live_lease_holder_is_waited_for():
    folder = rh.cluster("local").run_folder("waited")
    f = rh.function(token)
    first = f.get_or_run(1.0, run_name="waited")
    assert f.get_or_call(1.0, run_name="waited") == first.refresh().result()
    assert records.lease_generations(folder) == [1]


def test_reboot_is_seen_as_error(tmp_path):
    """A RUNNING Run whose processes were started in a previous boot of this machine died
    with that boot."""
    before = liveness.identify() | {"boot_id": "a-previous-boot"}
    folder = Folder(str(tmp_path / "rebooted"), "file")
    config = {"name": "rebooted", "status": "RUNNING", "run_type": "FUNCTION", "attempt": 1,
              "start_time": layout.now_iso(), "worker": {"server": before, "job": before}}
    folder.publish(layout.CONFIG_FILE, json.dumps(config).encode())
    run = rh.run(path=folder.path)
    assert run.refresh().status is rh.RunStatus.ERROR
    assert "rebooted" in run.error


def test_a_killed_worker_server_takes_its_runs_with_it():
    cluster = rh.cluster(name="fragile", max_parallel=2)
    run = rh.function(sleeper, system=cluster).run(30, run_name="orphan_job")
    wait_for(lambda: (run.refresh().worker or {}).get("job"))
    job = run.worker["job"]
    os.kill(run.worker["server"]["pid"], signal.SIGKILL)
    wait_for(lambda: run.refresh().status.is_final, what="the Run to notice its worker died")
    assert run.status is rh.RunStatus.ERROR and "died" in run.error
    assert not liveness.alive(job)
    assert rh.function(summer, system=cluster)(2, 2) == 4  # a new server is started


def test_server_and_job_both_dead_is_error():
    cluster = rh.cluster(name="doomed", kind="local")
    run = rh.function(sleeper, system=cluster).run(30, run_name="doomed_job")
    wait_for(lambda: (run.refresh().worker or {}).get("job"))
    os.kill(run.worker["server"]["pid"], signal.SIGKILL)
    os.killpg(run.worker["job"]["pid"], signal.SIGKILL)
    wait_for(lambda: run.refresh().status.is_final)
    assert run.status is rh.RunStatus.ERROR and "died" in run.error


def test_ctrl_c_while_waiting_cancels_the_run():
    """Ctrl-C at a terminal: SIGINT from outside the caller, once the job's first line
    reached the caller's terminal."""
    script = f"""
import faulthandler, signal, sys
faulthandler.dump_traceback_later(45)  # were it ever to hang: every thread's stack, on stderr
# As at a terminal: a test run started in the background inherits SIGINT ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, {os.getcwd()!r})
import rhcore as rh
from rhcore.testing.executor import sleeper
try:
    rh.function(sleeper)(60, run_name="interrupted")
except KeyboardInterrupt:
    print("interrupted")
print(rh.cluster("local").get_run("interrupted").refresh().status.value)
"""
    caller = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    assert caller.stdout.readline() == "sleeping\n"
    time.sleep(1.0)
    caller.send_signal(signal.SIGINT)
    out, err = caller.communicate(timeout=60)
    assert out.split() == ["interrupted", "CANCELLED"], err


def test_warm_calls_reuse_one_server():
    f = rh.function(summer)
    f(1, 1)
    server = f.system.executor.server_identity
    started = time.perf_counter()
    for _ in range(10):
        f(1, 1, stream_logs=False)
    assert (time.perf_counter() - started) / 10 < 0.1
    assert f.system.executor.server_identity == server


IMPORTLIB_MODE_TEST = '''
import rhcore as rh

class Boom(Exception):
    pass

def double(x):
    return 2 * x

def explode():
    raise Boom("kaboom")

def test_functions_of_a_module_imported_by_path():
    assert rh.function(double)(21, run_name="dbl") == 42
    try:
        rh.function(explode)()
    except Boom as exc:
        assert "kaboom" in str(exc)
    else:
        raise AssertionError("no Boom")
'''


def test_functions_from_modules_the_worker_cannot_import_by_name(tmp_path):
    """pytest's importlib mode loads test modules by path: their functions travel by value."""
    (tmp_path / "test_by_path.py").write_text(IMPORTLIB_MODE_TEST)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
         str(tmp_path / "test_by_path.py")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


SHARED_STEP = """
import sys
import rhcore as rh
from rhcore.testing.executor import token
rh.configure(registry=sys.argv[1])
print(rh.function(token).get_or_call(float(sys.argv[2]), run_name="shared_step"))
"""


def test_a_teammates_cached_run_is_a_cache_hit(tmp_path):
    """Two processes with their own HOMEs and one registry: the second reuses the first's
    result, and waits for it if it is still being computed."""
    script = tmp_path / "step.py"
    script.write_text(SHARED_STEP)
    registry = str(tmp_path / "team-registry")

    def teammate(home: str, seconds: float) -> subprocess.Popen:
        (tmp_path / home).mkdir()
        return subprocess.Popen([sys.executable, str(script), registry, str(seconds)],
                                cwd=tmp_path / home, env={**os.environ, "HOME": str(tmp_path / home)},
                                stdout=subprocess.PIPE, text=True)

    first = teammate("alice", 2.0)
    time.sleep(1.0)  # alice's Run is under way: bob waits for it instead of computing
    second = teammate("bob", 2.0)
    values = [p.communicate(timeout=60)[0].strip() for p in (first, second)]
    assert values[0] == values[1] and len(values[0]) == 32
    assert not os.path.exists(tmp_path / "bob" / ".rh" / "logs" / "shared_step")


def test_to_on_completion_copies_when_the_run_ends(tmp_path):
    run = rh.function(sleeper).run(1.0, run_name="copied_later")
    target = tmp_path / "later"
    pending = run.to("file", path=str(target), on_completion=True)
    assert pending.path == str(target)
    assert not (target / layout.CONFIG_FILE).exists()
    wait_for(lambda: (target / layout.CONFIG_FILE).exists(), what="the copy after the Run ends")
    copy = rh.run(path=str(target))
    assert copy.status is rh.RunStatus.COMPLETED and copy.result() == 1.0


def test_a_lease_being_written_is_not_taken_over():
    """Exclusive create is an open, then a write: a lease seen empty is its taker's, not
    a dead one's (a stale empty lease is taken over only after a while)."""
    folder = rh.cluster("local").run_folder("half_written")
    records.book(folder).create("lease-1", b"")
    assert records.spent(folder, None, 1) is False
    ownership._unreadable_since[(folder.system, folder.path, 1)] -= ownership.UNREADABLE_SECONDS + 1
    assert records.spent(folder, None, 1) is True


def test_a_run_is_found_by_the_name_of_its_cluster(tmp_path):
    """``system`` may name a cluster (the spec: "File system or cluster name")."""
    rh.function(summer)(1, 2, run_name="on-local")
    found = rh.run(name="on-local", system="local")
    assert found.status is rh.RunStatus.COMPLETED and found.result() == 3
    assert found.system.name == "local"

    shared = rh.cluster(name="team", run_store=str(tmp_path / "store"))
    shared.save()
    rh.function(summer, system=shared)(2, 2, run_name="on-team")
    found = rh.run(name="on-team", system="team")
    assert found.result() == 4 and found.system.name == "team"
    assert found.folder.path == str(tmp_path / "store" / "on-team")


def test_an_unknown_system_or_cluster_name_names_the_installed_systems():
    with pytest.raises(rh.UnknownSystemError, match="file"):
        rh.run(name="nowhere", system="no-such-place")


@pytest.mark.parametrize("args, kwargs", [((1,), {}), ((1, 2, 3), {}), ((1,), {"c": 3}), ((), {"a": 1})])
def test_arguments_that_do_not_fit_fail_before_anything_runs(args, kwargs):
    def pair(a, b):
        return a + b

    f = rh.function(pair)
    with pytest.raises(TypeError):
        f.run(*args, run_name="never", **kwargs)
    assert not f.system.run_folder("never").exists()
    assert f(1, 2) == 3
    assert f(1, b=2) == 3




@pytest.fixture
def lose_cwd(tmp_path, monkeypatch):
    """Deletes the caller's working directory when called: where its jobs are to run is gone."""

    def lose() -> None:
        gone = tmp_path / "gone"
        gone.mkdir()
        monkeypatch.chdir(gone)
        gone.rmdir()

    return lose


def test_a_run_that_cannot_be_recorded_leaves_its_name_free(lose_cwd):
    lose_cwd()
    cpu = rh.cluster(name="cold", max_parallel=1)  # its server starts while the Run is recorded
    f = rh.function(summer, system=cpu)
    with pytest.raises(FileNotFoundError):
        f.run(1, 2, run_name="unrecorded")
    assert cpu.get_run("unrecorded") is None
    started = time.monotonic()
    with pytest.raises(FileNotFoundError):  # its lease was given back: no wait for this process
        f.get_or_call(1, 2, run_name="unrecorded")
    assert time.monotonic() - started < 5


def test_a_run_that_cannot_be_submitted_ends_in_error(lose_cwd):
    cpu = rh.cluster(name="local")
    f = rh.function(summer, system=cpu)
    assert f(1, 1) == 2  # the warm server is up; then the working directory goes
    lose_cwd()
    with pytest.raises(FileNotFoundError):
        f.run(1, 2, run_name="lost")
    run = cpu.get_run("lost")
    assert run.status is rh.RunStatus.ERROR
    assert run.error.startswith("It could not be started: FileNotFoundError")
    with pytest.raises(FileNotFoundError):  # its name is free again: a new attempt, not a wait
        f.get_or_call(1, 2, run_name="lost")
    assert cpu.get_run("lost").attempt == 2
