"""Function Runs whose folders are on S3, and caching shared through an S3 registry."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import rhcore as rh
from rhcore import layout
from rhcore.testing.executor import chatty, summer, wait_for


def s3_cluster(bucket: str, s3_config: dict) -> rh.Cluster:
    return rh.cluster(name="s3-backed", kind="local", run_store=f"s3://{bucket}/runs",
                      data_config=s3_config)


def test_function_runs_live_on_s3(s3_bucket, s3_config, moto):
    cluster = s3_cluster(s3_bucket, s3_config)
    f = rh.function(summer).to(cluster)
    assert f(1, 2, run_name="on_s3") == 3
    run = cluster.get_run("on_s3")
    assert run.folder.system == "s3" and run.folder.path == f"{s3_bucket}/runs/on_s3"
    assert run.status is rh.RunStatus.COMPLETED and run.result() == 3
    assert run.stdout() == "adding 1 and 2"
    stored = moto.objects(s3_bucket)
    expected = {f"{s3_bucket}/runs/on_s3/{name}" for name in (layout.CONFIG_FILE, layout.RESULT_FILE)}
    assert expected <= set(stored)
    assert f.get_or_call(1, 2, run_name="on_s3") == 3  # a cache hit read from S3


def test_function_logs_reach_s3_while_the_run_goes(s3_bucket, s3_config):
    cluster = s3_cluster(s3_bucket, s3_config)
    run = rh.function(chatty).to(cluster).run(30, 0.2, run_name="chatty_on_s3")
    wait_for(lambda: "line 3" in run.stdout(), 20, "early lines on S3")
    assert run.refresh().status is rh.RunStatus.RUNNING
    wait_for(lambda: run.refresh().status.is_final, 30)
    assert run.stdout().splitlines()[-1] == "line 29"


def test_to_of_a_function_run_without_its_result_says_so(s3_bucket, s3_config):
    rh.function(summer)(1, 1, run_name="lost_result")
    run = rh.cluster("local").get_run("lost_result")
    run.folder.remove(layout.RESULT_FILE)
    with pytest.raises(FileNotFoundError, match="no result"):
        run.to("s3", path=f"{s3_bucket}/copies/lost_result", data_config=s3_config)


STEP = """
    import sys, rhcore as rh
    from rhcore.testing.executor import token
    rh.configure(registry=sys.argv[1], data_config={"client_kwargs": {"endpoint_url": sys.argv[2]}})
    store = sys.argv[3]
    grid = rh.cluster(name="team", kind="local", run_store=store,
                      data_config={"client_kwargs": {"endpoint_url": sys.argv[2]}})
    print(rh.function(token).to(grid).get_or_call(0, run_name="team_step"))
"""


def test_one_teammates_get_or_call_is_anothers_cache_hit(s3_bucket, moto, tmp_path):
    script = tmp_path / "step.py"
    script.write_text(textwrap.dedent(STEP))
    args = [f"s3://{s3_bucket}/registry", moto.endpoint, f"s3://{s3_bucket}/runs"]
    keys = {k: v for k, v in moto.environment().items() if k != "AWS_ENDPOINT_URL"}
    values = []
    for who in ("alice", "bob"):
        home = tmp_path / who
        home.mkdir()
        done = subprocess.run([sys.executable, str(script), *args], cwd=home,
                              env={**os.environ, **keys, "HOME": str(home)},
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        values.append(done.stdout.strip())
    assert values[0] == values[1]


def test_spec_moving_runs_between_systems(s3_bucket, s3_config, monkeypatch):
    """The spec's "Moving Runs Between Systems" examples, with credentials from the
    environment as the spec assumes."""
    environment = {"AWS_ACCESS_KEY_ID": s3_config["key"], "AWS_SECRET_ACCESS_KEY": s3_config["secret"],
                   "AWS_ENDPOINT_URL": s3_config["client_kwargs"]["endpoint_url"]}
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    cpu = rh.cluster(name="local")
    rh.function(summer)(1, 2, run_name="my_run")

    my_run = cpu.get_run("my_run")
    local_run = my_run.to("here")

    my_run = cpu.get_run("my_run")
    my_run_on_s3 = my_run.to("s3", path=f"/{s3_bucket}/s3-folder")

    assert local_run.result() == 3 and my_run_on_s3.result() == 3
    assert my_run_on_s3.folder.path == f"{s3_bucket}/s3-folder"
