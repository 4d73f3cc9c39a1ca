"""Every test runs with its own HOME and working directory, so Runs, the registry and
cluster folders it creates are its own, and with plugins and settings rebuilt."""

from __future__ import annotations

import pytest

from rhcore import plugins, settings


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    for var in ("RHCORE_REGISTRY", "RHCORE_DISABLE_PLUGIN_AUTOLOAD", "RHCORE_PLUGINS"):
        monkeypatch.delenv(var, raising=False)
    settings.reset()
    plugins.reset()
    yield work
    settings.reset()
    plugins.reset()
