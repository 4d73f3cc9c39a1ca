"""fsspec's own test suite, run on the ``file`` system's filesystem (which subclasses
fsspec's local one): rhcore's fast paths must keep every fsspec behaviour."""

from __future__ import annotations

import pytest

from rh_file.filesystem import RunFileSystem
from rhcore.testing import FsspecSuite


class TestFsspec(FsspecSuite):
    @pytest.fixture
    def fs(self):
        return RunFileSystem(auto_mkdir=True)

    @pytest.fixture
    def fs_path(self, tmpdir):
        return str(tmpdir)
