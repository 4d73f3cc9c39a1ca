"""Fixtures: one real S3 server (moto, as a subprocess on a free port) for the session,
with signature and IAM checks on, a fresh bucket per test, and each test isolated in its
own HOME and working directory.

The server itself is :class:`rh_s3.testing.MotoServer`, which other suites (a cluster's
``run_store`` on S3) and ``bench/bench_s3.py`` use too.
"""

from __future__ import annotations

import pytest
from rh_s3.fixtures import moto, s3_bucket, s3_config  # noqa: F401

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


@pytest.fixture(autouse=True)
def no_ambient_aws(monkeypatch) -> None:
    """Besides rhcore's isolation (own HOME and working directory): no AWS settings from
    the environment, so each test says exactly which credentials it uses."""
    for var in _AMBIENT:
        monkeypatch.delenv(var, raising=False)
