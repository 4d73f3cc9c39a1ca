"""The executor contract, run on a real local Ray cluster."""

from __future__ import annotations

import pytest

import rhcore as rh
from rhcore.testing import ExecutorContract


class TestRayCluster(ExecutorContract):
    @pytest.fixture
    def cluster(self, ray_head):
        return rh.cluster(name="grid", kind="ray", address=ray_head)
