"""A missing container, wrong credentials and an unreachable account each fail within
seconds with an error naming the system and path, carrying no secret, and leave no
half-published Run."""

from __future__ import annotations

import base64
import datetime
import socket

import pytest
from azure.storage.blob import ContainerSasPermissions, generate_container_sas

import rhcore as rh
from rhcore.folder import Folder
from rhcore.testing.checks import failure_text, within
from rhcore.testing.servers import free_port

WRONG_KEY = base64.b64encode(b"w" * 64).decode()


def local_run(tmp_path) -> rh.Run:
    with rh.run(name="local", path=str(tmp_path / "local")) as r:
        print("made here")
    return r


def test_a_run_in_a_missing_container(azurite, az_config):
    before = azurite.containers()
    with within(5), pytest.raises(rh.StorageNotFoundError) as excinfo:
        with rh.run(name="lost", system="azure", path="no-such-container/runs/lost", data_config=az_config):
            pytest.fail("the block must not run")
    assert str(excinfo.value) == (
        "Cannot start the Run at azure:no-such-container/runs/lost: Cannot create "
        "azure:no-such-container/runs/.lost.rhcore/lease-1: The container 'no-such-container' does not exist"
    )
    assert azurite.containers() == before


def test_a_copy_to_a_missing_container(az_config, tmp_path):
    with within(5), pytest.raises(rh.StorageNotFoundError,
                                  match=r"^Cannot copy azure:no-such-container/copies/local/"):
        local_run(tmp_path).to("azure", path="no-such-container/copies/local", data_config=az_config)


def test_a_wrong_key_reading_and_writing(azurite, az_container, az_config, tmp_path):
    with rh.run(name="kept", system="azure", path=f"{az_container}/runs/kept", data_config=az_config):
        pass
    wrong = azurite.data_config(key=WRONG_KEY)
    with within(5), pytest.raises(rh.StorageError) as excinfo:
        rh.run(path=f"{az_container}/runs/kept", system="azure", data_config=wrong)
    text = failure_text(excinfo)
    assert f"Cannot read azure:{az_container}/runs/kept/config_for_run.json" in text
    assert "authenticate" in text
    assert WRONG_KEY not in text and azurite.key not in text

    with within(5), pytest.raises(rh.StorageError, match=f"azure:{az_container}/copies/local") as excinfo:
        local_run(tmp_path).to("azure", path=f"{az_container}/copies/local", data_config=wrong)
    assert WRONG_KEY not in failure_text(excinfo)
    assert sorted(azurite.blobs(az_container)) == [  # the Run, its book, its store's index events
        f"{az_container}/runs/.kept.rhcore/end-1", f"{az_container}/runs/.kept.rhcore/lease-1",
        f"{az_container}/runs/.rhcore-index/events/000000000001",
        f"{az_container}/runs/.rhcore-index/events/000000000002",
        *(f"{az_container}/runs/kept/{name}" for name in ("config_for_run.json", "kept.err", "kept.out"))
    ]


def test_an_unreachable_account(azurite, tmp_path):
    config = {"connection_string": azurite.connection_string().replace(
        str(azurite.server.port), str(free_port()))}
    with within(8), pytest.raises(rh.StorageError) as excinfo:
        with rh.run(name="far", system="azure", path="container/runs/far", data_config=config):
            pytest.fail("the block must not run")
    text = failure_text(excinfo)
    assert "Cannot read azure:container/runs/far/config_for_run.json" in text
    assert "Cannot connect to host 127.0.0.1" in text
    assert azurite.key not in text


def test_a_silent_account_fails_within_the_read_timeout_of_data_config(azurite):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        config = {
            "connection_string": azurite.connection_string().replace(str(azurite.server.port), str(port)),
            "read_timeout": 1,
        }
        with within(15), pytest.raises(rh.StorageError) as excinfo:  # listings too, not only transfers
            Folder("container/runs", "azure", config).ls()
    assert "Cannot list azure:container/runs" in failure_text(excinfo)


def test_a_refused_delete_is_a_located_storage_error_without_the_signature(azurite, az_container, az_config):
    """adlfs reports a failed delete as a RuntimeError: it arrives as a StorageError naming
    the place, and the shared access signature that was refused is nowhere in it."""
    Folder(f"{az_container}/runs/kept", "azure", az_config).write_bytes("a.txt", b"x")
    signature = generate_container_sas(
        azurite.account, az_container, account_key=azurite.key,
        permission=ContainerSasPermissions(read=True, list=True),
        expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1),
    )
    endpoint = next(p for p in azurite.connection_string().split(";") if p.startswith("BlobEndpoint="))
    read_only = {"connection_string": f"DefaultEndpointsProtocol=http;AccountName={azurite.account};"
                                      f"SharedAccessSignature={signature};{endpoint}"}
    folder = Folder(f"{az_container}/runs/kept", "azure", read_only)
    assert folder.read_bytes("a.txt") == b"x"
    with within(5), pytest.raises(rh.StorageError) as excinfo:
        folder.rm()
    assert str(excinfo.value).startswith(f"Cannot delete azure:{az_container}/runs/kept: RuntimeError")
    text = failure_text(excinfo)
    assert "not authorized" in text
    assert signature.split("sig=")[1] not in text and azurite.key not in text
    assert f"{az_container}/runs/kept/a.txt" in azurite.blobs(az_container)
