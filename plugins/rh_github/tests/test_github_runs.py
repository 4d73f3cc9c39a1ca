"""Runs published in a repository: loaded at a branch, read back, copied out; every
write refused before anything is written."""

from __future__ import annotations

import os
import sys
import uuid

import pytest
import rh_github
from rh_github.fake_github import INLINE_LIMIT

import rhcore as rh
from rhcore import layout
from rhcore.folder import Folder
from rhcore.plugins import Capabilities
from rhcore.testing import SystemPluginContract


@pytest.fixture
def repo() -> str:
    return f"models-{uuid.uuid4().hex[:8]}"


@pytest.fixture(autouse=True)
def trusting_github(isolated) -> None:
    """These tests read what they published themselves: the repositories are trusted
    (the contract kit checks that an untrusted one's pickles are refused)."""
    rh.configure(trusted=["github"])


def made_here(tmp_path, name: str, text: str, result: object) -> rh.Run:
    """A COMPLETED Run in a local folder, as a user would commit it."""
    with rh.run(name=name, path=str(tmp_path / name), fn_name=name,
                run_type=rh.RunType.FUNCTION_RUN) as r:
        print(text)
        print("a warning", file=sys.stderr)
        r.write(((1,), {"lr": 0.1}), layout.INPUTS_FILE)
        r.write(result, layout.RESULT_FILE)
    return r


class TestGithubPlugin(SystemPluginContract):
    system = "github"
    protocols = ("github",)
    distribution = "rh-github"
    version = rh_github.__version__
    lazy_modules = ("fsspec.implementations.github", "requests")
    capabilities = Capabilities(read_only=True, exclusive_create=False)

    @pytest.fixture
    def place(self, github, repo, tmp_path):
        made = made_here(tmp_path, "x", "x", 1)
        github.publish(made.path, org="acme", repo=repo, ref="main", at="runs/x")
        return Folder("runs/x", "github", github.data_config("acme", repo, "main"))


def test_a_published_run_reads_back_whole(github, repo, tmp_path):
    made = made_here(tmp_path, "train", "epoch 1 done", {"accuracy": 0.9})
    github.publish(made.path, org="acme", repo=repo, ref="main", at="runs/train")
    r = rh.run(path="runs/train", system="github", data_config=github.data_config("acme", repo, "main"))
    assert r.run_config == made.run_config
    assert (r.status, r.name, r.fn_name) == (rh.RunStatus.COMPLETED, "train", "train")
    assert r.result() == {"accuracy": 0.9}
    assert r.inputs() == {"args": [1], "kwargs": {"lr": 0.1}}
    assert (r.stdout(), r.stderr()) == ("epoch 1 done", "a warning")
    assert sorted(r.folder.files()) == sorted(made.folder.files())


def test_each_branch_is_its_own_version_and_the_default_branch_is_found(github, repo, tmp_path):
    for ref, accuracy in (("main", 0.9), ("experiment", 0.95)):
        made = made_here(tmp_path / ref, "train", f"on {ref}", {"accuracy": accuracy})
        github.publish(made.path, org="acme", repo=repo, ref=ref, at="runs/train")
    seen = {ref: rh.run(path="runs/train", system="github",
                        data_config=github.data_config("acme", repo, ref)).result()["accuracy"]
            for ref in ("main", "experiment")}
    assert seen == {"main": 0.9, "experiment": 0.95}
    default = rh.run(path="runs/train", system="github", data_config=github.data_config("acme", repo))
    assert default.stdout() == "on main"


def test_a_new_push_is_seen_by_a_long_lived_process(github, repo, tmp_path):
    config = github.data_config("acme", repo, "main")
    first = made_here(tmp_path / "1", "train", "first", 1)
    github.publish(first.path, org="acme", repo=repo, ref="main", at="runs/train")
    assert rh.run(path="runs/train", system="github", data_config=config).result() == 1
    second = made_here(tmp_path / "2", "evaluate", "second", 2)
    github.publish(second.path, org="acme", repo=repo, ref="main", at="runs/evaluate")
    assert rh.run(path="runs/evaluate", system="github", data_config=config).result() == 2


def test_a_result_over_a_megabyte_comes_through_its_download_url(github, repo, tmp_path):
    payload = {"weights": os.urandom(INLINE_LIMIT + 300_000)}  # pickled: not inlined by the API
    made = made_here(tmp_path, "big", "big one", payload)
    github.publish(made.path, org="acme", repo=repo, ref="main", at="runs/big")
    r = rh.run(path="runs/big", system="github", data_config=github.data_config("acme", repo, "main"))
    assert r.result() == payload
    copy = r.to("file", path=str(tmp_path / "copied"))
    assert copy.result() == payload


def test_copied_out_here_it_is_a_local_run_again(github, repo, tmp_path, isolated):
    made = made_here(tmp_path, "train", "epoch 1 done", 7)
    github.publish(made.path, org="acme", repo=repo, ref="main", at="runs/train")
    r = rh.run(path="runs/train", system="github", data_config=github.data_config("acme", repo, "main"))
    here = r.to("here")
    assert here.path == str(isolated / "rh" / "train") and here.folder.system == "file"
    assert here.run_config == made.run_config and here.result() == 7
    here.write(b"notes", "notes.txt")  # writable again
    assert rh.run(name="train").stdout() == "epoch 1 done"


def test_a_published_run_can_be_named_in_the_local_registry(github, repo, tmp_path):
    """Saved under its own name; renaming it would rewrite its config, which is refused."""
    made = made_here(tmp_path, "train", "epoch 1 done", 7)
    github.publish(made.path, org="acme", repo=repo, ref="main", at="runs/train")
    config = github.data_config("acme", repo, "main")
    published = rh.run(path="runs/train", system="github", data_config=config)
    published.save()
    loaded = rh.run("train")
    assert (loaded.folder.system, loaded.path, loaded.result()) == ("github", "runs/train", 7)
    with pytest.raises(rh.ReadOnlySystemError, match="cannot write to github:runs/train"):
        published.save("renamed")
    assert not rh.exists("renamed") and published.name == "train"


def test_a_run_named_with_its_whole_data_config_loads_back_by_name(github, repo, tmp_path):
    """The registry keeps ``timeout`` as a JSON list and ``username`` without its token."""
    made = made_here(tmp_path, "tuned", "tuned", 3)
    github.publish(made.path, org="acme", repo=repo, ref="main", at="runs/tuned")
    config = {**github.data_config("acme", repo, "main"), "timeout": (3, 30), "username": "ci",
              "token": "ghp_notARealToken0123456789"}
    rh.run(path="runs/tuned", system="github", data_config=config).save()
    loaded = rh.run("tuned")
    assert (loaded.result(), loaded.stdout()) == (3, "tuned")


def test_writes_are_refused_before_anything_is_written(github, repo, tmp_path, isolated):
    made = made_here(tmp_path, "train", "epoch 1 done", 7)
    github.publish(made.path, org="acme", repo=repo, ref="main", at="runs/train")
    config = github.data_config("acme", repo, "main")
    published = rh.run(path="runs/train", system="github", data_config=config)
    tree_before = sorted(p.relative_to(github.root) for p in github.root.rglob("*"))
    ran = []
    refused = "'github' is read-only: cannot write to github:runs/new"
    with pytest.raises(rh.ReadOnlySystemError, match=refused):
        with rh.run(name="new", path="runs/new", system="github", data_config=config, load=False):
            ran.append(True)
    assert ran == []
    with pytest.raises(rh.ReadOnlySystemError, match="github:runs/copy"):
        made.to("github", path="runs/copy", data_config=config)
    with pytest.raises(rh.ReadOnlySystemError, match="read-only"):
        published.write(b"x", "notes.txt")
    with pytest.raises(rh.ReadOnlySystemError, match="read-only"):
        published.folder.rm()
    assert sorted(p.relative_to(github.root) for p in github.root.rglob("*")) == tree_before
    assert not (isolated / "rh").exists()
