"""The filesystem contract kit, run against the ``file`` system (the real local disk). The
object stores run it against their real servers, in their own sessions."""

from __future__ import annotations

import pytest

import rhcore
from rhcore.folder import Folder
from rhcore.plugins import Capabilities
from rhcore.testing import FilesystemContract, SystemPluginContract

SENTINELS = {"token": "file-token-3f9a2c", "nested": {"password": "file-password-77b1"}}
"""The local filesystem ignores what it does not know: secrets to look for."""


class TestFileSystemContract(FilesystemContract):
    secret_sentinels = SENTINELS

    @pytest.fixture
    def place(self, tmp_path):
        return Folder(str(tmp_path / "contract"), "file")


class TestFilePlugin(SystemPluginContract):
    system = "file"
    protocols = ("file", "local")
    distribution = "rhcore"
    version = rhcore.__version__
    capabilities = Capabilities(atomic_rename=True, exclusive_create=True, local_paths=True, posix_paths=True)

    @pytest.fixture
    def place(self, tmp_path):
        return Folder(str(tmp_path / "plugin"), "file")
