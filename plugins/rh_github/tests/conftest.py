"""Fixtures: a fake GitHub API server (a real HTTP server process on 127.0.0.1) for the
session, repositories published into it from real Runs, and each test isolated in its own
HOME and working directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rh_github.testing import FakeGitHub

from rhcore.testing.fixtures import isolated  # noqa: F401  (autouse)


@pytest.fixture(scope="session")
def github(tmp_path_factory) -> Iterator[FakeGitHub]:
    with FakeGitHub.start(tmp_path_factory.mktemp("github")) as server:
        yield server
