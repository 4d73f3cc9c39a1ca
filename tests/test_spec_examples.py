"""The examples of spec/run-primitive-with-examples.rst that the core covers, as written
there (``import rhcore as rh`` standing for ``import runhouse as rh``)."""

from __future__ import annotations

import os

import rhcore as rh


def test_context_manager_example(capsys):
    # "Accessing and Using Runs": trace activity and capture logs within a block.
    with rh.run(name="ctx_run") as r:
        print("Run result: 3")

    r.save()

    print(f"Saved Run to path: {r.path}")

    assert r.path == os.path.join(os.getcwd(), "rh", "ctx_run")
    assert "Saved Run to path:" in capsys.readouterr().out
    assert r.stdout() == "Run result: 3"
    assert rh.exists("ctx_run", resource_type="run")


def test_load_a_context_manager_run_from_its_path():
    # "We can then re-load this Run from its system (in this case the local file system)"
    with rh.run(path="~/rh/runs/my_ctx_run") as r:
        print("inside")

    ctx_run = rh.run(path="~/rh/runs/my_ctx_run")

    assert ctx_run.name == r.name
    assert ctx_run.status == rh.RunStatus.COMPLETED
    assert ctx_run.stdout() == "inside"
    assert ctx_run.path == os.path.expanduser("~/rh/runs/my_ctx_run")


def test_save_and_load_by_name():
    # "From a system: Load a Run ... a name argument specifying the name of the Run to load."
    with rh.run(path=os.path.abspath("somewhere/else")) as r:
        print("named later")
    r.save(name="my_named_run")

    loaded = rh.run(name="my_named_run")

    assert loaded.name == "my_named_run"
    assert loaded.path == r.path
    assert loaded.stdout() == "named later"
    assert rh.load("my_named_run").status == rh.RunStatus.COMPLETED


def test_runhouse_style_ctx_run_file_listing():
    # Runhouse's own test: every file of a Run folder is a known kind of file.
    with rh.run(path=f"{rh.Run.LOCAL_RUN_PATH}/my_run_activity") as r:
        print("activity")
    run_files = (rh.Run.INPUTS_FILE, rh.Run.RESULT_FILE, rh.Run.RUN_CONFIG_FILE, ".out", ".err")
    for f in r.folder.ls():
        name = f.split("/")[-1]
        assert name in run_files or os.path.splitext(name)[1] in run_files
    assert rh.run(path=f"{rh.Run.LOCAL_RUN_PATH}/my_run_activity").folder.exists_in_system()
