"""Fixtures: one real GCS server (fake-gcs-server, a subprocess on a free port) for the
session, a fresh bucket per test, and each test isolated in its own HOME and working
directory with no Google settings from the environment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from rh_gs.testing import GCSEmulator

from rhcore.testing.fixtures import isolated  # noqa: F401  (autouse)

_AMBIENT = ("STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT")


@pytest.fixture(scope="session")
def gcs() -> Iterator[GCSEmulator]:
    with GCSEmulator.start() as server:
        yield server


@pytest.fixture
def gs_config(gcs: GCSEmulator) -> dict[str, Any]:
    """A ``data_config`` for the ``gs`` system reaching the server."""
    return gcs.data_config()


@pytest.fixture
def gs_bucket(gcs: GCSEmulator) -> str:
    """A new, empty bucket for this test."""
    return gcs.create_bucket(f"rh-test-{uuid.uuid4().hex[:12]}")


@pytest.fixture(autouse=True)
def no_ambient_google(monkeypatch) -> None:
    for var in _AMBIENT:
        monkeypatch.delenv(var, raising=False)
