"""The S3 examples of this plugin's README and of the main README run as written against
the session's moto server: its endpoint and keys come from the standard AWS environment
variables, as a user's would, and the bucket is the examples' own ``my-bucket``."""

from __future__ import annotations

from pathlib import Path

import pytest

import rhcore as rh
from rhcore.testing.readme import blocks_for

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
MAIN_README = HERE.parent.parent / "README.md"


@pytest.fixture
def aws_environment(moto, monkeypatch):
    """The server's endpoint and keys in this process's environment; ``my-bucket`` there."""
    for name, value in moto.environment().items():
        monkeypatch.setenv(name, value)
    if "my-bucket" not in moto.buckets():
        moto.create_bucket("my-bucket")
    return moto.environment()


def test_the_plugin_is_listed():
    (console,) = [b for b in blocks_for(README, __file__) if b.lang == "console"]
    console.run_console()


def test_use_and_command_line(aws_environment, s3_config, isolated):
    use, cli = [b for b in blocks_for(README, __file__) if b.lang != "console"]
    scope = use.run_python()
    assert scope["local"].path == str(isolated / "rh" / "train")
    assert rh.run("train").stdout() == "epoch 1"
    archived = rh.run(path="my-bucket/archive/train", system="s3", data_config=s3_config)
    assert archived.stdout() == "epoch 1"

    keys = {"AWS_ACCESS_KEY_ID=...": f"AWS_ACCESS_KEY_ID={aws_environment['AWS_ACCESS_KEY_ID']}",
            "AWS_SECRET_ACCESS_KEY=...": f"AWS_SECRET_ACCESS_KEY={aws_environment['AWS_SECRET_ACCESS_KEY']}"}
    out = cli.run_shell(replace=keys, cwd=isolated)
    assert out.splitlines() == ["copied train to s3:my-bucket/archive/train",
                                f"copied train to file:{isolated}/rh/train"]
    assert rh.run(path=str(isolated / "rh" / "train")).stdout() == "epoch 1"


def test_the_main_readmes_s3_example(aws_environment, s3_config, isolated):
    (block,) = blocks_for(MAIN_README, __file__)
    scope = block.run_python()
    assert scope["s3"] == {"endpoint_url": aws_environment["AWS_ENDPOINT_URL"]}
    assert rh.run(path=str(isolated / "rh" / "train")).stdout() == "epoch 1"
    loaded = rh.run("train")  # a teammate's view, from the registry on S3
    assert (loaded.folder.system, loaded.path, loaded.stdout()) == ("s3", "my-bucket/team/train", "epoch 1")
