"""fsspec's own test suite for filesystems, as one class: a plugin whose filesystem
subclasses an fsspec one runs it against its real backend, so what rhcore adds keeps every
fsspec behaviour. Provide the ``fs`` and ``fs_path`` fixtures (and, for an object store,
``supports_empty_directories`` answering False)::

    class TestFsspec(FsspecSuite):
        @pytest.fixture
        def fs(self, s3_config):
            return MyFileSystem(**s3_config)

        @pytest.fixture
        def fs_path(self, s3_bucket):
            return f"{s3_bucket}/fsspec"


Tests that the upstream filesystem (the one subclassed) fails as well, run against it on
the same server, are listed by name in ``upstream_failures``: they are expected to fail
(in some or all of their cases), so the suite checks that rhcore's filesystem keeps every
behaviour its upstream has.
"""

from __future__ import annotations

import pytest
from fsspec.tests import abstract


class FsspecSuite(
    abstract.AbstractCopyTests,
    abstract.AbstractGetTests,
    abstract.AbstractPutTests,
    abstract.AbstractPipeTests,
    abstract.AbstractOpenTests,
    abstract.AbstractFixtures,
):
    """fsspec's copy, get, put, pipe and open tests (``fsspec.tests.abstract``)."""

    upstream: str = ""
    """The filesystem subclassed (``"sshfs.SSHFileSystem"``), for the reason of an expected failure."""
    upstream_failures: frozenset[str] = frozenset()
    """Tests (by name, without their parameters) the upstream filesystem fails too."""

    @pytest.fixture(autouse=True)
    def _upstream_failures(self, request: pytest.FixtureRequest) -> None:
        if request.node.originalname in self.upstream_failures:
            request.node.add_marker(pytest.mark.xfail(
                reason=f"{self.upstream or 'the upstream filesystem'} fails it too", strict=False))
