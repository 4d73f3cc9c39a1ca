"""A Ray cluster whose Run folders are on S3 (a real moto server): the store every node of
a multi-machine cluster reaches. The tasks write there themselves, and the Runs record it."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from rh_s3.testing import MotoServer

import rhcore as rh
from rhcore.testing.executor import fail, summer, token


@pytest.fixture(scope="module")
def moto():
    """An S3 server checking signatures and IAM policies like AWS."""
    with MotoServer.start(auth=True) as server:
        yield server


@pytest.fixture
def bucket(moto):
    return moto.create_bucket(f"ray-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def grid(ray_head, moto, bucket):
    return rh.cluster(name="grid", kind="ray", address=ray_head, run_store=f"s3://{bucket}/runs",
                      data_config=moto.data_config())


def _config(moto, bucket: str, name: str) -> dict:
    return json.loads(moto.objects(bucket)[f"{bucket}/runs/{name}/config_for_run.json"])


def test_a_run_on_ray_records_into_s3(grid, moto, bucket):
    f = rh.function(summer, system=grid)
    assert f(2, 3, run_name="on_s3") == 5

    config = _config(moto, bucket, "on_s3")
    assert config["status"] == "COMPLETED" and "ray" in config["worker"]
    run = grid.get_run("on_s3")
    assert run.folder.system == "s3" and run.path == f"{bucket}/runs/on_s3"
    assert run.config_for_rns["system"] == "s3"
    assert run.inputs() == {"args": [2, 3], "kwargs": {}}
    assert run.stdout() == "adding 2 and 3" and run.result() == 5
    secret = moto.credentials["secret"]
    assert not any(secret.encode() in body for body in moto.objects(bucket).values())


def test_many_runs_and_an_error_on_s3(grid, moto, bucket):
    runs = rh.function(summer, system=grid).map(((i, 1) for i in range(20)), run_name_prefix="many")
    with pytest.raises(ValueError, match="broken on s3"):
        rh.function(fail, system=grid)("broken on s3", run_name="failed")

    deadline = time.monotonic() + 120
    while not all(r.refresh().status.is_final for r in runs) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [r.result() for r in runs] == [i + 1 for i in range(20)]
    assert {r.folder.system for r in runs} == {"s3"}
    failed = _config(moto, bucket, "failed")
    assert failed["status"] == "ERROR" and "broken on s3" in failed["error_traceback"]
    assert "about to fail" in grid.get_run("failed").stderr()


def test_get_or_call_on_s3_computes_once(grid):
    f = rh.function(token, system=grid)
    first = f.get_or_call(0.0, run_name="cached_on_s3")
    assert f.get_or_call(0.0, run_name="cached_on_s3") == first
    assert grid.get_run("cached_on_s3").result() == first
