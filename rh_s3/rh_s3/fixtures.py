"""pytest fixtures for suites that test against a real S3 server (moto): rh-s3's own, and
any that needs S3 beside other systems (the fault suite). Import them into a
``conftest.py``::

    from rh_s3.fixtures import moto, s3_bucket, s3_config  # noqa: F401
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from rh_s3.testing import MotoServer


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
