"""The ``azure`` system as rhcore sees it: registration, paths, defaults, and the Azure
behaviours rhcore relies on, checked against the real server."""

from __future__ import annotations

import subprocess
import sys

import pytest
import rh_azure
from rh_azure.filesystem import RunAzureBlobFileSystem

import rhcore as rh
from rhcore.folder import Folder
from rhcore.plugins import get_plugins


def test_registered_through_its_entry_point():
    pm = get_plugins()
    spec = pm.system("azure")
    assert spec.protocols == ("azure", "az", "abfs", "abfss")
    assert pm.system("az") is spec and pm.system("abfs") is spec
    assert spec.capabilities.atomic_write and spec.capabilities.exclusive_create
    info = {i.name: i for i in pm.info()}
    assert (info["azure"].distribution, info["azure"].version) == ("rh-azure", rh_azure.__version__)


def test_rh_plugins_lists_it():
    done = subprocess.run(
        [sys.executable, "-m", "rhcore.cli", "plugins"], capture_output=True, text=True, check=True
    )
    assert ["azure", "rh-azure", rh_azure.__version__, "systems:", "azure"] in [
        line.split() for line in done.stdout.splitlines()
    ]


def test_loading_plugins_does_not_import_the_azure_sdk():
    code = (
        "import sys; from rhcore.plugins import get_plugins; "
        "assert 'azure' in get_plugins().systems; print('adlfs' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    "form", ["{c}/runs/x", "azure://{c}/runs/x", "az://{c}/runs/x", "abfs://{c}/runs/x", "{c}/runs/x/"]
)
def test_path_forms_name_the_same_folder(form, az_container, az_config):
    with rh.run(name="x", system="azure", path=f"{az_container}/runs/x", data_config=az_config):
        print("here")
    folder = Folder(form.format(c=az_container), "azure", az_config)
    assert folder.path == f"{az_container}/runs/x"
    loaded = rh.run(path=form.format(c=az_container), system="azure", data_config=az_config)
    assert loaded.stdout() == "here"


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
