"""A credential given in ``data_config`` reaches no object, no local file and no error
message."""

from __future__ import annotations

import traceback

import pytest
from google.oauth2.credentials import Credentials

import rhcore as rh
from rhcore.testing.checks import local_files

SECRET = "ya29.a0-not-a-real-access-token-0123456789"


def test_a_runs_credentials_are_written_nowhere(gcs, gs_bucket, tmp_path, isolated):
    config = {"endpoint_url": gcs.endpoint, "project": "rh-test", "token": Credentials(token=SECRET)}
    rh.configure(registry=f"gs://{gs_bucket}/registry", data_config=config)
    with rh.run(name="classified", system="gs", path=f"{gs_bucket}/runs/classified",
                data_config=config) as r:
        print("working with", sorted(config))
    r.save()
    local = r.to("file", path=str(tmp_path / "copies" / "classified"))
    back = local.to("gs", path=f"{gs_bucket}/back/classified", data_config=config)
    back.to("gs", path=f"{gs_bucket}/again/classified", data_config=config)
    r.to("here")
    with pytest.raises(rh.StorageError) as excinfo:
        local.to("gs", path="no-such-bucket/x", data_config=config)
    message = "".join(traceback.format_exception(excinfo.value))

    objects = gcs.objects(gs_bucket)
    assert f"{gs_bucket}/registry/classified.json" in objects
    assert f"{gs_bucket}/again/classified/config_for_run.json" in objects
    files = {**local_files(tmp_path), **local_files(isolated)}
    assert any(p.endswith("classified/config_for_run.json") for p in files)
    for place, content in {**objects, **files}.items():
        assert SECRET.encode() not in content, f"the credential was written to {place}"
    assert SECRET not in message
