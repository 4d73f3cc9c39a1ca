"""Fixtures: one real Azure Blob server (Azurite, a subprocess on a free port, with its
own account key) for the session, a fresh container per test, and each test isolated in
its own HOME and working directory with no Azure settings from the environment."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from rh_azure.testing import Azurite

from rhcore.testing.fixtures import isolated  # noqa: F401  (autouse)


@pytest.fixture(scope="session")
def azurite() -> Iterator[Azurite]:
    with Azurite.start() as server:
        yield server


@pytest.fixture
def az_config(azurite: Azurite) -> dict[str, Any]:
    """A ``data_config`` for the ``azure`` system with the account's key."""
    return azurite.data_config()


@pytest.fixture
def az_container(azurite: Azurite) -> str:
    """A new, empty container for this test."""
    return azurite.create_container(f"rh-test-{uuid.uuid4().hex[:12]}")


@pytest.fixture(autouse=True)
def no_ambient_azure(monkeypatch) -> None:
    for var in [v for v in os.environ if v.startswith("AZURE_")]:
        monkeypatch.delenv(var)
