"""The ``azure`` system as rhcore sees it: registration, paths, defaults, and the Azure
behaviours rhcore relies on, checked against the real server."""

from __future__ import annotations

import pytest
import rh_azure
from rh_azure.filesystem import RunAzureBlobFileSystem

import rhcore as rh
from rhcore.folder import Folder
from rhcore.plugins import Capabilities
from rhcore.testing import SystemPluginContract


class TestAzurePlugin(SystemPluginContract):
    system = "azure"
    protocols = ("azure", "az", "abfs", "abfss")
    distribution = "rh-azure"
    version = rh_azure.__version__
    lazy_modules = ("adlfs", "azure.storage.blob")
    capabilities = Capabilities(atomic_write=True, exclusive_create=True)

    @pytest.fixture
    def place(self, az_container, az_config):
        return Folder(f"{az_container}/runs/x", "azure", az_config)


def test_another_processs_writes_are_seen_at_once(az_container, az_config):
    folder = Folder(f"{az_container}/shared", "azure", az_config)
    folder.write_bytes("first.txt", b"1")
    assert folder.files() == ["first.txt"]
    other = RunAzureBlobFileSystem(**az_config, skip_instance_cache=True)
    other.pipe_file(f"{az_container}/shared/second.txt", b"2")
    assert folder.files() == ["first.txt", "second.txt"]


def test_a_registry_url_on_azure(az_container, az_config):
    with rh.run(name="named", system="azure", path=f"{az_container}/runs/named",
                data_config=az_config) as r:
        print("registered")
    rh.configure(registry=f"azure://{az_container}/registry", data_config=az_config)
    r.save()
    assert Folder(f"{az_container}/registry", "azure", az_config).has("named.json")
    assert rh.run("named", data_config=az_config).stdout() == "registered"


def test_a_large_result_round_trips(az_container, az_config, tmp_path):
    payload = bytes(range(256)) * (24 * 1024 * 1024 // 256)
    with rh.run(name="big", path=str(tmp_path / "big")) as r:
        pass
    r.write(payload, "payload.bin")
    copy = r.to("azure", path=f"{az_container}/big", data_config=az_config)
    assert copy.folder.read_bytes("payload.bin") == payload
    back = copy.to("file", path=str(tmp_path / "back"))
    assert back.folder.read_bytes("payload.bin") == payload


def test_the_accounts_containers_are_listed(azurite, az_container, az_config):
    assert az_container in Folder("", "azure", az_config).fs.ls("")
