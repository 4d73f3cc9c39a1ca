"""A real OpenSSH server on 127.0.0.1 for the whole test session, set up as
``shared/SERVICES.md`` §1 describes: fresh host and client keys, authorized_keys,
known_hosts and sshd_config in a temporary folder, ``sshd -D -e`` on a free port."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from rh_ssh_cluster.testing import SSHServer

from rhcore.testing.fixtures import isolated  # noqa: F401  (autouse)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory) -> Iterator[SSHServer]:
    """The session's sshd; stopped when the session ends."""
    server = SSHServer.start(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def remote_dir(sshd: SSHServer, request) -> str:
    """An absolute folder path on the server that no other test uses."""
    path = (
        sshd.dir
        / "data"
        / f"{request.node.name[:40].replace('[', '-').replace(']', '')}-{time.monotonic_ns()}"
    )
    return str(path)
