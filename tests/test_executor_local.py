"""The executor contract, run against the local cluster."""

from __future__ import annotations

import pytest

import rhcore as rh
from rhcore.testing import ExecutorContract


class TestLocalCluster(ExecutorContract):
    @pytest.fixture
    def cluster(self):
        return rh.cluster(name="local")


def test_commands_by_keyword_under_either_name():
    cpu = rh.cluster(name="local")
    assert cpu.run(commands=["echo one"]) == [(0, "one\n", "")]
    assert cpu.run(cmds="echo two") == [(0, "two\n", "")]
    with pytest.raises(TypeError, match="once"):
        cpu.run(["echo"], cmds=["echo"])
