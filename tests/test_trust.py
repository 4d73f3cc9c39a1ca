"""Which pickles rhcore loads: the local disk's by default; with a signing key, only what
the key signed when the user requires it; never a signed file that was changed."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

import rhcore as rh
from rhcore import settings
from rhcore.testing.executor import summer

KEY = "a-team-secret-4f1c"


def every_byte_under(*roots: Path) -> bytes:
    return b"".join(p.read_bytes() for root in roots for p in sorted(root.rglob("*")) if p.is_file())


@pytest.fixture
def signing(monkeypatch):
    """A signing key in the environment, and local workers started with it."""
    monkeypatch.setenv("RHCORE_SIGNING_KEY", KEY)
    rh.cluster("local").executor.close()
    yield
    rh.cluster("local").executor.close()


def test_local_runs_load_without_any_setting():
    f = rh.function(summer)
    assert f(2, 3, run_name="plain") == 5
    run = rh.cluster("local").get_run("plain")
    assert run.result() == 5 and run.inputs() == {"args": [2, 3], "kwargs": {}}


def test_unsigned_values_are_refused_when_signatures_are_required():
    rh.function(summer)(2, 3, run_name="plain")
    rh.configure(require_signature=True)
    with pytest.raises(rh.UntrustedStoreError, match=r"only signed values are loaded.*RHCORE_SIGNING_KEY"):
        rh.cluster("local").get_run("plain").result()


def test_signed_values_load_and_the_key_is_never_stored(signing, isolated):
    rh.configure(require_signature=True)
    f = rh.function(summer)
    assert f(2, 3, run_name="signed") == 5
    run = rh.cluster("local").get_run("signed")
    assert {"result.pkl.sig", "inputs.pkl.sig"} <= set(run.folder.files())
    assert run.result() == 5 and run.inputs() == {"args": [2, 3], "kwargs": {}}
    assert f.get_or_call(2, 3, run_name="signed") == 5
    copy = run.to("file", path=str(isolated / "copied"))
    assert copy.result() == 5  # the signatures travel with the Run
    assert f(2, 4, run_name="signed") == 6  # a second attempt: the first keeps its signatures
    (first,) = run.refresh().attempts()
    assert first.result() == 5
    home = Path.home()
    assert KEY.encode() not in every_byte_under(home / ".rh", isolated)


def test_a_changed_signed_value_is_refused_even_on_the_local_disk(signing, tmp_path):
    rh.function(summer)(2, 3, run_name="signed")
    run = rh.cluster("local").get_run("signed")
    marker = tmp_path / "ran"
    Path(run.path, "result.pkl").write_bytes(pickle.dumps(Path(marker).touch))  # a bound method: code
    with pytest.raises(rh.UntrustedStoreError, match="changed after it was signed"):
        run.result()
    Path(run.path, "inputs.pkl.sig").write_text("not a signature")
    with pytest.raises(rh.UntrustedStoreError, match="not one rhcore wrote"):
        run.inputs()
    assert not marker.exists()


def test_another_key_is_named_by_its_id_not_its_value(signing, monkeypatch):
    rh.function(summer)(2, 3, run_name="signed")
    monkeypatch.setenv("RHCORE_SIGNING_KEY", "another-key")
    rh.configure(require_signature=True)
    with pytest.raises(rh.UntrustedStoreError, match="signed with another key") as refused:
        rh.cluster("local").get_run("signed").result()
    assert KEY not in str(refused.value) and "another-key" not in str(refused.value)


def test_trusted_places_can_be_given_as_one_string_or_from_the_environment(monkeypatch):
    assert rh.configure(trusted="s3://bucket/runs").trusted == ["s3://bucket/runs"]
    monkeypatch.setenv("RHCORE_TRUSTED", "gs://team/runs, github")
    assert settings.trusted_places() == ["s3://bucket/runs", "gs://team/runs", "github"]

