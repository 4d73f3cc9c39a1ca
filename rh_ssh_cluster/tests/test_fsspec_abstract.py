"""fsspec's own test suite, run against the real sshd on both of this plugin's
filesystems, which subclass fsspec's SFTPFileSystem (paramiko) and sshfs's SSHFileSystem:
rhcore's filesystems must keep every fsspec behaviour their upstream has. The tests each
upstream fails as well (run against it on this sshd) are expected failures: copies, gets
and puts into folders they do not make first, glob edge cases, exclusive open."""

from __future__ import annotations

import pytest
from rh_ssh_cluster.sftp import RunSFTPFileSystem
from rh_ssh_cluster.ssh import RunSSHFileSystem

from rhcore.testing import FsspecSuite


class OnTheServer(FsspecSuite):
    """The suite in a folder of its own on the test server."""

    @pytest.fixture
    def fs_path(self, remote_dir, fs):
        fs.makedirs(remote_dir, exist_ok=True)
        return remote_dir


class TestSSHFileSystem(OnTheServer):
    upstream = "sshfs's SSHFileSystem"
    upstream_failures = frozenset([
    "test_copy_directory_to_existing_directory",
    "test_copy_directory_to_new_directory",
    "test_copy_directory_without_files_with_same_name_prefix",
    "test_copy_file_to_file_in_new_directory",
    "test_copy_file_to_new_directory",
    "test_copy_glob_edge_cases",
    "test_copy_glob_to_existing_directory",
    "test_copy_glob_to_new_directory",
    "test_copy_list_of_files_to_new_directory",
    "test_copy_two_files_new_directory",
    "test_copy_with_source_and_destination_as_list",
    "test_get_directory_recursive",
    "test_get_directory_to_existing_directory",
    "test_get_directory_to_new_directory",
    "test_get_directory_without_files_with_same_name_prefix",
    "test_get_glob_edge_cases",
    "test_get_glob_to_existing_directory",
    "test_get_glob_to_new_directory",
    "test_get_list_of_files_to_existing_directory",
    "test_get_list_of_files_to_new_directory",
    "test_open_exclusive",
    "test_pipe_exclusive",
    ])

    @pytest.fixture
    def fs(self, sshd):
        return RunSSHFileSystem(**sshd.data_config)


class TestSFTPFileSystem(OnTheServer):
    upstream = "fsspec's SFTPFileSystem"
    upstream_failures = frozenset([
    "test_copy_directory_to_existing_directory",
    "test_copy_directory_to_new_directory",
    "test_copy_directory_without_files_with_same_name_prefix",
    "test_copy_file_to_existing_directory",
    "test_copy_file_to_file_in_existing_directory",
    "test_copy_file_to_file_in_new_directory",
    "test_copy_file_to_new_directory",
    "test_copy_glob_edge_cases",
    "test_copy_glob_to_existing_directory",
    "test_copy_glob_to_new_directory",
    "test_copy_list_of_files_to_existing_directory",
    "test_copy_list_of_files_to_new_directory",
    "test_copy_two_files_new_directory",
    "test_copy_with_source_and_destination_as_list",
    "test_get_directory_to_existing_directory",
    "test_get_directory_to_new_directory",
    "test_get_file_to_file_in_new_directory",
    "test_get_file_to_new_directory",
    "test_get_glob_edge_cases",
    "test_get_glob_to_existing_directory",
    "test_get_glob_to_new_directory",
    "test_get_list_of_files_to_new_directory",
    "test_get_with_source_and_destination_as_list",
    "test_open_exclusive",
    "test_put_directory_recursive",
    "test_put_directory_to_existing_directory",
    "test_put_directory_to_new_directory",
    "test_put_directory_without_files_with_same_name_prefix",
    "test_put_glob_edge_cases",
    "test_put_glob_to_existing_directory",
    "test_put_glob_to_new_directory",
    ])

    @pytest.fixture
    def fs(self, sshd):
        return RunSFTPFileSystem(**sshd.data_config)
