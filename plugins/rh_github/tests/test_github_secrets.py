"""A token given in ``data_config`` reaches no local file and no error message."""

from __future__ import annotations

import os
import traceback

import pytest

import rhcore as rh

TOKEN = "ghp_notARealToken0123456789abcdefABCDEF"


def test_the_token_is_written_nowhere(github, tmp_path, isolated):
    with rh.run(name="train", path=str(tmp_path / "made" / "train")) as made:
        print("published")
    github.publish(made.path, org="acme", repo="private", ref="main", at="runs/train")
    config = github.data_config("acme", "private", "main", username="ci", token=TOKEN)
    r = rh.run(path="runs/train", system="github", data_config=config)
    r.save()
    r.to("here")
    r.to("file", path=str(tmp_path / "copies" / "train"))
    messages = []
    for attempt in (
        lambda: rh.run(path="runs/absent-folder/x", system="github",
                       data_config={**config, "sha": "no-such-branch"}),
        lambda: made.to("github", path="runs/again", data_config=config),
    ):
        with pytest.raises(rh.RhcoreError) as excinfo:
            attempt()
        messages.append("".join(traceback.format_exception(excinfo.value)))

    written = []
    for root in (tmp_path, isolated):
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                with open(os.path.join(dirpath, name), "rb") as f:
                    written.append((os.path.join(dirpath, name), f.read()))
    assert any(path.endswith("registry/train.json") for path, _ in written)
    for path, content in written:
        assert TOKEN.encode() not in content, f"the token was written to {path}"
    for message in messages:
        assert TOKEN not in message


def test_a_token_alone_is_enough(github, tmp_path):
    with rh.run(name="solo", path=str(tmp_path / "solo")) as made:
        print("token only")
    github.publish(made.path, org="acme", repo="solo", ref="main", at="runs/solo")
    config = github.data_config("acme", "solo", "main", token=TOKEN)
    assert rh.run(path="runs/solo", system="github", data_config=config).stdout() == "token only"
