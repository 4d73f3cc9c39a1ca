"""kill -9 at each step of a Run (issue 16): no Run stays RUNNING because of a fault. A
Run never claims RUNNING after its process is gone, no two callers compute the same
step, final states stay final, and the name can always be run again, its earlier
attempt kept readable.

Every kill is a real SIGKILL of a real process: a function's job process, the warm
worker server, a caller waiting in ``get_or_call``, a Python process inside a ``with``
block. The records steps are hit by a fault injector (a ``sitecustomize`` put on the
``PYTHONPATH`` of a child process only, so the child, its worker server and their job
processes load it) that kills its own process at one step: after the lease is taken
and before the config is published, after ``end-<n>`` is created and before the config
is published, half-way through writing the result.
"""

from __future__ import annotations

import itertools
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path

import pytest

import rhcore as rh
from rhcore.testing.executor import wait_for

# -- what the workers run (module level: importable by the worker server) ------------------


def sleep_unless(flag: str) -> str:
    """Sleeps (to be killed) unless ``flag`` exists: the test makes it once it killed one."""
    print("started", flush=True)
    if not os.path.exists(flag):
        time.sleep(30)
    return "computed"


CHATTER = "x" * 80


def chatter_unless(flag: str) -> str:
    """Prints without end (to be killed) unless ``flag`` exists."""
    if os.path.exists(flag):
        print("again")
        return "computed"
    for i in itertools.count():
        print(f"line {i} {CHATTER}")
        time.sleep(0.0002)  # thousands of lines a second, not millions
    return "never"


def counted(log: str, release: str) -> str:
    """Records each execution in ``log``, then waits (bounded) until ``release`` exists."""
    with open(log, "a") as out:
        out.write(f"{os.getpid()}\n")
    deadline = time.monotonic() + 20
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.02)
    return f"computed by {os.getpid()}"


def payload(size: int) -> str:
    print("computing", flush=True)
    return "r" * size


# -- child processes ---------------------------------------------------------------------

CHILD_BLOCK = """
import sys, time
import rhcore as rh
with rh.run(name=sys.argv[1]) as r:
    print("inside the block", flush=True)
    time.sleep(float(sys.argv[2]))
print("left the block", r.status.value, flush=True)
"""

CHILD_CALL = """
import os, sys, time
import rhcore as rh

def counted(log, release):
    with open(log, "a") as out:
        out.write(f"{os.getpid()}\\n")
    deadline = time.monotonic() + 20
    while not os.path.exists(release) and time.monotonic() < deadline:
        time.sleep(0.02)
    return f"computed by {os.getpid()}"

name, log, release = sys.argv[1:4]
print("calling", flush=True)
print("value", rh.function(counted).get_or_call(log, release, run_name=name), flush=True)
"""

CHILD_FUNCTION = """
import sys
import rhcore as rh

def payload(size):
    print("computing", flush=True)
    return "r" * size

try:
    value = rh.function(payload)(int(sys.argv[2]), run_name=sys.argv[1])
    print("value", len(value), flush=True)
except rh.RhcoreError as exc:
    print("error", type(exc).__name__, exc, flush=True)
"""

INJECTOR = '''
"""Fault injector for tests_faults/test_kill9.py: SIGKILL this process at one records step."""
import os
import signal

_POINT = os.environ.get("RH_KILL9_AT")


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


if _POINT:
    from rhcore import layout
    from rhcore.folder import Folder

    if _POINT == "lease":  # the lease is taken; the RUNNING config is about to be published
        _publish = Folder.publish

        def publish(self, name, data):
            if name == layout.CONFIG_FILE:
                _die()
            return _publish(self, name, data)

        Folder.publish = publish
    elif _POINT == "end":  # end-<n> is created; the final config is about to be published
        _create = Folder.create

        def create(self, name, data):
            made = _create(self, name, data)
            if made and name.startswith(layout.END_PREFIX):
                _die()
            return made

        Folder.create = create
    elif _POINT == "result":  # half of the result is written
        _write_bytes = Folder.write_bytes

        def write_bytes(self, name, data):
            if name == layout.RESULT_FILE:
                _write_bytes(self, name, data[: len(data) // 2])
                _die()
            return _write_bytes(self, name, data)

        Folder.write_bytes = write_bytes
    elif _POINT == "publish":  # the RUNNING config is written to its temporary file, not renamed
        from rh_file.filesystem import RunFileSystem

        _mv = RunFileSystem.mv

        def mv(self, path1, path2, *args, **kwargs):
            if os.path.basename(str(path1)).startswith(f".{layout.CONFIG_FILE}.tmp-"):
                _die()
            return _mv(self, path1, path2, *args, **kwargs)

        RunFileSystem.mv = mv
'''

FINAL = (rh.RunStatus.COMPLETED, rh.RunStatus.ERROR, rh.RunStatus.CANCELLED)


@pytest.fixture
def children() -> Iterator[Callable[..., subprocess.Popen]]:
    """Start child Python processes in the working directory; any still running at the
    end of the test is killed."""
    started: list[subprocess.Popen] = []

    def start(script: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        child = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=env)
        started.append(child)
        return child

    yield start
    for child in started:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)
        child.stdout.close()
        child.stderr.close()


@pytest.fixture
def injected(tmp_path: Path) -> Callable[[str], dict]:
    """The environment of a child process whose processes die at a records step."""
    where = tmp_path / "injector"
    where.mkdir()
    (where / "sitecustomize.py").write_text(INJECTOR)

    def env(point: str) -> dict:
        path = os.pathsep.join(p for p in (str(where), os.environ.get("PYTHONPATH")) if p)
        return {**os.environ, "PYTHONPATH": path, "RH_KILL9_AT": point}

    return env


def in_thread(call: Callable, *args, **kwargs) -> Future:
    """``call(*args, **kwargs)`` in a daemon thread: its value or error, awaited with a bound."""
    future: Future = Future()

    def body() -> None:
        try:
            future.set_result(call(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=body, daemon=True).start()
    return future


def read_line(child: subprocess.Popen, timeout: float) -> str:
    """The next line the child prints (fail after ``timeout``)."""
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    assert ready, f"the child printed nothing within {timeout} s"
    return child.stdout.readline().decode()


def finish(child: subprocess.Popen, timeout: float = 15) -> tuple[int, str, str]:
    out, err = child.communicate(timeout=timeout)
    return child.returncode, out.decode(), err.decode()


def gone(pid: int) -> bool:
    """Whether process ``pid`` has exited (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        return True
    return stat[stat.rindex(b")") + 2 :].split()[0] in (b"Z", b"X")


def job_of(cluster: rh.Cluster, name: str) -> dict | None:
    """The job process of Run ``name``, once its record names it."""
    run = cluster.get_run(name)
    return (run.worker or {}).get("job") if run is not None else None


def rh_command(*args: str) -> str:
    """What the ``rh`` command line prints, run as a user runs it."""
    done = subprocess.run([sys.executable, "-c", "from rhcore.cli import main; main()", *args],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def listed_status(name: str) -> str:
    """The STATUS column of ``rh runs`` for Run ``name``."""
    for line in rh_command("runs").splitlines():
        fields = line.split()
        if fields and fields[0] == name:
            return fields[2]
    raise AssertionError(f"rh runs does not list {name!r}")


def no_temporary_files(run: rh.Run, *, on_disk: bool = True) -> None:
    """The Run's folder lists its config and no temporary file; ``on_disk``: holds no hidden
    one either (a publisher killed between writing and renaming its file leaves one)."""
    listed = [p.rsplit("/", 1)[-1] for p in run.folder.ls()]
    assert "config_for_run.json" in listed
    assert not [n for n in listed if "tmp" in n]
    if on_disk:
        assert not [n for n in os.listdir(run.path) if "tmp" in n]


# -- a function Run's processes, killed ------------------------------------------------------


def test_a_job_killed_right_after_it_started_ends_in_error_and_computes_again(tmp_path):
    local, flag, name = rh.cluster("local"), str(tmp_path / "flag"), "k9-sleeping"
    f = rh.function(sleep_unless)
    caller = in_thread(f.get_or_call, flag, run_name=name)
    job = wait_for(lambda: job_of(local, name), 10, "the job process to be named")
    os.kill(job["pid"], signal.SIGKILL)
    with pytest.raises(rh.WorkerDiedError, match="killed by signal 9"):
        caller.result(timeout=10)  # an error, not a hang
    run = local.get_run(name)  # ended before the caller heard: no look in between sees RUNNING
    assert run.status is rh.RunStatus.ERROR
    assert f"the job process {job['pid']} was killed by signal 9 (SIGKILL)" in run.error
    assert listed_status(name) == "ERROR"
    printed = run.stdout()
    assert printed in ("", "started")  # killed before or after its first line
    no_temporary_files(run)

    Path(flag).touch()
    assert f.get_or_call(flag, run_name=name) == "computed"  # a new attempt, not the dead one
    again = local.get_run(name)
    assert (again.status, again.attempt) == (rh.RunStatus.COMPLETED, 2)
    [earlier] = again.attempts()
    assert earlier.status is rh.RunStatus.ERROR and "signal 9" in earlier.error
    assert earlier.stdout() == printed and earlier.inputs() == {"args": [flag], "kwargs": {}}
    assert f.get_or_call(flag, run_name=name) == "computed" and local.get_run(name).attempt == 2


def test_a_job_killed_while_it_prints_keeps_what_it_printed(tmp_path):
    local, flag, name = rh.cluster("local"), str(tmp_path / "flag"), "k9-chatty"
    f = rh.function(chatter_unless)
    caller = in_thread(f.get_or_call, flag, run_name=name)
    job = wait_for(lambda: job_of(local, name), 10, "the job process to be named")
    wait_for(lambda: "line 2000 " in local.get_run(name).stdout(), 10, "a lot of output")
    os.kill(job["pid"], signal.SIGKILL)
    with pytest.raises(rh.WorkerDiedError, match="killed by signal 9"):
        caller.result(timeout=10)
    run = local.get_run(name)
    assert run.status is rh.RunStatus.ERROR and "signal 9" in run.error
    printed = run.stdout().splitlines()
    assert len(printed) > 2000
    assert printed == [f"line {i} {CHATTER}" for i in range(len(printed))]  # whole lines, in order
    no_temporary_files(run)

    Path(flag).touch()
    assert f.get_or_call(flag, run_name=name) == "computed"
    again = local.get_run(name)
    assert (again.status, again.attempt, again.stdout()) == (rh.RunStatus.COMPLETED, 2, "again")
    [earlier] = again.attempts()
    assert earlier.status is rh.RunStatus.ERROR and earlier.stdout().splitlines() == printed


def test_a_killed_worker_server_ends_its_run_in_error_and_the_next_call_starts_another(tmp_path):
    cluster, flag, name = rh.cluster(name="k9-server", kind="local"), str(tmp_path / "flag"), "k9-server-run"
    f = rh.function(sleep_unless, system=cluster)
    caller = in_thread(f.get_or_call, flag, run_name=name)
    job = wait_for(lambda: job_of(cluster, name), 10, "the job process to be named")
    server = cluster.get_run(name).worker["server"]
    os.kill(server["pid"], signal.SIGKILL)
    with pytest.raises(rh.WorkerDiedError, match="did not finish"):
        caller.result(timeout=10)
    wait_for(lambda: gone(job["pid"]), 5, "the job to die with its server")
    # Nobody here has looked at the Run since: the listing must not claim it runs.
    assert listed_status(name) == "ERROR"
    run = cluster.get_run(name)
    assert run.status is rh.RunStatus.ERROR and "died" in run.error
    printed = run.stdout()  # what the server wrote of it: its last second may be lost with it
    assert printed in ("", "started")
    no_temporary_files(run)

    Path(flag).touch()
    assert f.get_or_call(flag, run_name=name) == "computed"  # on a new server
    again = cluster.get_run(name)
    assert (again.status, again.attempt) == (rh.RunStatus.COMPLETED, 2)
    assert again.worker["server"]["pid"] != server["pid"]
    [earlier] = again.attempts()
    assert earlier.status is rh.RunStatus.ERROR and "died" in earlier.error and earlier.stdout() == printed


# -- a with block's process, killed ------------------------------------------------------------


@pytest.mark.parametrize("look_first", [True, False], ids=["looked-at", "run-again-at-once"])
def test_a_process_killed_inside_a_with_block_leaves_an_error_and_the_block_runs_again(
    children, look_first
):
    name = f"k9-block-{look_first}"
    child = children(CHILD_BLOCK, name, "60")
    assert read_line(child, 15) == "inside the block\n"
    assert rh.run(name=name).refresh().status is rh.RunStatus.RUNNING  # alive: RUNNING is the truth
    child.kill()  # at once: what the block printed is in its log as soon as it was shown
    assert child.wait(timeout=5) == -signal.SIGKILL
    if look_first:
        assert '"status": "ERROR"' in rh_command("show", name)  # the first look says so
        loaded = rh.run(name=name)
        assert loaded.refresh().status is rh.RunStatus.ERROR
        assert f"its worker process {child.pid} " in loaded.error and "is gone" in loaded.error
        no_temporary_files(loaded)
    assert rh.run(name=name).stdout() == "inside the block"
    with rh.run(name=name) as again:
        print("second attempt")
    assert (again.status, again.attempt) == (rh.RunStatus.COMPLETED, 2)
    assert again.stdout() == "second attempt"
    [earlier] = again.attempts()
    assert earlier.status is rh.RunStatus.ERROR and "is gone" in earlier.error
    assert earlier.stdout() == "inside the block"
    assert rh.run(name=name).refresh().status is rh.RunStatus.COMPLETED


# -- a caller killed while another process computes ---------------------------------------------


@pytest.mark.parametrize("killed", ["waiter", "starter"])
def test_a_caller_killed_while_the_run_is_computed_leaves_it_computed_exactly_once(
    children, tmp_path, killed
):
    name, log, release = f"k9-caller-{killed}", str(tmp_path / "executions"), str(tmp_path / "release")
    starter = children(CHILD_CALL, name, log, release)
    wait_for(lambda: os.path.exists(log), 15, "the first caller's job to start")
    waiter = children(CHILD_CALL, name, log, release)
    assert read_line(waiter, 15) == "calling\n"
    time.sleep(1.0)  # the second caller is now waiting for the first one's attempt
    victim, survivor = (waiter, starter) if killed == "waiter" else (starter, waiter)
    victim.kill()
    assert victim.wait(timeout=5) == -signal.SIGKILL
    Path(release).touch()
    code, out, err = finish(survivor)
    assert code == 0, err
    value = out.splitlines()[-1].removeprefix("value ")
    assert value.startswith("computed by ")

    run = rh.cluster("local").get_run(name)
    assert (run.status, run.attempt, run.attempts()) == (rh.RunStatus.COMPLETED, 1, [])
    # The children ran their own copy of counted (their __main__'s): another function by
    # name, so the cached Run is taken with cache="warn" rather than computed again.
    assert rh.function(counted).get_or_call(log, release, run_name=name, cache="warn") == value
    assert Path(log).read_text().splitlines() == [value.removeprefix("computed by ")]  # once


# -- kill -9 at the records steps ----------------------------------------------------------------


def test_killed_after_taking_the_lease_a_function_run_is_never_seen_and_runs_again(children, injected):
    name = "k9-lease-function"
    code, out, err = finish(children(CHILD_FUNCTION, name, "10", env=injected("lease")))
    assert code == -signal.SIGKILL, (out, err)  # died at the step
    local = rh.cluster("local")
    assert local.get_run(name) is None  # no config: nothing claims to run
    assert name not in rh_command("runs")
    assert rh.function(payload).get_or_call(10, run_name=name) == "r" * 10  # no wait for the dead taker
    run = local.get_run(name)
    assert run.status is rh.RunStatus.COMPLETED and run.result() == "r" * 10
    assert all(a.status in FINAL for a in run.attempts())
    no_temporary_files(run)


@pytest.mark.parametrize("point", ["lease", "publish"])
def test_killed_before_a_blocks_config_is_published_the_block_runs_again(children, injected, point):
    name = f"k9-{point}-block"
    code, out, err = finish(children(CHILD_BLOCK, name, "0", env=injected(point)))
    assert code == -signal.SIGKILL, (out, err)
    loaded = rh.run(name=name)
    assert loaded.refresh().status is rh.RunStatus.NOT_STARTED
    with rh.run(name=name) as again:
        print("second attempt")
    assert again.status is rh.RunStatus.COMPLETED and again.stdout() == "second attempt"
    assert all(a.status in FINAL for a in again.attempts())
    no_temporary_files(again, on_disk=point != "publish")


def test_killed_after_a_blocks_end_is_decided_the_end_stands(children, injected):
    name = "k9-end-block"
    code, out, err = finish(children(CHILD_BLOCK, name, "0", env=injected("end")))
    assert code == -signal.SIGKILL, (out, err)
    assert "inside the block" in out and "left the block" not in out
    loaded = rh.run(name=name)
    assert loaded.status is rh.RunStatus.COMPLETED  # the end recorded, not the RUNNING config
    assert loaded.refresh().status is rh.RunStatus.COMPLETED
    assert '"status": "COMPLETED"' in rh_command("show", name)
    no_temporary_files(loaded)
    with rh.run(name=name) as again:
        print("second attempt")
    assert (again.status, again.attempt) == (rh.RunStatus.COMPLETED, 2)
    [earlier] = again.attempts()
    assert earlier.status is rh.RunStatus.COMPLETED and earlier.stdout() == "inside the block"
    assert earlier.refresh().status is rh.RunStatus.COMPLETED  # final stays final


def test_a_server_killed_after_a_runs_end_is_decided_leaves_that_end(children, injected):
    name = "k9-end-function"
    code, out, err = finish(children(CHILD_FUNCTION, name, "10", env=injected("end")))
    assert code == 0, err
    assert out.splitlines()[-1].startswith("error WorkerDiedError"), out  # its server died at the step
    local = rh.cluster("local")
    run = local.get_run(name)
    assert run.status is rh.RunStatus.COMPLETED and run.result() == "r" * 10
    assert listed_status(name) == "COMPLETED"
    no_temporary_files(run)
    f = rh.function(payload)
    # a cache hit, not computed again (the child's payload was its __main__'s: cache="warn")
    assert f.get_or_call(10, run_name=name, cache="warn") == "r" * 10
    assert local.get_run(name).attempt == 1
    assert f(20, run_name=name) == "r" * 20  # run again under the name
    again = local.get_run(name)
    assert (again.status, again.attempt) == (rh.RunStatus.COMPLETED, 2)
    [earlier] = again.attempts()
    assert earlier.status is rh.RunStatus.COMPLETED and earlier.result() == "r" * 10


def test_a_job_killed_writing_its_result_ends_in_error_and_computes_again(children, injected):
    name = "k9-result"
    code, out, err = finish(children(CHILD_FUNCTION, name, str(1 << 16), env=injected("result")))
    assert code == 0, err
    assert out.splitlines()[-1].startswith("error WorkerDiedError"), out
    local = rh.cluster("local")
    run = local.get_run(name)
    assert run.status is rh.RunStatus.ERROR and "killed by signal 9" in run.error
    assert listed_status(name) == "ERROR"
    no_temporary_files(run)
    assert rh.function(payload).get_or_call(1 << 16, run_name=name) == "r" * (1 << 16)
    again = local.get_run(name)
    assert (again.status, again.attempt) == (rh.RunStatus.COMPLETED, 2)
    [earlier] = again.attempts()
    assert earlier.status is rh.RunStatus.ERROR and "signal 9" in earlier.error
