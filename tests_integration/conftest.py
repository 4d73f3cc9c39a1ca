"""Real servers of several plugins at once (sshd, S3, GCS, Azure), for what crosses them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rh_azure.testing import Azurite
from rh_gs.testing import GCSEmulator
from rh_s3.testing import MotoServer
from rh_ssh_cluster.testing import SSHServer

from rhcore.testing.fixtures import isolated  # noqa: F401  (autouse)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory) -> Iterator[SSHServer]:
    server = SSHServer.start(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    server = MotoServer.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def gcs() -> Iterator[GCSEmulator]:
    with GCSEmulator.start() as server:
        yield server


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    with Azurite.start() as server:
        yield server
