"""The registry: where it lives, what it stores, and what it never stores."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import rhcore as rh
from rhcore.registry import get_registry


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
