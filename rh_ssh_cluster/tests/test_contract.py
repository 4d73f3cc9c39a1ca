"""The filesystem contract kit, run for both systems against the session's real sshd."""

from __future__ import annotations

import pytest

from rhcore.folder import Folder
from rhcore.testing import FilesystemContract


class TestSFTPContract(FilesystemContract):
    @pytest.fixture
    def place(self, sshd, remote_dir):
        return Folder(remote_dir, "sftp", sshd.data_config)


class TestSSHContract(FilesystemContract):
    @pytest.fixture
    def place(self, sshd, remote_dir):
        return Folder(remote_dir, "ssh", sshd.data_config)
