"""A cache hit is only taken for the same work: the function, its code and what it reads,
the arguments by value, and the Python and rhcore versions."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import rhcore as rh
from rhcore.cli import main
from rhcore.fingerprint import arguments_hash
from rhcore.testing.executor import summer, token


def multiply(a, b):
    return a * b


SCALE = 10


def scaled(x):
    return x * SCALE


def counted(path, x):
    with open(path, "a") as f:
        f.write("called\n")
    return x + 1


def test_another_function_under_the_same_name_is_computed_not_returned(caplog):
    assert rh.function(summer).get_or_call(1, 2, run_name="step1") == 3
    with caplog.at_level(logging.WARNING, logger="rhcore"):
        assert rh.function(multiply).get_or_call(1, 2, run_name="step1") == 2
    assert "computed by rhcore.testing.executor.summer, this call is" in caplog.text
    assert "test_fingerprint.multiply" in caplog.text
    run = rh.cluster("local").get_run("step1")
    assert run.attempt == 2 and [a.result() for a in run.attempts()] == [3]
    assert rh.function(multiply).get_or_call(1, 2, run_name="step1") == 2  # now a hit


def make_scaler(factor):
    def scaler(x):
        return x * factor
    return scaler


def test_changed_closures_or_globals_are_a_miss(monkeypatch, caplog):
    assert rh.function(make_scaler(10)).get_or_call(2, run_name="closure") == 20
    with caplog.at_level(logging.WARNING, logger="rhcore"):
        assert rh.function(make_scaler(100)).get_or_call(2, run_name="closure") == 200
    assert "code: " in caplog.text and "changed since the Run" in caplog.text

    f = rh.function(scaled)
    assert f.get_or_call(2, run_name="global") == 20
    monkeypatch.setattr(sys.modules[__name__], "SCALE", 100)
    changed = rh.function(scaled)  # the code, and what it reads, are hashed once per Function
    assert [line.split(":")[0] for line in changed.why("global", 2)] == ["code"]
    changed.get_or_call(2, run_name="global")
    assert rh.cluster("local").get_run("global").attempt == 2
    assert changed.why("global", 2) == []
    assert [line.split(":")[0] for line in changed.why("global", 3)] == ["arguments"]


def test_cache_policies_say_what_differs():
    f = rh.function(summer)
    f.get_or_call(1, 2, run_name="policy")
    assert f.get_or_call(5, 6, run_name="policy", cache="warn") == 3
    with pytest.raises(rh.CacheMismatchError, match=r"arguments: this call's differ.*cache='error'"):
        f.get_or_call(5, 6, run_name="policy", cache="error")
    with pytest.raises(ValueError, match="cache must be one of"):
        f.get_or_call(1, 2, run_name="policy", cache="sometimes")
    assert f.get_or_call(5, 6, run_name="policy") == 11


def test_a_run_records_what_it_was_keyed_on():
    rh.function(summer)(1, 2, run_name="keyed")
    fingerprint = rh.cluster("local").get_run("keyed").fingerprint
    assert fingerprint.function == "rhcore.testing.executor.summer"
    assert fingerprint.python == "{}.{}".format(*sys.version_info[:2])
    assert fingerprint.rhcore == ".".join(rh.__version__.split(".")[:2])
    assert fingerprint.arguments == arguments_hash((1, 2), {})
    shown = CliRunner().invoke(main, ["why", "keyed"])
    assert shown.exit_code == 0, shown.output
    assert "function:   rhcore.testing.executor.summer" in shown.output
    assert f"arguments:  {fingerprint.arguments}" in shown.output
    with rh.run(name="block"):
        pass
    refused = CliRunner().invoke(main, ["why", "block"])
    assert refused.exit_code != 0 and "without a fingerprint" in refused.output


def test_another_python_is_a_miss_that_says_so(caplog):
    rh.function(summer)(1, 2, run_name="old-python")
    config_path = Path(rh.cluster("local").get_run("old-python").path, "config_for_run.json")
    config = json.loads(config_path.read_text())
    config["fingerprint"]["python"] = "2.7"
    config_path.write_text(json.dumps(config))
    with caplog.at_level(logging.WARNING, logger="rhcore"):
        assert rh.function(summer).get_or_call(1, 2, run_name="old-python") == 3
    assert "python: the Run was computed with python 2.7" in caplog.text
    assert rh.cluster("local").get_run("old-python").attempt == 2


def test_arguments_are_hashed_by_value_in_every_process():
    code = ("from rhcore.fingerprint import arguments_hash;"
            "print(arguments_hash(({'b', 'a', 'c'}, {'y': 1, 'x': [1.5, None]}),"
            " {'k': frozenset({'z', 'w'})}))")
    hashes = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
        for seed in ("1", "2", "3")
    }
    assert len(hashes) == 1
    assert arguments_hash((1,), {}) != arguments_hash((1.0,), {}) != arguments_hash(("1",), {})


def test_an_argument_that_cannot_be_hashed_is_said_so():
    fingerprint = rh.function(summer).fingerprint(threading.Lock(), 2)
    assert fingerprint.arguments is None and fingerprint.key is None
    assert "the argument #0 (lock)" in fingerprint.unhashable
    assert "cannot be told apart" in fingerprint.unhashable


def test_without_a_name_equal_calls_share_one_run(tmp_path):
    calls = tmp_path / "calls"
    f = rh.function(counted)
    assert f.get_or_call(str(calls), 1) == 2
    assert f.get_or_call(str(calls), 1) == 2
    assert f.get_or_call(str(calls), 2) == 3
    assert calls.read_text().count("called") == 2
    names = [r.name for r in rh.cluster("local").runs() if r.fn_name == "counted"]
    assert len(names) == 2 and all(name.startswith("counted-") for name in names)


def test_latest_with_arguments_is_the_newest_run_with_those_arguments():
    f = rh.function(token)
    first = f(1, run_name="t-one")
    f(2, run_name="t-two")
    assert f.get_or_call(1, run_name="latest") == first
    assert f.get_or_call(run_name="latest") == rh.cluster("local").get_run("t-two").result()
    assert f.get_or_call(3, run_name="latest") != first  # none yet: computed


def test_the_readmes_functions_example_passes_when_run_twice():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    (block,) = [code for code in re.findall(r"```python\n(.*?)```", readme, re.S) if '"latest"' in code]
    for _ in range(2):
        exec(compile(block, "README.md", "exec"), {})


def test_a_project_keeps_its_runs_apart_with_its_own_store(tmp_path):
    project = rh.cluster(name="local", run_store=str(tmp_path / "runs"))
    assert rh.function(summer, system=project).get_or_call(1, 2, run_name="train") == 3
    assert (tmp_path / "runs" / "train" / "config_for_run.json").exists()
    assert rh.cluster("local").get_run("train") is None
