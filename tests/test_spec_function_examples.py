"""The spec's examples for functions, commands, caching, logs and cancelling, as written
there, with this machine (``rh.cluster(name="local")``) standing for the spec's
``rh.cluster(name="^rh-cpu")``."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import rhcore as rh
from rhcore.cli import main
from rhcore.testing.executor import chatty, sleeper, summer, wait_for


@pytest.fixture
def cpu():
    return rh.cluster(name="local")


@pytest.fixture
def my_func(cpu):
    rh.function(summer, name="my_func").save()
    return rh.function(name="my_func")


def test_calling_a_function(cpu):
    # Create a function object and send it to the cpu cluster
    my_func = rh.function(summer, name="my_test_func").to(cpu)

    # Call the function with its input args, and provide it with a `run_name` argument
    fn_res = my_func(1, 2, run_name="my_fn_run")

    assert fn_res == 3
    run = cpu.get_run("my_fn_run")
    assert run.status == rh.RunStatus.COMPLETED
    assert run.inputs() == {"args": [1, 2], "kwargs": {}}
    assert run.stdout() == "adding 1 and 2"


def test_running_a_cli_command(cpu):
    # Run a CLI command on the cluster and provide the `run_name` param to trigger a run
    return_codes = cpu.run(["python --version"], run_name="my_cli_run")

    assert return_codes[0][0] == 0
    assert "Python 3" in return_codes[0][1] + return_codes[0][2]
    run = cpu.get_run("my_cli_run")
    assert run.run_type == rh.RunType.CMD_RUN and run.cmds == ["python --version"]
    assert run.status == rh.RunStatus.COMPLETED


def test_synchronous_run_with_caching(my_func):
    res = my_func.get_or_call(1, 2, run_name="my_fn_run")
    assert res == 3
    assert my_func.get_or_call(1, 2, run_name="my_fn_run") == 3


def test_asynchronous_run(my_func):
    run_obj = my_func.run(1, 2, run_name="my_async_run")

    assert isinstance(run_obj, rh.Run)
    wait_for(lambda: run_obj.refresh().status == rh.RunStatus.COMPLETED)
    assert run_obj.result() == 3


def test_asynchronous_run_with_caching(my_func):
    run_obj = my_func.get_or_run(1, 2, run_name="my_async_run")

    assert isinstance(run_obj, rh.Run)
    wait_for(lambda: run_obj.refresh().status == rh.RunStatus.COMPLETED)
    assert my_func.get_or_run(1, 2, run_name="my_async_run").result() == 3


def test_run_logs_in_python(cpu, capsys):
    rh.function(chatty).run(3, 0.1, run_name="my_run")

    cpu.get("my_run", stream_logs=True)

    assert capsys.readouterr().out.splitlines()[-3:] == ["line 0", "line 1", "line 2"]


def test_run_logs_from_the_command_line():
    rh.function(chatty)(2, 0, run_name="my_run")

    result = CliRunner().invoke(main, ["logs", "local", "my_run"])

    assert result.exit_code == 0, result.output
    assert "line 0\nline 1" in result.output


def test_cancelling_a_run(cpu):
    rh.function(sleeper).run(60, run_name="my_run")

    cpu.cancel("my_run")

    assert cpu.get_run("my_run").status == rh.RunStatus.CANCELLED


def test_cancelling_from_the_command_line(cpu):
    rh.function(sleeper).run(60, run_name="my_run")

    result = CliRunner().invoke(main, ["cancel", "local", "my_run"])

    assert result.exit_code == 0, result.output
    assert "CANCELLED" in result.output
    assert cpu.get_run("my_run").status == rh.RunStatus.CANCELLED


def test_moving_a_run_from_the_cluster_here(cpu):
    rh.function(summer)(1, 2, run_name="my_run")

    my_run = cpu.get_run("my_run")
    local_run = my_run.to("here")

    assert local_run.result() == 3 and local_run.stdout() == "adding 1 and 2"
    assert local_run.run_config == my_run.run_config
