"""The storage contract every rhcore system must pass, against a real Azure Blob server."""

from __future__ import annotations

import pytest

from rhcore.folder import Folder
from rhcore.testing import FilesystemContract


class TestAzureContract(FilesystemContract):
    @pytest.fixture
    def place(self, az_container, az_config):
        return Folder(f"{az_container}/contract", "azure", az_config)
