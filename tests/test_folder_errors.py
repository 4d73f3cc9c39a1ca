"""How Folder reports a failing backend: never as an empty folder, always with the place."""

from __future__ import annotations

import sys

import pytest
from fsspec.implementations.memory import MemoryFileSystem

from rhcore import errors as rh_errors
from rhcore import hookimpl, plugins
from rhcore.errors import StorageError
from rhcore.folder import Folder
from rhcore.plugins import SystemSpec


class OfflineError(StorageError):
    """A plugin's own error type."""


class UnreachableFileSystem(MemoryFileSystem):
    """A backend whose server cannot be reached."""

    protocol = "unreachable"

    def info(self, path, **kwargs):
        raise ConnectionRefusedError("connection refused by 127.0.0.1:1")

    def cat_file(self, path, start=None, end=None, **kwargs):
        raise OfflineError("the storage service is offline")


@hookimpl
def rhcore_register_systems(register):
    register(SystemSpec("unreachable", protocols=("unreachable",),
                        factory=lambda cfg: UnreachableFileSystem(**cfg)))


@pytest.fixture
def unreachable():
    plugins.register(sys.modules[__name__], "unreachable")
    yield Folder("bucket/runs/x", "unreachable")
    plugins.unregister("unreachable")


def test_an_unreachable_system_raises_instead_of_looking_empty(unreachable):
    with pytest.raises(StorageError, match=r"unreachable:/bucket/runs/x.*connection refused"):
        unreachable.exists()
    with pytest.raises(StorageError, match="connection refused"):
        unreachable.has("config_for_run.json")


def test_a_plugins_storage_error_keeps_its_type_and_gains_the_place(unreachable):
    with pytest.raises(OfflineError, match=r"Cannot read unreachable:/bucket/runs/x/a.txt: .*offline"):
        unreachable.read_bytes("a.txt")


class NoExclusiveCreate(MemoryFileSystem):
    protocol = "racy"


def test_a_system_without_exclusive_create_refuses_to_pretend():
    import types

    from rhcore.plugins import Capabilities

    racy = types.ModuleType("racy_plugin")

    def register_systems(register):
        register(SystemSpec("racy", protocols=("racy",), capabilities=Capabilities(exclusive_create=False),
                            factory=lambda cfg: NoExclusiveCreate(**cfg)))

    racy.rhcore_register_systems = hookimpl(register_systems)
    plugins.register(racy, "racy")
    try:
        with pytest.raises(rh_errors.RhcoreError, match="cannot create files exclusively"):
            Folder("bucket/runs/x", "racy").create(".lease-1", b"me")
    finally:
        plugins.unregister("racy")


def test_a_worker_of_another_rhcore_version_is_refused():
    import io

    from rhcore.protocol import WorkerConnection, WorkerGoneError, encode

    hello = io.BytesIO(encode({"op": "hello", "version": 999, "identity": {}, "home": "/"}))
    with pytest.raises(WorkerGoneError, match=r"speaks protocol 999.*install the same rhcore version"):
        WorkerConnection(hello, io.BytesIO(), describe="the worker server of cluster 'old'")
