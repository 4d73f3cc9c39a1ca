"""The README's examples run as written: a Run published with git into a repository that
the fake GitHub server serves, then loaded from it (the server's URL is the one thing
added: for GitHub itself, none is needed); and the main README's GitHub example."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import rhcore as rh
from rhcore.testing.executor import summer
from rhcore.testing.readme import blocks_for

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
MAIN_README = HERE.parents[2] / "README.md"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture
def git_identity(monkeypatch):
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "rhcore tests")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "tests@example.com")


def on_the_server(github) -> dict[str, str]:
    return {'"sha": "main",': f'"sha": "main", "api_url": {github.api_url!r},'}


def test_publish_with_git_then_load(github, git_identity, isolated):
    publish, load = blocks_for(README, __file__)
    rh.function(summer)(2, 3, run_name="train")  # ~/.rh/logs/train
    served = github.root / "acme" / "models" / "main"  # the branch main, as the server serves it
    shutil.rmtree(served, ignore_errors=True)
    served.mkdir(parents=True)
    git(served, "init", "-q", "-b", "main")
    git(served, "config", "receive.denyCurrentBranch", "updateInstead")  # a push updates what is served
    git(served, "commit", "-q", "--allow-empty", "-m", "start")
    git(isolated, "clone", "-q", str(served), "models")

    publish.run_shell(cwd=isolated / "models")
    assert (served / "runs" / "train" / "config_for_run.json").exists()

    scope = load.run_python(replace=on_the_server(github))
    assert scope["r"].result() == 5
    assert scope["local"].path == str(isolated / "rh" / "train")
    loaded = rh.run("train")
    assert (loaded.folder.system, loaded.result()) == ("github", 5)


def test_the_main_readmes_github_example(github, isolated):
    rh.function(summer)(2, 3, run_name="train")
    github.publish(rh.cluster("local").get_run("train").path, org="acme", repo="models", ref="main",
                   at="runs/train")
    (block,) = blocks_for(MAIN_README, __file__)
    scope = block.run_python(replace=on_the_server(github))
    assert scope["published"].result() == 5
    assert rh.run(path=str(isolated / "rh" / "train")).result() == 5
