"""The command line: rh logs / cancel / runs / show, and their errors."""

from __future__ import annotations

import json
import os

from click.testing import CliRunner

import rhcore as rh
from rhcore.cli import main
from rhcore.testing.executor import chatty, fail, sleeper, summer, wait_for


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_runs_lists_name_type_status_start_and_duration():
    rh.function(summer)(1, 2, run_name="listed")
    rh.cluster("local").run(["true"], run_name="listed_cmd")
    result = invoke("runs")
    assert result.exit_code == 0
    header, *rows = result.output.splitlines()
    assert header.split() == ["NAME", "TYPE", "STATUS", "STARTED", "DURATION"]
    cells = {row.split()[0]: row.split() for row in rows}
    assert cells["listed"][1:3] == ["FUNCTION", "COMPLETED"]
    assert cells["listed_cmd"][1:3] == ["CMD", "COMPLETED"]
    assert cells["listed"][-1].endswith("s")


def test_logs_follow_prints_until_the_end():
    rh.function(chatty).run(3, 0.2, run_name="followed")
    result = invoke("logs", "local", "followed", "--follow")
    assert result.exit_code == 0
    assert [line for line in result.output.splitlines() if line.startswith("line")] == [
        "line 0", "line 1", "line 2"]


def test_logs_show_stderr():
    try:
        rh.function(fail)("visible failure", run_name="failed_logs")
    except ValueError:
        pass
    result = invoke("logs", "local", "failed_logs")
    assert "ValueError: visible failure" in result.output


def test_cancel_running_and_finished():
    run = rh.function(sleeper).run(60, run_name="to_stop")
    wait_for(lambda: run.refresh().worker and run.worker.get("job"))
    assert "is CANCELLED" in invoke("cancel", "local", "to_stop").output
    again = invoke("cancel", "local", "to_stop")
    assert again.exit_code == 0 and "already ended (CANCELLED)" in again.output


def test_show_prints_config_inputs_and_result():
    rh.function(summer)(3, 4, run_name="shown")
    result = invoke("show", "shown")
    assert result.exit_code == 0
    config_text = result.output.split("folder:")[0]
    assert json.loads(config_text)["name"] == "shown"
    assert "inputs: dict {'args': [3, 4], 'kwargs': {}}" in result.output
    assert "result: int 7" in result.output


def test_show_a_saved_run_and_a_folder(tmp_path):
    with rh.run(path=str(tmp_path / "ctx")) as r:
        print("hi")
    r.save("saved_ctx")
    assert '"name": "saved_ctx"' in invoke("show", "saved_ctx").output
    assert invoke("show", str(tmp_path / "ctx")).exit_code == 0


def test_unknown_cluster_and_run_fail_clearly():
    for args in (("logs", "nosuch", "x"), ("cancel", "nosuch", "x"), ("runs", "nosuch")):
        result = invoke(*args)
        assert result.exit_code != 0
        assert "No cluster named 'nosuch'" in result.output
    for args in (("logs", "local", "nosuch"), ("cancel", "local", "nosuch"), ("show", "nosuch")):
        result = invoke(*args)
        assert result.exit_code != 0
        assert "No Run" in result.output and "nosuch" in result.output


class _Booby:
    """Unpickling this runs a shell command: what a hostile store could hold."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_show_runs_no_code_a_stored_pickle_names(tmp_path):
    marker = tmp_path / "ran"
    with rh.run(name="hostile") as r:
        pass
    r.write(_Booby(marker), "result.pkl")
    r.write(((_Booby(marker),), {}), "inputs.pkl")
    shown = invoke("show", r.path)
    assert shown.exit_code == 0, shown.output
    assert "result: posix.system" in shown.output and "not loaded" in shown.output
    assert "inputs: posix.system" in shown.output
    assert not marker.exists()


def test_show_json_is_one_json_object():
    rh.function(summer)(2, 3, run_name="shown")
    done = invoke("show", "shown", "--json")
    assert done.exit_code == 0, done.output
    shown = json.loads(done.output)
    assert shown["config"]["status"] == "COMPLETED" and shown["result"] == "int 5"
    assert shown["inputs"] == "dict {'args': [2, 3], 'kwargs': {}}" and shown["folder"].startswith("file:")


def test_logs_follow_exits_with_how_the_run_ended():
    try:
        rh.function(fail)("boom", run_name="failing")
    except ValueError:
        pass
    rh.function(summer)(1, 1, run_name="fine")
    assert invoke("logs", "local", "failing", "--follow").exit_code == 1
    assert invoke("logs", "local", "fine", "--follow").exit_code == 0
