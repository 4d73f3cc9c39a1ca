"""The read-only storage contract, against Runs published in a repository served over
the GitHub API."""

from __future__ import annotations

import uuid

import pytest

import rhcore as rh
from rhcore.folder import Folder
from rhcore.testing import ReadOnlyFilesystemContract
from rhcore.testing.executor import summer

SENTINELS = {"token": "ghp_sentinel0123456789abcdefABCDEF"}
"""The test server serves anyone: a token rides along, a secret to look for."""


class TestGithubContract(ReadOnlyFilesystemContract):
    expected_result = 5
    expected_stdout = "adding 2 and 3"
    secret_sentinels = SENTINELS

    @pytest.fixture
    def published(self, github):
        rh.function(summer)(2, 3, run_name="added")
        made = rh.cluster("local").get_run("added")
        repo = f"repo-{uuid.uuid4().hex[:8]}"
        github.publish(made.folder.path, org="acme", repo=repo, ref="main", at="runs/added")
        return Folder("runs/added", "github", github.data_config("acme", repo, "main"))
