"""A missing bucket, wrong credentials and an unreachable endpoint each fail within
seconds with an error naming the system and path, carrying no secret, and leave no
half-published Run."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from rh_s3.testing import free_port

import rhcore as rh
from rhcore.errors import StorageNotFoundError
from rhcore.testing.checks import failure_text, within

WRONG_SECRET = "wrong-secret-0123456789abcdef"


def local_run(tmp_path) -> rh.Run:
    with rh.run(name="local", path=str(tmp_path / "local")) as r:
        print("made here")
    return r


# -- a missing bucket ------------------------------------------------------------------


def test_a_run_in_a_missing_bucket(moto, s3_config):
    buckets = moto.buckets()
    with within(5), pytest.raises(StorageNotFoundError) as excinfo:
        with rh.run(
            name="lost", system="s3", path="no-such-bucket/runs/lost", data_config=s3_config
        ):
            pytest.fail("the block must not run")
    assert str(excinfo.value) == (
        "Cannot start the Run at s3:no-such-bucket/runs/lost: "
        "Cannot create s3:no-such-bucket/runs/.lost.rhcore/lease-1: The specified bucket does not exist"
    )
    assert isinstance(excinfo.value, FileNotFoundError) and isinstance(
        excinfo.value, rh.StorageError
    )
    assert moto.buckets() == buckets  # and none was created on the way


def test_a_copy_to_a_missing_bucket(moto, s3_config, tmp_path):
    buckets = moto.buckets()
    with within(5), pytest.raises(StorageNotFoundError, match="s3:no-such-bucket/copies/local/"):
        local_run(tmp_path).to("s3", path="no-such-bucket/copies/local", data_config=s3_config)
    assert moto.buckets() == buckets


def test_a_registry_in_a_missing_bucket(moto, s3_config, tmp_path):
    rh.configure(registry="s3://no-such-bucket/team", data_config=s3_config)
    with (
        within(5),
        pytest.raises(
            StorageNotFoundError, match=r"Cannot publish s3:no-such-bucket/team/local.json"
        ),
    ):
        local_run(tmp_path).save()
    assert not rh.exists("local")


# -- wrong credentials -----------------------------------------------------------------


@pytest.fixture(params=["wrong secret", "unknown key"])
def bad_config(request, moto):
    good = moto.credentials
    key = good["key"] if request.param == "wrong secret" else "AKIAUNKNOWN000000000"
    return moto.data_config({"key": key, "secret": WRONG_SECRET})


def test_wrong_credentials_loading_a_run(bad_config, s3_bucket, s3_config):
    with rh.run(name="kept", system="s3", path=f"{s3_bucket}/runs/kept", data_config=s3_config):
        pass
    with within(5), pytest.raises(rh.StorageError) as excinfo:
        rh.run(path=f"{s3_bucket}/runs/kept", system="s3", data_config=bad_config)
    text = failure_text(excinfo)
    assert f"Cannot read s3:{s3_bucket}/runs/kept/config_for_run.json: permission denied" in text
    assert WRONG_SECRET not in text and bad_config["key"] not in text


def test_wrong_credentials_writing_leave_nothing(bad_config, s3_bucket, moto, tmp_path):
    with within(5), pytest.raises(rh.StorageError, match=f"s3:{s3_bucket}/runs/denied") as excinfo:
        with rh.run(
            name="denied",
            system="s3",
            path=f"{s3_bucket}/runs/denied",
            data_config=bad_config,
            load=False,
        ):
            pytest.fail("the block must not run")
    assert WRONG_SECRET not in failure_text(excinfo)
    with within(5), pytest.raises(rh.StorageError, match=f"s3:{s3_bucket}/copies/local") as excinfo:
        local_run(tmp_path).to("s3", path=f"{s3_bucket}/copies/local", data_config=bad_config)
    assert WRONG_SECRET not in failure_text(excinfo)
    assert moto.objects(s3_bucket) == {}


# -- an unreachable endpoint -----------------------------------------------------------


def unreachable(endpoint: str) -> dict:
    return {
        "key": "AKIAUNREACHABLE00000",
        "secret": WRONG_SECRET,
        "client_kwargs": {"endpoint_url": endpoint},
    }


def test_a_closed_port(tmp_path):
    config = unreachable(f"http://127.0.0.1:{free_port()}")
    with within(5), pytest.raises(rh.StorageError) as excinfo:
        with rh.run(name="far", system="s3", path="bucket/runs/far", data_config=config):
            pytest.fail("the block must not run")
    text = failure_text(excinfo)
    assert "Cannot read s3:bucket/runs/far/config_for_run.json: EndpointConnectionError" in text
    assert WRONG_SECRET not in text
    with within(5), pytest.raises(rh.StorageError, match="s3:bucket/copies/local"):
        local_run(tmp_path).to("s3", path="bucket/copies/local", data_config=config)


@pytest.fixture
def black_hole() -> Iterator[str]:
    """An endpoint that never completes a TCP handshake, like a firewalled host: a
    listener whose accept queue is full, so the kernel drops further SYNs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    queued = []
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        queued.append(client)
    probe = socket.create_connection
    with pytest.raises(OSError):
        probe(("127.0.0.1", port), timeout=0.5).close()
    yield f"http://127.0.0.1:{port}"
    for client in queued:
        client.close()
    server.close()


@pytest.mark.slow
def test_an_endpoint_that_never_answers(black_hole):
    """Bounded by the plugin's default connect timeout (3 s) and attempts (3): about 10 s."""
    with within(20), pytest.raises(rh.StorageError) as excinfo:
        rh.run(path="bucket/runs/far", system="s3", data_config=unreachable(black_hole))
    text = failure_text(excinfo)
    assert (
        "Cannot read s3:bucket/runs/far/config_for_run.json: Connect timeout on endpoint URL"
        in text
    )
    assert WRONG_SECRET not in text
