"""A shared bucket's contents are data: a planted pickle is never run by a look, a load
or a copy unless the user trusts the place, and a team that signs its Runs loads only
what its key signed."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import fsspec
import pytest

import rhcore as rh
from rhcore.testing.executor import summer


class Planted:
    """What an attacker pickles: loading it creates ``marker``."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def plant(fs, folder: str, marker: str) -> None:
    """A COMPLETED function Run whose inputs and result run code when unpickled."""
    config = {"name": os.path.basename(folder), "status": "COMPLETED", "run_type": "FUNCTION",
              "fn_name": "train", "start_time": "2026-01-01T00:00:00", "end_time": "2026-01-01T00:00:01"}
    fs.pipe({f"{folder}/result.pkl": pickle.dumps(Planted(marker)),
             f"{folder}/inputs.pkl": pickle.dumps(((Planted(marker),), {})),
             f"{folder}/config_for_run.json": json.dumps(config).encode()})


@pytest.fixture
def s3fs_(s3_config):
    return fsspec.filesystem("s3", **s3_config)


def test_a_planted_run_is_looked_at_but_never_unpickled(s3_bucket, s3_config, s3fs_, tmp_path):
    marker = tmp_path / "ran"
    plant(s3fs_, f"{s3_bucket}/shared/step1", str(marker))
    r = rh.run(path=f"{s3_bucket}/shared/step1", system="s3", data_config=s3_config)
    assert r.status is rh.RunStatus.COMPLETED and r.fn_name == "train"
    for load in (r.result, r.inputs):
        with pytest.raises(rh.UntrustedStoreError, match=rf"trusted=\['s3://{s3_bucket}/shared'\]"):
            load()
    copy = r.to("file", path=str(tmp_path / "copy"))
    with pytest.raises(rh.UntrustedStoreError, match=f"copied from s3://{s3_bucket}/shared/step1"):
        rh.run(path=str(tmp_path / "copy")).result()
    shown = subprocess.run([sys.executable, "-m", "rhcore.cli", "show", str(tmp_path / "copy")],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and "io.open" in shown.stdout, shown.stderr
    assert copy.status is rh.RunStatus.COMPLETED
    assert not marker.exists()


def test_a_place_the_user_trusts_loads(s3_bucket, s3_config, tmp_path):
    rh.function(summer)(2, 3, run_name="made")
    made = rh.cluster("local").get_run("made")
    made.to("s3", path=f"{s3_bucket}/team/made", data_config=s3_config)
    other = subprocess.run(
        [sys.executable, "-c", f"""
import rhcore as rh
r = rh.run(path="{s3_bucket}/team/made", system="s3", data_config={s3_config!r})
try:
    r.result()
except rh.UntrustedStoreError:
    print("refused")
rh.configure(trusted=["s3://{s3_bucket}/team"])
print(r.result())
"""], capture_output=True, text=True, timeout=120)
    assert other.returncode == 0, other.stderr
    assert other.stdout.split() == ["refused", "5"]


def test_a_run_this_process_copied_there_reads_back(s3_bucket, s3_config):
    rh.function(summer)(2, 3, run_name="mine")
    copy = rh.cluster("local").get_run("mine").to("s3", path=f"{s3_bucket}/adhoc/mine", data_config=s3_config)
    assert copy.result() == 5 and copy.inputs() == {"args": [2, 3], "kwargs": {}}


def test_a_signed_team_store_loads_only_what_its_key_signed(s3_bucket, s3_config, s3fs_, tmp_path,
                                                             monkeypatch):
    monkeypatch.setenv("RHCORE_SIGNING_KEY", "team-key")
    rh.cluster("local").executor.close()  # workers started from here on hold the key
    team = rh.cluster(name="team", run_store=f"s3://{s3_bucket}/runs", data_config=s3_config)
    f = rh.function(summer, system=team)
    assert f(2, 3, run_name="signed") == 5
    assert s3fs_.exists(f"{s3_bucket}/runs/signed/result.pkl.sig")
    rh.configure(require_signature=True)
    assert team.get_run("signed").result() == 5
    assert f.get_or_call(2, 3, run_name="signed") == 5  # a cache hit checks the signature

    marker = tmp_path / "ran"
    plant(s3fs_, f"{s3_bucket}/runs/planted", str(marker))  # in the trusted store, unsigned
    with pytest.raises(rh.UntrustedStoreError, match=r"require_signature is on.*not signed"):
        team.get_run("planted").result()
    s3fs_.pipe(f"{s3_bucket}/runs/signed/result.pkl", pickle.dumps(Planted(str(marker))))
    with pytest.raises(rh.UntrustedStoreError, match="changed after it was signed"):
        team.get_run("signed").result()
    monkeypatch.setenv("RHCORE_SIGNING_KEY", "someone-else")
    with pytest.raises(rh.UntrustedStoreError, match="signed with another key"):
        team.get_run("signed").inputs()
    assert not marker.exists()
    rh.cluster("local").executor.close()
