"""The install commands that error messages give: read from rhcore's own install record
(PEP 610), so that each names a command that works where rhcore came from. (`nox -s
install` runs them in a fresh environment; the SSH plugin's tests run the remote one.)"""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest

import rhcore as rh
from rhcore import plugins, version

REPO = Path(__file__).resolve().parent.parent


class Record:
    """A distribution whose ``direct_url.json`` is ``text``."""

    def __init__(self, text: str | None):
        self.text = text

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return self.text


@pytest.fixture
def installed(monkeypatch):
    """Makes rhcore's install record say what a test gives (or rhcore not installed: None)."""

    def install(record: dict | str | None) -> None:
        def distribution(name: str):
            assert name == "rhcore"
            if record is None:
                raise importlib.metadata.PackageNotFoundError(name)
            return Record(record if isinstance(record, str) else json.dumps(record))

        monkeypatch.setattr(importlib.metadata, "distribution", distribution)

    return install


@pytest.mark.parametrize("dir_info", [{}, {"editable": True}])
def test_installed_from_a_folder_names_that_checkout(installed, dir_info):
    installed({"url": REPO.as_uri(), "dir_info": dir_info})
    assert version.checkout() == str(REPO)
    assert version.plugin_install_hint("rh-s3", "s3") == f"pip install {REPO}/rh_s3"
    assert version.plugin_install_hint("rh-ray", "ray") == f"pip install {REPO}/plugins/rh_ray"


def test_a_checkout_path_with_spaces_is_quoted(installed, tmp_path):
    root = tmp_path / "my checkout"
    (root / "rh_s3").mkdir(parents=True)
    (root / "pyproject.toml").write_text("")
    (root / "rh_s3" / "pyproject.toml").write_text("")
    installed({"url": root.as_uri(), "dir_info": {}})
    assert version.checkout() == str(root)
    assert version.plugin_install_hint("rh-s3", "s3") == f"pip install '{root}/rh_s3'"


@pytest.mark.parametrize(
    "record",
    [
        None,                                                            # not installed
        "",                                                              # no record: an index
        "not json",
        {"url": "file:///wheelhouse/rhcore-0.1.0-py3-none-any.whl", "archive_info": {}},
        {"url": "https://example.invalid/rhcore.git", "vcs_info": {"vcs": "git"}},
        {"url": "file:///no/such/checkout", "dir_info": {}},             # moved away since
    ],
)
def test_otherwise_the_hint_gives_the_index_and_the_checkout_forms(installed, record):
    installed(record)
    assert version.checkout() is None
    assert version.plugin_install_hint("rh-ssh-cluster", "ssh") == (
        f"pip install 'rhcore[ssh]=={rh.__version__}' "
        "(from a checkout of rhcore's repository, at its top: pip install ./rh_ssh_cluster)"
    )


def test_every_known_plugin_has_its_folder_in_this_repository():
    known = {dist for dist, _ in [*plugins.KNOWN_SYSTEMS.values(), *plugins.KNOWN_EXECUTORS.values()]}
    assert known == set(version.PLUGIN_FOLDERS)
    for folder in version.PLUGIN_FOLDERS.values():
        assert (REPO / folder / "pyproject.toml").is_file(), folder


def test_the_remote_hint_builds_the_wheel_from_the_checkout(installed):
    installed({"url": REPO.as_uri(), "dir_info": {"editable": True}})
    hint = version.remote_install_hint("/opt/py 3/bin/python")
    assert f"`pip wheel --no-deps -w wheelhouse {REPO}`" in hint
    assert f"copy wheelhouse/rhcore-{rh.__version__}-py3-none-any.whl to the host" in hint
    assert f"`'/opt/py 3/bin/python' -m pip install rhcore-{rh.__version__}-py3-none-any.whl` there" in hint
    installed("")
    assert version.remote_install_hint("python3").startswith(
        f"run `python3 -m pip install rhcore=={rh.__version__}` there, or build its wheel in a checkout"
    )


def test_the_testing_extra_hint_names_its_packages_from_rhcores_metadata(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "requires", lambda name: [
        "attrs>=23.1", "rh-s3==0.1.*; extra == 's3'", 'hypothesis>=6.100; extra == "testing"',
        "pytest>=8; extra == 'testing'"])
    assert version.extra_install_hint("testing") == "pip install 'hypothesis>=6.100' 'pytest>=8'"
