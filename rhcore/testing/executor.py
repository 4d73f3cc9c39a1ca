"""The contract every executor must pass, as a pytest test class.

A plugin's test module subclasses :class:`ExecutorContract` and provides the ``cluster``
fixture — a :class:`~rhcore.Cluster` of its kind, running against real machines::

    class TestSSHExecutor(ExecutorContract):
        @pytest.fixture
        def cluster(self, sshd):
            return rh.cluster(name="cpu", ips=["127.0.0.1"], ssh_port=sshd.port, ...)

Everything is checked through the public API, from this process, wherever the cluster
runs: calls, Runs, errors, caching with exactly-once execution, logs, cancellation, and
a killed worker seen as ERROR.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import time
import uuid

import pytest

import rhcore as rh

# -- functions the tests run on the cluster (module level: importable by workers) --------


def summer(a, b):
    print(f"adding {a} and {b}")
    return a + b


def token(seconds: float = 0.0, *args):
    """A value unique to each execution: a cache hit returns the first one's."""
    time.sleep(seconds)
    return uuid.uuid4().hex


def fail(message: str):
    print("about to fail", file=sys.stderr)
    raise ValueError(message)


def sleeper(seconds: float):
    print("sleeping", flush=True)
    time.sleep(seconds)
    return seconds


def spawn_and_sleep(seconds: float):
    """Starts a child process and waits: cancelling must stop both."""
    import subprocess

    child = subprocess.Popen(["sleep", str(seconds)])
    print(f"child pid {child.pid}", flush=True)
    child.wait()
    return child.pid


def chatty(lines: int, pause: float):
    for i in range(lines):
        print(f"line {i}", flush=True)
        time.sleep(pause)
    return lines


def _contend(cluster, run_name, barrier, results):
    f = rh.function(token, system=cluster)
    barrier.wait()
    results.put(f.get_or_call(1.0, run_name=run_name))


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    """Poll ``predicate`` until it returns something true (returned); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _ended(run):
    return run.refresh().status.is_final


def _remote_pid_alive(cluster, pid: int) -> bool:
    ((_, out, _),) = cluster.run([f"kill -0 {pid} 2>/dev/null && echo alive || echo gone"])
    return out.strip() == "alive"


class ExecutorContract:
    """What rhcore needs from an executor, checked against the real thing."""

    @pytest.fixture
    def cluster(self):  # pragma: no cover - provided by the plugin's subclass
        raise NotImplementedError("provide a `cluster` fixture returning an rh.Cluster")

    @staticmethod
    def name(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    # -- synchronous calls --

    def test_sync_call_returns_the_value_and_records_the_run(self, cluster, capfd):
        f = rh.function(summer, system=cluster)
        run_name = self.name("sync")
        assert f(1, 2, run_name=run_name) == 3
        assert "adding 1 and 2" in capfd.readouterr().out  # shown live to the caller
        run = cluster.get_run(run_name)
        assert run.status is rh.RunStatus.COMPLETED
        assert run.run_type is rh.RunType.FUNCTION_RUN and run.fn_name == "summer"
        assert run.result() == 3
        assert run.inputs() == {"args": [1, 2], "kwargs": {}}
        assert run.stdout() == "adding 1 and 2"
        assert run.start_time <= run.end_time
        names = {p.rsplit("/", 1)[-1] for p in run.folder.ls()}
        assert {"config_for_run.json", "inputs.pkl", "result.pkl"} <= names

    def test_call_without_run_name(self, cluster):
        assert rh.function(summer, system=cluster)(2, 3) == 5

    def test_keyword_arguments(self, cluster):
        run_name = self.name("kw")
        assert rh.function(summer, system=cluster)(a=1, b=4, run_name=run_name) == 5
        assert cluster.get_run(run_name).inputs() == {"args": [], "kwargs": {"a": 1, "b": 4}}

    def test_wrong_arguments_raise_type_error_and_record_nothing(self, cluster):
        run_name = self.name("badargs")
        with pytest.raises(TypeError):
            rh.function(summer, system=cluster)(1, 2, 3, run_name=run_name)
        assert cluster.get_run(run_name) is None

    def test_error_keeps_its_type_and_the_worker_traceback(self, cluster):
        run_name = self.name("err")
        with pytest.raises(ValueError, match="bad input") as excinfo:
            rh.function(fail, system=cluster)("bad input", run_name=run_name)
        # The worker's traceback names fail's file and line, and shows the line.
        line = fail.__code__.co_firstlineno + 2
        where = f'executor.py", line {line}, in fail\n    raise ValueError(message)'
        assert "Traceback" in str(excinfo.value) and where in str(excinfo.value)
        run = cluster.get_run(run_name)
        assert run.status is rh.RunStatus.ERROR
        assert run.error == "ValueError: bad input"
        assert where in run.error_traceback
        assert "about to fail" in run.stderr() and "ValueError: bad input" in run.stderr()
        assert run.result() == run.stderr()

    # -- asynchronous calls --

    def test_async_run_moves_from_running_to_completed(self, cluster):
        run = rh.function(sleeper, system=cluster).run(1.0, run_name=self.name("async"))
        assert isinstance(run, rh.Run)
        assert run.status is rh.RunStatus.RUNNING
        assert run.refresh().status is rh.RunStatus.RUNNING
        wait_for(lambda: _ended(run), what="the async run to end")
        assert run.status is rh.RunStatus.COMPLETED
        assert run.result() == 1.0

    def test_async_error(self, cluster):
        run = rh.function(fail, system=cluster).run("async boom", run_name=self.name("asyncerr"))
        wait_for(lambda: _ended(run))
        assert run.status is rh.RunStatus.ERROR
        assert "async boom" in run.result()

    def test_async_run_without_a_name_gets_one(self, cluster):
        run = rh.function(summer, system=cluster).run(1, 1)
        wait_for(lambda: _ended(run))
        assert run.result() == 2 and cluster.get_run(run.name) is not None

    def test_many_async_runs(self, cluster):
        f = rh.function(summer, system=cluster)
        runs = [f.run(i, 1, run_name=self.name(f"many{i}")) for i in range(20)]
        for run in runs:
            wait_for(lambda run=run: _ended(run))
        assert [r.result() for r in runs] == [i + 1 for i in range(20)]

    def test_map_starts_one_run_per_item(self, cluster):
        runs = rh.function(summer, system=cluster).map([(1, 2), (3, 4)], run_name_prefix=self.name("map"))
        for run in runs:
            wait_for(lambda run=run: _ended(run))
        assert [r.result() for r in runs] == [3, 7]
        assert runs[0].name.endswith("-0") and runs[1].name.endswith("-1")

    # -- caching --

    def test_get_or_call_returns_the_cached_result_without_calling(self, cluster):
        f = rh.function(token, system=cluster)
        run_name = self.name("cache")
        first = f.get_or_call(0, run_name=run_name)
        assert f.get_or_call(0, run_name=run_name) == first
        assert f.get_or_run(0, run_name=run_name).result() == first

    def test_cached_run_with_other_arguments_is_computed_again(self, cluster, caplog):
        f = rh.function(token, system=cluster)
        run_name = self.name("args")
        first = f.get_or_call(0, run_name=run_name)
        with caplog.at_level(logging.WARNING, logger="rhcore"):
            assert f.get_or_call(0, "other", run_name=run_name, cache="warn") == first
        assert "arguments: this call's differ" in caplog.text and "returning it anyway" in caplog.text
        with pytest.raises(rh.CacheMismatchError, match="arguments"):
            f.get_or_call(0, "other", run_name=run_name, cache="error")
        second = f.get_or_call(0, "other", run_name=run_name)
        assert second != first and f.get_or_call(0, "other", run_name=run_name) == second
        assert [r.result() for r in cluster.get_run(run_name).attempts()] == [first]

    def test_a_run_in_error_is_run_again(self, cluster):
        run_name = self.name("rerun")
        with pytest.raises(ValueError):
            rh.function(fail, system=cluster)("first try", run_name=run_name)
        assert rh.function(summer, system=cluster).get_or_call(2, 2, run_name=run_name) == 4
        assert cluster.get_run(run_name).status is rh.RunStatus.COMPLETED

    def test_get_or_run_starts_then_returns_the_same_run(self, cluster):
        f = rh.function(token, system=cluster)
        run_name = self.name("getorrun")
        run = f.get_or_run(0.5, run_name=run_name)
        assert isinstance(run, rh.Run) and run.name == run_name
        again = f.get_or_run(0.5, run_name=run_name)
        wait_for(lambda: _ended(run))
        assert again.refresh().result() == run.result()

    def test_latest_is_the_newest_completed_run(self, cluster):
        f = rh.function(token, system=cluster)
        f.get_or_call(0, run_name=self.name("older"))
        newest = f.get_or_call(0, run_name=self.name("newer"))
        assert f.get_or_call(run_name="latest") == newest
        assert f.get_or_run(run_name="latest").result() == newest

    def test_exactly_once_across_processes(self, cluster):
        run_name = self.name("once")
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(8), context.Queue()
        callers = [context.Process(target=_contend, args=(cluster, run_name, barrier, results))
                   for _ in range(8)]
        for process in callers:
            process.start()
        values = [results.get(timeout=120) for _ in callers]
        for process in callers:
            process.join(30)
        assert len(set(values)) == 1, "the function ran more than once"
        run = cluster.get_run(run_name)
        assert run.status is rh.RunStatus.COMPLETED and run.result() == values[0]
        assert run.attempt == 1

    # -- runs on the cluster --

    def test_get_run_of_an_unknown_name_is_none(self, cluster):
        assert cluster.get_run(self.name("nosuch")) is None

    def test_get_streams_logs_until_the_end(self, cluster, capsys):
        run_name = self.name("stream")
        rh.function(chatty, system=cluster).run(5, 0.2, run_name=run_name)
        assert cluster.get(run_name, stream_logs=True) == 5
        shown = capsys.readouterr().out
        printed = [line for line in shown.splitlines() if line.startswith("line")]
        assert printed == [f"line {i}" for i in range(5)]

    def test_logs_are_written_while_the_run_goes(self, cluster):
        run = rh.function(chatty, system=cluster).run(40, 0.1, run_name=self.name("live"))
        wait_for(lambda: "line 2" in run.stdout(), what="early output in the log")
        assert run.refresh().status is rh.RunStatus.RUNNING
        wait_for(lambda: _ended(run))

    # -- cancelling and dying --

    def test_cancel_stops_the_worker_and_what_it_started(self, cluster):
        run_name = self.name("cancel")
        run = rh.function(spawn_and_sleep, system=cluster).run(60, run_name=run_name)
        line = wait_for(lambda: "child pid" in run.stdout() and run.stdout(), what="the child to start")
        child_pid = int(line.split("child pid")[1].split()[0])
        asked = time.monotonic()
        cancelled = cluster.cancel(run_name)
        assert time.monotonic() - asked < 20, "the cancel waited for the job instead of stopping it"
        assert cancelled.status is rh.RunStatus.CANCELLED
        assert run.refresh().status is rh.RunStatus.CANCELLED
        wait_for(lambda: not _remote_pid_alive(cluster, child_pid), 15, "the child to be stopped")

    def test_force_cancel(self, cluster):
        run_name = self.name("force")
        rh.function(sleeper, system=cluster).run(60, run_name=run_name)
        assert cluster.cancel(run_name, force=True).status is rh.RunStatus.CANCELLED

    def test_force_cancel_stops_the_worker_and_what_it_started(self, cluster):
        """Killing what the job started must not let the job finish first (COMPLETED)."""
        run_name = self.name("force_child")
        run = rh.function(spawn_and_sleep, system=cluster).run(60, run_name=run_name)
        line = wait_for(lambda: "child pid" in run.stdout() and run.stdout(), what="the child to start")
        child_pid = int(line.split("child pid")[1].split()[0])
        assert cluster.cancel(run_name, force=True).status is rh.RunStatus.CANCELLED
        assert run.refresh().status is rh.RunStatus.CANCELLED
        wait_for(lambda: not _remote_pid_alive(cluster, child_pid), 15, "the child to be stopped")

    def test_cancelling_a_finished_run_changes_nothing_and_says_so(self, cluster):
        run_name = self.name("done")
        rh.function(summer, system=cluster)(1, 1, run_name=run_name)
        with pytest.warns(UserWarning, match="already ended"):
            run = cluster.cancel(run_name)
        assert run.status is rh.RunStatus.COMPLETED and run.result() == 2

    def test_a_killed_worker_is_seen_as_error(self, cluster):
        run_name = self.name("killed")
        run = rh.function(sleeper, system=cluster).run(60, run_name=run_name)
        wait_for(lambda: (run.refresh().worker or {}).get("job"), what="the job process")
        pid = run.worker["job"]["pid"]
        cluster.run([f"kill -9 {pid}"])
        wait_for(lambda: _ended(run), what="the Run to notice its worker died")
        assert run.status is rh.RunStatus.ERROR
        assert "died" in run.error

    # -- commands --

    def test_commands_with_a_run_name(self, cluster):
        run_name = self.name("cmd")
        results = cluster.run(["echo hello", "echo oops >&2; exit 3"], run_name=run_name)
        assert results == [(0, "hello\n", ""), (3, "", "oops\n")]
        run = cluster.get_run(run_name)
        assert run.run_type is rh.RunType.CMD_RUN
        assert run.cmds == ["echo hello", "echo oops >&2; exit 3"]
        assert run.returncodes == [0, 3]
        assert run.status is rh.RunStatus.ERROR and "exited with code 3" in run.error
        assert run.stdout() == "hello" and run.stderr() == "oops"

    def test_successful_commands_complete(self, cluster):
        run_name = self.name("cmdok")
        assert cluster.run(["true"], run_name=run_name) == [(0, "", "")]
        assert cluster.get_run(run_name).status is rh.RunStatus.COMPLETED

    def test_commands_without_a_run_name(self, cluster, capfd):
        assert cluster.run(["echo streamed"], stream_logs=True) == [(0, "streamed\n", "")]
        assert "streamed" in capfd.readouterr().out

    def test_run_python(self, cluster):
        run_name = self.name("py")
        ((code, out, _),) = cluster.run_python(["import sys", "print(sys.version_info[0])"],
                                                 run_name=run_name)
        assert (code, out.strip()) == (0, "3")
        assert cluster.get_run(run_name).stdout() == "3"
