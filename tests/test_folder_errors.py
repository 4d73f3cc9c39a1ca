"""Folder's guards that no real backend can trigger: a system declaring no exclusive create,
and a worker of another rhcore version. (How a failing backend is reported — never as an
empty folder, always with the place, a plugin's own error type kept — is tested against
real servers: a closed SSH port in rh_ssh_cluster, unreachable S3, GCS and Azure endpoints.)"""

from __future__ import annotations

import pytest
from fsspec import AbstractFileSystem

from rhcore import errors as rh_errors
from rhcore import hookimpl, plugins
from rhcore.folder import Folder
from rhcore.plugins import SystemSpec


def test_a_system_without_exclusive_create_refuses_to_pretend():
    import types

    from rhcore.plugins import Capabilities

    racy = types.ModuleType("racy_plugin")

    def register_systems(register):
        register(SystemSpec("racy", protocols=("racy",), capabilities=Capabilities(exclusive_create=False),
                            factory=lambda cfg: AbstractFileSystem()))  # no storage: refused before any I/O

    racy.rhcore_register_systems = hookimpl(register_systems)
    plugins.register(racy, "racy")
    try:
        with pytest.raises(rh_errors.RhcoreError, match="cannot create files exclusively"):
            Folder("bucket/runs/x", "racy").create(".lease-1", b"me")
    finally:
        plugins.unregister("racy")


def test_a_worker_of_another_rhcore_version_is_refused():
    import io

    from rhcore.execution.protocol import WorkerConnection, WorkerGoneError, encode

    hello = io.BytesIO(encode({"op": "hello", "version": 999, "identity": {}, "home": "/"}))
    with pytest.raises(WorkerGoneError, match=r"speaks protocol 999.*install the same rhcore version"):
        WorkerConnection(hello, io.BytesIO(), describe="the worker server of cluster 'old'")
