"""The README's example runs as written, against a repository on the fake GitHub server."""

from __future__ import annotations

import re
from pathlib import Path

import rhcore as rh
from rhcore.testing.executor import summer

README = Path(__file__).resolve().parents[1] / "README.md"


def test_use_example(github, isolated):
    rh.function(summer)(2, 3, run_name="train")
    github.publish(rh.cluster("local").get_run("train").path, org="acme", repo="models", ref="main",
                   at="runs/train")
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    code, replaced = re.subn(r'"sha": "main",', '"sha": "main", "api_url": API,', block)
    assert replaced == 1
    scope = {"API": github.api_url}
    exec(code, scope)
    assert scope["r"].result() == 5
    assert scope["local"].path == str(isolated / "rh" / "train")
    loaded = rh.run("train")
    assert (loaded.folder.system, loaded.result()) == ("github", 5)
