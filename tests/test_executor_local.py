"""The executor contract, run against the local cluster."""

from __future__ import annotations

import pytest

import rhcore as rh
from rhcore.testing import ExecutorContract


class TestLocalCluster(ExecutorContract):
    @pytest.fixture
    def cluster(self):
        return rh.cluster(name="local")
