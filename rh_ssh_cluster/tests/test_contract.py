"""The filesystem contract kit, run for both systems against the session's real sshd."""

from __future__ import annotations

import pytest

from rhcore.folder import Folder
from rhcore.testing import FilesystemContract

SENTINELS = {"password": "sftp-password-5c2e91", "passphrase": "key-passphrase-0d7f33"}
"""The server takes the key: a password and passphrase ride along, secrets to look for."""


class TestSFTPContract(FilesystemContract):
    secret_sentinels = SENTINELS

    @pytest.fixture
    def place(self, sshd, remote_dir):
        return Folder(remote_dir, "sftp", sshd.data_config)


class TestSSHContract(FilesystemContract):
    secret_sentinels = SENTINELS

    @pytest.fixture
    def place(self, sshd, remote_dir):
        return Folder(remote_dir, "ssh", sshd.data_config)


@pytest.mark.parametrize("system", ["sftp", "ssh"])
def test_byte_ranges_are_read_as_fsspec_defines_them(system, sshd, remote_dir):
    """What following a log reads (the stock sshfs ignored the range: whole files again)."""
    folder = Folder(remote_dir, system, sshd.data_config)
    folder.write_bytes("digits", b"0123456789")
    fs, path = folder.fs, folder.join("digits")
    assert fs.cat_file(path) == b"0123456789"
    assert fs.cat_file(path, start=3) == b"3456789"
    assert fs.cat_file(path, start=3, end=5) == b"34"
    assert fs.cat_file(path, start=-3) == b"789"
    assert fs.cat_file(path, end=-8) == b"01"
    assert fs.cat_file(path, start=10) == b""
    assert fs.cat_file(path, start=4, end=2) == b""
