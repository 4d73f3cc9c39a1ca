"""The README's example runs as written, against the session's server and bucket."""

from __future__ import annotations

import re
from pathlib import Path

import rhcore as rh

README = Path(__file__).resolve().parents[1] / "README.md"


def test_use_example(gs_bucket, gs_config, isolated):
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    code, replaced = re.subn(r"^gs = \{.*$", "", block, count=1, flags=re.M)
    assert replaced == 1
    scope = {"gs": gs_config}
    exec(code.replace("my-bucket", gs_bucket), scope)
    assert scope["local"].path == str(isolated / "rh" / "train")
    assert rh.run("train", data_config=gs_config).stdout() == "epoch 1"
    assert scope["total"] == 6
    run = scope["grid"].get_run("total")
    assert (run.folder.system, run.path) == ("gs", f"{gs_bucket}/runs/total")
    assert rh.run(path=f"{gs_bucket}/archive/train", system="gs", data_config=gs_config).stdout() == "epoch 1"
