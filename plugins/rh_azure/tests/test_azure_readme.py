"""The README's example runs as written, against the session's server and bucket."""

from __future__ import annotations

import re
from pathlib import Path

import rhcore as rh

README = Path(__file__).resolve().parents[1] / "README.md"


def test_use_example(az_container, az_config, isolated):
    (block,) = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    code, replaced = re.subn(r"^az = \{.*$", "", block, count=1, flags=re.M)
    assert replaced == 1
    scope = {"az": az_config}
    exec(code.replace("my-container", az_container), scope)
    assert scope["local"].path == str(isolated / "rh" / "train")
    assert rh.run("train", data_config=az_config).stdout() == "epoch 1"
    assert scope["total"] == 6
    run = scope["grid"].get_run("total")
    assert (run.folder.system, run.path) == ("azure", f"{az_container}/runs/total")
    archived = rh.run(path=f"{az_container}/archive/train", system="azure", data_config=az_config)
    assert archived.stdout() == "epoch 1"
