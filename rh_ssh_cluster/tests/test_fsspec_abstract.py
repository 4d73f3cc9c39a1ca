"""fsspec's own test suite for filesystems, run against the real sshd on both of this
plugin's filesystems, which subclass fsspec's SFTP and sshfs's SSH filesystems: the
changes rhcore makes (atomic replace, exclusive create, ranged reads) must keep every
fsspec behaviour."""

from __future__ import annotations

import pytest
from fsspec.tests import abstract
from rh_ssh_cluster.sftp import RunSFTPFileSystem
from rh_ssh_cluster.ssh import RunSSHFileSystem

FILESYSTEMS = {"sftp": RunSFTPFileSystem, "ssh": RunSSHFileSystem}


class SSHFixtures(abstract.AbstractFixtures):
    @pytest.fixture(params=sorted(FILESYSTEMS))
    def fs(self, request, sshd):
        return FILESYSTEMS[request.param](**sshd.data_config)

    @pytest.fixture
    def fs_path(self, remote_dir, fs):
        fs.makedirs(remote_dir, exist_ok=True)
        return remote_dir


class TestCopy(abstract.AbstractCopyTests, SSHFixtures):
    pass


class TestGet(abstract.AbstractGetTests, SSHFixtures):
    pass


class TestPut(abstract.AbstractPutTests, SSHFixtures):
    pass


class TestPipe(abstract.AbstractPipeTests, SSHFixtures):
    pass


class TestOpen(abstract.AbstractOpenTests, SSHFixtures):
    pass
