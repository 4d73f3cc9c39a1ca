"""The filesystem contract kit, run against the ``file`` system (the real local disk) and
against an in-memory system that exercises the core's paths for non-local storage."""

from __future__ import annotations

import uuid

import pytest

import rhcore
from rhcore import plugins
from rhcore.folder import Folder
from rhcore.plugins import Capabilities
from rhcore.testing import FilesystemContract, SystemPluginContract

from . import memory_plugin


class TestFileSystemContract(FilesystemContract):
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


class TestNonLocalSystemContract(FilesystemContract):
    shared_between_processes = False  # the memory system lives in this process

    @pytest.fixture
    def place(self):
        plugins.register(memory_plugin, name="memory")
        yield Folder(f"contract-{uuid.uuid4().hex[:8]}", "memory")
        plugins.unregister("memory")
