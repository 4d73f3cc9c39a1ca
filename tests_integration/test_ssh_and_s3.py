"""A Run made on an SSH host goes to S3 and back, through the client, and an SSH cluster
can keep its Run folders on S3."""

from __future__ import annotations

import sys
import uuid

import rhcore as rh
from rhcore.testing.executor import summer


def ssh_cluster(sshd, **extra):
    return rh.cluster(
        name="cpu", ips=[sshd.host], ssh_port=sshd.port, python=sys.executable,
        ssh_creds={"ssh_user": sshd.username, "ssh_private_key": sshd.private_key,
                   "known_hosts": sshd.known_hosts},
        **extra,
    )


def test_a_run_on_an_ssh_host_goes_to_s3_and_back(sshd, moto):
    bucket = moto.create_bucket(f"rh-int-{uuid.uuid4().hex[:8]}")
    cpu = ssh_cluster(sshd, logs_dir=str(sshd.dir / "data" / "logs"))
    rh.function(summer).to(cpu)(2, 3, run_name="remote_then_s3")
    remote = cpu.get_run("remote_then_s3")

    on_s3 = remote.to("s3", path=f"{bucket}/runs/remote_then_s3", data_config=moto.data_config())
    back = on_s3.to(cpu, path=str(sshd.dir / "data" / "returned"))

    for copy in (on_s3, back):
        assert copy.run_config == remote.run_config
        assert copy.result() == 5 and copy.stdout() == "adding 2 and 3"
    assert on_s3.folder.system == "s3" and back.folder.system == "sftp"


def test_an_ssh_cluster_can_keep_its_runs_on_s3(sshd, moto):
    bucket = moto.create_bucket(f"rh-int-{uuid.uuid4().hex[:8]}")
    cpu = ssh_cluster(sshd, run_store=f"s3://{bucket}/runs", data_config=moto.data_config())
    assert rh.function(summer).to(cpu)(1, 1, run_name="stored_on_s3") == 2
    run = cpu.get_run("stored_on_s3")
    assert run.folder.system == "s3" and run.folder.path == f"{bucket}/runs/stored_on_s3"
    assert run.result() == 2
