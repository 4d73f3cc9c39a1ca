"""The storage contract every rhcore system must pass, against a real GCS server."""

from __future__ import annotations

import pytest

from rhcore.folder import Folder
from rhcore.testing import FilesystemContract

SENTINELS = {"session_kwargs": {"headers": {"Authorization": "Bearer gs-sentinel-4e1a97"}}}
"""The emulator takes any request (the place's token is ``anon``): a bearer token rides
along on each, a secret to look for."""


class TestGSContract(FilesystemContract):
    secret_sentinels = SENTINELS

    @pytest.fixture
    def place(self, gs_bucket, gs_config):
        return Folder(f"{gs_bucket}/contract", "gs", gs_config)
