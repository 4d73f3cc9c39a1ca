"""Credentials given in ``data_config`` reach no object, no local file and no error message."""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
import uuid

import pytest

import rhcore as rh
from rhcore.testing.checks import local_files


def test_a_runs_credentials_are_written_nowhere(moto, s3_bucket, tmp_path, isolated):
    creds = moto.create_user(f"secretive-{uuid.uuid4().hex[:8]}")
    secrets = [creds["key"].encode(), creds["secret"].encode()]
    config = moto.data_config(creds)
    rh.configure(registry=f"s3://{s3_bucket}/registry", data_config=config)

    with rh.run(
        name="classified", system="s3", path=f"{s3_bucket}/runs/classified", data_config=config
    ) as r:
        print("working with", sorted(config))  # the names of the settings, not their values
    r.save()
    rh.run("classified", data_config=config).save("classified-again")  # entries hold no keys

    local = r.to("file", path=str(tmp_path / "home" / "copies" / "classified"))
    back = local.to("s3", path=f"{s3_bucket}/back/classified", data_config=config)
    back.to("s3", path=f"{s3_bucket}/again/classified", data_config=config)
    r.to("here")
    local.save("local-copy")
    with pytest.raises(rh.StorageError) as excinfo:  # an error made with these credentials
        local.to("s3", path="no-such-bucket-for-secrets/x", data_config=config)
    message = "".join(traceback.format_exception(excinfo.value))
    done = subprocess.run(
        [sys.executable, "-m", "rhcore.cli", "cp", "local-copy", "s3:no-such-bucket-for-secrets/y"],
        capture_output=True,
        env={
            **os.environ,
            **moto.environment(creds),
            "RHCORE_REGISTRY": f"s3://{s3_bucket}/registry",
        },
    )
    assert done.returncode != 0 and b"s3:no-such-bucket-for-secrets/y" in done.stderr

    objects = moto.objects()
    assert f"{s3_bucket}/registry/classified.json" in objects
    assert f"{s3_bucket}/again/classified/config_for_run.json" in objects
    files = local_files(tmp_path / "home", isolated)
    assert any(p.endswith("classified/config_for_run.json") for p in files)
    for secret in secrets:
        for place, content in {**objects, **files}.items():
            assert secret not in content, f"a credential was written to {place}"
            assert secret.decode() not in place
        assert secret.decode() not in message
        assert secret not in done.stdout + done.stderr
