"""pytest fixtures for test suites that use rhcore (the core's and plugins').

Import them into a ``conftest.py``::

    from rhcore.testing.fixtures import isolated  # noqa: F401  (autouse)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rhcore import plugins, settings, trust

RHCORE_ENVIRONMENT = (
    "RHCORE_REGISTRY", "RHCORE_DISABLE_PLUGIN_AUTOLOAD", "RHCORE_PLUGINS",
    "RHCORE_TRUSTED", "RHCORE_REQUIRE_SIGNATURE", "RHCORE_SIGNING_KEY",
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own HOME (so ``~/.rh``: registry, cluster Runs) and working
    directory (so ``./rh``), no rhcore settings from the environment, and plugins and
    settings rebuilt; yields the working directory."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    for var in RHCORE_ENVIRONMENT:
        monkeypatch.delenv(var, raising=False)
    settings.reset()
    plugins.reset()
    trust.forget()
    yield work
    settings.reset()
    plugins.reset()
    trust.forget()
