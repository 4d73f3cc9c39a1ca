"""The storage contract every rhcore system must pass, against a real GCS server."""

from __future__ import annotations

import pytest

from rhcore.folder import Folder
from rhcore.testing import FilesystemContract


class TestGSContract(FilesystemContract):
    @pytest.fixture
    def place(self, gs_bucket, gs_config):
        return Folder(f"{gs_bucket}/contract", "gs", gs_config)
