"""The registry: where it lives, what it stores, and what it never stores."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import rhcore as rh
from rhcore import plugins
from rhcore.registry import get_registry

from . import memory_plugin


def test_default_registry_is_under_home():
    with rh.run(name="homed") as r:
        pass
    r.save()
    entry = Path(os.environ["HOME"]) / ".rh" / "registry" / "homed.json"
    assert json.loads(entry.read_text())["path"] == r.path


def test_registry_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RHCORE_REGISTRY", str(tmp_path / "team-registry"))
    with rh.run(name="shared") as r:
        pass
    r.save()
    assert (tmp_path / "team-registry" / "shared.json").exists()
    assert rh.exists("shared")


def test_configure_overrides_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RHCORE_REGISTRY", str(tmp_path / "env"))
    rh.configure(registry=str(tmp_path / "configured"))
    with rh.run(name="configured_run") as r:
        pass
    r.save()
    assert (tmp_path / "configured" / "configured_run.json").exists()
    assert not (tmp_path / "env").exists()


def test_registry_on_another_system():
    plugins.register(memory_plugin, name="memory")
    try:
        rh.configure(registry="memory://team/registry")
        with rh.run(name="remote_registered") as r:
            print("hi")
        r.save()
        assert get_registry().folder.system == "memory"
        assert rh.exists("remote_registered", resource_type="run")
        assert rh.run("remote_registered").stdout() == "hi"
        assert "remote_registered" in get_registry().names("run")
    finally:
        plugins.unregister("memory")


def test_names_listing_and_delete():
    for name in ("b", "a"):
        with rh.run(name=name) as r:
            pass
        r.save()
    registry = get_registry()
    assert registry.names() == ["a", "b"]
    assert registry.names("run") == ["a", "b"]
    assert registry.names("function") == []
    assert registry.delete("a") is True
    assert registry.delete("a") is False
    assert registry.names() == ["b"]


def test_load_of_a_missing_name_says_so():
    with pytest.raises(rh.ResourceNotFoundError, match="nosuch"):
        rh.load("nosuch")


def test_corrupt_registry_entry_names_its_path():
    with rh.run(name="broken_entry") as r:
        pass
    r.save()
    entry = Path(os.environ["HOME"]) / ".rh" / "registry" / "broken_entry.json"
    entry.write_text("{oops")
    with pytest.raises(rh.CorruptConfigError, match=str(entry)):
        rh.load("broken_entry")


SECRETS = {
    "key": "AKIAEXAMPLEKEY123",
    "secret": "s3cr3t-value-never-stored",
    "token": "tok-abcdef-123456",
    "password": "hunter2hunter2",
    "connection_string": "DefaultEndpointsProtocol=https;AccountKey=zzzSECRETzzz",
    "client_kwargs": {"endpoint_url": "http://127.0.0.1:1", "aws_secret_access_key": "nested-secret-9"},
}


def test_secrets_in_data_config_are_never_written(tmp_path):
    plugins.register(memory_plugin, name="memory")
    try:
        with rh.run(name="secretive", system="memory", path="vault/secretive",
                    data_config=SECRETS) as r:
            print("working with credentials")
        r.save()
        copy = r.to("file", path=str(tmp_path / "copy"))
        copy.save("secretive_copy")
        stored = r.config_for_rns["data_config"]
        assert stored == {"client_kwargs": {"endpoint_url": "http://127.0.0.1:1"}}
    finally:
        plugins.unregister("memory")
    written = b""
    for root in (Path(os.environ["HOME"]), Path.cwd(), tmp_path):
        for f in root.rglob("*"):
            if f.is_file():
                written += f.read_bytes()
    import fsspec

    mem = fsspec.filesystem("memory")
    for f in mem.find("/vault"):
        written += mem.cat_file(f)
    for value in ("AKIAEXAMPLEKEY123", "s3cr3t-value-never-stored", "tok-abcdef-123456",
                  "hunter2hunter2", "zzzSECRETzzz", "nested-secret-9"):
        assert value.encode() not in written
    assert b"127.0.0.1:1" in written  # the non-secret part is kept
