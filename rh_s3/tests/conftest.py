"""Fixtures: one real S3 server (moto, as a subprocess on a free port) for the session,
with signature and IAM checks on, a fresh bucket per test, and each test isolated in its
own HOME and working directory.

The server itself is :class:`rh_s3.testing.MotoServer`, which other suites (a cluster's
``run_store`` on S3) and ``bench/bench_s3.py`` use too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from rh_s3.testing import MotoServer

from rhcore.testing.fixtures import isolated  # noqa: F401  (autouse)

_AMBIENT = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    """The session's S3 server, checking signatures and IAM policies like AWS."""
    with MotoServer.start(auth=True) as server:
        yield server


@pytest.fixture
def s3_config(moto: MotoServer) -> dict[str, Any]:
    """A ``data_config`` for the ``s3`` system with the server's administrator keys."""
    return moto.data_config()


@pytest.fixture
def s3_bucket(moto: MotoServer) -> str:
    """A new, empty bucket for this test."""
    return moto.create_bucket(f"rh-test-{uuid.uuid4().hex[:12]}")


@pytest.fixture(autouse=True)
def no_ambient_aws(monkeypatch) -> None:
    """Besides rhcore's isolation (own HOME and working directory): no AWS settings from
    the environment, so each test says exactly which credentials it uses."""
    for var in _AMBIENT:
        monkeypatch.delenv(var, raising=False)
