"""fsspec's own test suite for filesystems, run on the ``file`` system's filesystem (which
subclasses fsspec's local one): rhcore's changes must keep every fsspec behaviour."""

from __future__ import annotations

import pytest
from fsspec.tests import abstract

from rh_file.filesystem import RunFileSystem


class RunFileSystemFixtures(abstract.AbstractFixtures):
    @pytest.fixture
    def fs(self):
        return RunFileSystem(auto_mkdir=True)

    @pytest.fixture
    def fs_path(self, tmpdir):
        return str(tmpdir)


class TestCopy(abstract.AbstractCopyTests, RunFileSystemFixtures):
    pass


class TestGet(abstract.AbstractGetTests, RunFileSystemFixtures):
    pass


class TestPut(abstract.AbstractPutTests, RunFileSystemFixtures):
    pass


class TestPipe(abstract.AbstractPipeTests, RunFileSystemFixtures):
    pass


class TestOpen(abstract.AbstractOpenTests, RunFileSystemFixtures):
    pass
