"""The Ray examples of this plugin's README and of the main README run as written on the
session's Ray head (its address is the one thing replaced: a head started with
``ray start --head`` listens on 6379, the session's on a free port)."""

from __future__ import annotations

from pathlib import Path

import rhcore as rh
from rhcore.testing.readme import blocks_for

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
MAIN_README = HERE.parents[2] / "README.md"


def test_example(ray_head):
    (block,) = blocks_for(README, __file__)
    scope = block.run_python(replace={'"127.0.0.1:6379"': repr(ray_head)})
    grid = scope["grid"]
    assert scope["model"] == 6
    assert grid.get(scope["run"].name) == 12  # waits for it
    assert [grid.get(r.name) for r in scope["runs"]] == [4, 11]
    assert grid.get_run("train-v1").stdout() == "training on 3 rows for 1 epochs"
    assert grid.get_run("train-v2").status is rh.RunStatus.COMPLETED


def test_the_main_readmes_example(ray_head):
    (block,) = blocks_for(MAIN_README, __file__)
    scope = block.run_python(replace={'"127.0.0.1:6379"': repr(ray_head)})
    grid = scope["grid"]
    assert [grid.get(r.name) for r in scope["runs"]] == [1.5, 3.5, 5.5]  # each waited for
    assert grid.get(scope["big"].name) == 6
    assert grid.get_run("big").stdout() == "training on 2 rows"
