"""A store's contents are data, never instructions: a planted pickle is never run by a
look, a load or a copy unless the user trusts the place; a team that signs its Runs loads
only what its key signed; names in a stored config and links planted in a folder never
lead outside it. Against a real S3 server (moto) and the local disk."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

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


# -- the local disk: names and links from a stored folder -------------------------------------


def test_names_in_a_stored_config_never_lead_outside_the_folder(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("the victim's secret")
    with rh.run(name="prepare") as r:
        print("mine")
    config_path = Path(r.path, "config_for_run.json")
    config = json.loads(config_path.read_text())
    relative = os.path.relpath(victim, r.path)
    config.update(stdout_file=relative, stderr_file=str(victim), name="prepare")
    config_path.write_text(json.dumps(config))
    loaded = rh.run(name="prepare")
    assert loaded.stdout() == "mine" and "secret" not in loaded.stderr()
    with rh.run(name="prepare") as again:  # the README's own block, run again over it
        print("again")
    assert victim.read_text() == "the victim's secret" and again.stdout() == "again"


def test_a_planted_link_is_never_read_or_written_through(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("the victim's secret")
    with rh.run(name="linked") as r:
        print("mine")
    out = Path(r.path, "linked.out")
    out.unlink()
    out.symlink_to(victim)
    with pytest.raises(OSError, match="symbolic link"):
        rh.run(name="linked").stdout()
    shown = subprocess.run([sys.executable, "-m", "rhcore.cli", "show", "linked"],
                           capture_output=True, text=True, timeout=60)
    assert "the victim's secret" not in shown.stdout + shown.stderr
    with rh.run(name="linked"):
        print("next attempt")
    assert victim.read_text() == "the victim's secret"


def test_a_run_store_of_a_saved_cluster_is_trusted_in_any_process(s3_bucket, s3_config):
    team = rh.cluster(name="team", run_store=f"s3://{s3_bucket}/team", data_config=s3_config)
    rh.function(summer, system=team)(2, 3, run_name="shared")
    team.save()
    team.get_run("shared").to("s3", path=f"{s3_bucket}/elsewhere/shared", data_config=s3_config)
    other = subprocess.run([sys.executable, "-c", f"""
import rhcore as rh
print(rh.run(path="{s3_bucket}/team/shared", system="s3", data_config={s3_config!r}).result())
try:
    rh.run(path="{s3_bucket}/elsewhere/shared", system="s3", data_config={s3_config!r}).result()
except Exception as exc:
    print(type(exc).__name__)
"""], capture_output=True, text=True, timeout=120)
    assert other.returncode == 0, other.stderr
    assert other.stdout.split() == ["5", "UntrustedStoreError"]  # a copy outside it is not
