"""Missing repositories, refs and paths, an unreachable API and an incomplete
``data_config`` each give a clear error naming what is wrong, within seconds."""

from __future__ import annotations

import time

import pytest

import rhcore as rh
from rhcore.errors import StorageNotFoundError
from rhcore.testing.servers import free_port


def test_a_missing_repository_or_ref(github):
    for repo, ref in (("no-such-repo", "main"), ("models", "no-such-branch")):
        with pytest.raises(rh.StorageError, match=(
            rf"^Cannot reach github:runs/train: No branch, tag or commit '{ref}' "
            rf"in the repository acme/{repo}"
        )):
            rh.run(path="runs/train", system="github", data_config=github.data_config("acme", repo, ref))


def test_a_repository_without_a_default_branch_to_find(github):
    with pytest.raises(StorageNotFoundError, match=r"No repository at .*/repos/acme/no-such-repo"):
        rh.run(path="runs/train", system="github", data_config=github.data_config("acme", "no-such-repo"))


def test_a_path_that_holds_no_run(github, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.md").write_text("not a run")
    github.publish(tmp_path / "docs", org="acme", repo="site", ref="main", at="docs")
    config = github.data_config("acme", "site", "main")
    with pytest.raises(rh.RunNotFoundError, match=r"^github:docs holds no Run"):
        rh.run(path="docs", system="github", data_config=config)


def test_a_missing_run_is_an_error_not_a_new_run(github, tmp_path):
    """A new Run could never be written there: loading a path without one says so."""
    with rh.run(name="train", path=str(tmp_path / "train")) as made:
        print("published")
    github.publish(made.path, org="acme", repo="missing", ref="main", at="runs/train")
    config = github.data_config("acme", "missing", "main")
    with pytest.raises(rh.RunNotFoundError, match=r"No Run at github:runs/absent.*read-only"):
        rh.run(path="runs/absent", system="github", data_config=config)


def test_an_unreachable_api_fails_within_seconds():
    config = {"org": "acme", "repo": "models", "sha": "main", "api_url": f"http://127.0.0.1:{free_port()}"}
    start = time.monotonic()
    with pytest.raises(rh.StorageError, match=r"^Cannot reach github:runs/train: .*Connection refused"):
        rh.run(path="runs/train", system="github", data_config=config)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("missing", ["org", "repo"])
def test_an_incomplete_data_config_says_what_is_missing(github, missing):
    config = github.data_config("acme", "models", "main")
    del config[missing]
    with pytest.raises(ValueError, match=f"The github system needs {missing} in data_config"):
        rh.run(path="runs/train", system="github", data_config=config)
