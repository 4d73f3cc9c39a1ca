"""The storage contract every rhcore system must pass, against a real S3 server."""

from __future__ import annotations

import pytest

from rhcore.folder import Folder
from rhcore.testing import FilesystemContract


class TestS3Contract(FilesystemContract):
    @pytest.fixture
    def place(self, s3_bucket, s3_config):
        return Folder(f"{s3_bucket}/contract", "s3", s3_config)
