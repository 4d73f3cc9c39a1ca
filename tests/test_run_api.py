"""The Run object's API: creating, loading, reading, writing, saving and moving Runs."""

from __future__ import annotations

import json
import os
import pickle
import time

import pytest

import rhcore as rh
from rhcore import layout


def make_run(name: str = "sample", **kwargs) -> rh.Run:
    with rh.run(name=name, **kwargs) as r:
        print(f"output of {name}")
    return r


# -- creating and loading --------------------------------------------------------------


def test_unnamed_runs_get_unique_sortable_names():
    names = []
    for _ in range(50):
        with rh.run() as r:
            pass
        names.append(r.name)
    assert len(set(names)) == 50
    assert names == sorted(names)
    assert all(os.path.isdir(os.path.join("rh", n)) for n in names)


def test_load_by_path():
    r = make_run("by_path")
    loaded = rh.run(path=r.path)
    assert loaded.name == "by_path"
    assert loaded.status is rh.RunStatus.COMPLETED
    assert loaded.stdout() == "output of by_path"
    assert loaded.folder.exists()


def test_load_by_relative_path_like_runhouse():
    make_run("relative")
    loaded = rh.run(path=f"{rh.Run.LOCAL_RUN_PATH}/relative")
    assert loaded.status is rh.RunStatus.COMPLETED


def test_new_run_at_a_path_that_does_not_exist_yet(tmp_path):
    target = tmp_path / "elsewhere" / "my_ctx_run"
    with rh.run(path=str(target)) as r:
        print("placed")
    assert r.path == str(target)
    assert rh.run(path=str(target)).stdout() == "placed"


def test_path_holding_no_run_says_so(tmp_path):
    (tmp_path / "not_a_run").mkdir()
    (tmp_path / "not_a_run" / "data.csv").write_text("a,b")
    with pytest.raises(rh.RunNotFoundError, match="holds no Run"):
        rh.run(path=str(tmp_path / "not_a_run"))
    with pytest.raises(rh.RunNotFoundError, match="holds no Run"):
        rh.run(path=str(tmp_path))
    with pytest.raises(rh.RunNotFoundError, match="does not exist"):
        rh.Run.from_path(str(tmp_path / "missing"))


def test_corrupt_config_names_the_path():
    r = make_run("corrupt")
    config_path = os.path.join(r.path, layout.CONFIG_FILE)
    with open(config_path, "w") as f:
        f.write('{"name": "corrupt", "status": ')
    with pytest.raises(rh.CorruptConfigError, match=config_path):
        rh.run(path=r.path)
    with pytest.raises(rh.CorruptConfigError, match=config_path):
        r.refresh()
    with open(config_path, "w") as f:
        f.write("[1, 2]")
    with pytest.raises(rh.CorruptConfigError, match="not a JSON object"):
        rh.run(path=r.path)


def test_load_by_name_from_the_registry():
    r = make_run("saved_one", path=os.path.abspath("custom/place"))
    r.save()
    loaded = rh.run("saved_one")
    assert loaded.path == r.path
    assert loaded.status is rh.RunStatus.COMPLETED
    assert loaded.stdout() == "output of saved_one"


def test_load_by_name_finds_the_run_at_its_default_place():
    make_run("unsaved")
    loaded = rh.run("unsaved")
    assert loaded.status is rh.RunStatus.COMPLETED
    assert loaded.stdout() == "output of unsaved"


def test_load_false_makes_a_new_run():
    make_run("fresh")
    new = rh.run(name="fresh", load=False)
    assert new.status is rh.RunStatus.NOT_STARTED


def test_unknown_name_gives_a_new_run():
    r = rh.run("never_seen")
    assert r.status is rh.RunStatus.NOT_STARTED
    assert not os.path.exists(r.path)


def test_dryrun_touches_no_storage():
    r = rh.run(name="dry", dryrun=True)
    assert r.status is rh.RunStatus.NOT_STARTED
    assert r.refresh() is r
    assert not os.path.exists("rh")
    r2 = rh.Run(name="dry2", overwrite=True, dryrun=True)
    assert not os.path.exists(r2.path)


def test_overwrite_deletes_an_existing_run_folder():
    r = make_run("replaced")
    assert os.path.isdir(r.path)
    fresh = rh.Run(name="replaced", overwrite=True)
    assert not os.path.exists(fresh.path)


def test_run_constructor_takes_every_spec_parameter():
    r = rh.Run(
        name="full", fn_name=None, cmds=["echo hi"], log_dest="file", path=None, system="file",
        data_config={}, status=rh.RunStatus.NOT_STARTED, start_time=None, end_time=None,
        creator="someone", creation_stacktrace="stack", upstream_artifacts=["a"],
        downstream_artifacts=["b"], run_type=rh.RunType.CMD_RUN, error=None, error_traceback=None,
        overwrite=False, dryrun=True, team="ml",
    )
    assert r.run_type is rh.RunType.CMD_RUN
    assert r.cmds == ["echo hi"]
    assert r.creator == "someone"
    assert r.upstream_artifacts == ["a"] and r.downstream_artifacts == ["b"]
    assert r.metadata == {"team": "ml"}
    assert rh.Run.from_config(r.config_for_rns, dryrun=True).run_config == r.run_config


def test_run_type_is_detected():
    assert rh.Run(name="f", fn_name="summer", dryrun=True).run_type is rh.RunType.FUNCTION_RUN
    assert rh.Run(name="c", cmds=["ls"], dryrun=True).run_type is rh.RunType.CMD_RUN
    assert rh.Run(name="x", dryrun=True).run_type is rh.RunType.CTX_MANAGER


# -- reading ---------------------------------------------------------------------------


def test_refresh_follows_the_folder():
    r = make_run("followed")
    other = rh.run(path=r.path)
    config_path = os.path.join(r.path, layout.CONFIG_FILE)
    config = json.load(open(config_path))
    config["downstream_artifacts"] = ["model"]
    with open(config_path, "w") as f:
        json.dump(config, f)
    assert other.downstream_artifacts == []
    assert other.refresh() is other
    assert other.downstream_artifacts == ["model"]


def test_refresh_of_a_deleted_run_says_so():
    r = make_run("deleted")
    r.folder.rm()
    assert not r.folder.exists()
    with pytest.raises(rh.RunNotFoundError, match="deleted"):
        r.refresh()


def test_result_inputs_and_logs_of_a_function_like_run():
    with rh.run(name="fnlike") as r:
        print("working")
    r.write(pickle.dumps({"answer": 42}), rh.Run.RESULT_FILE)
    r.write(pickle.dumps(((1, 2), {"c": 3})), rh.Run.INPUTS_FILE)
    assert r.result() == {"answer": 42}
    assert r.inputs() == {"args": [1, 2], "kwargs": {"c": 3}}
    assert r.stdout() == "working"
    assert r.stderr() == ""


def test_result_of_a_block_run_is_its_stdout():
    r = make_run("block")
    assert r.result() == "output of block"


def test_result_of_an_unfinished_run_is_its_stdout():
    with rh.run(name="unfinished") as r:
        print("so far")
        assert r.result() == "so far"


def test_completed_function_run_without_result_says_so():
    r = rh.Run(name="fn_no_result", fn_name="f")
    with r:
        pass
    with pytest.raises(FileNotFoundError, match="no result"):
        r.result()


def test_inputs_of_a_block_run_say_none_were_recorded():
    r = make_run("no_inputs")
    with pytest.raises(FileNotFoundError, match="recorded no inputs"):
        r.inputs()


# -- writing ---------------------------------------------------------------------------


def test_write_bytes_text_and_objects():
    r = make_run("writer")
    r.write(b"raw", "raw.bin")
    r.write("text", "notes/text.txt")
    r.write({"a": 1}, "obj.pkl")
    r.write(b"full", os.path.join(r.path, "full.bin"))
    assert open(os.path.join(r.path, "raw.bin"), "rb").read() == b"raw"
    assert open(os.path.join(r.path, "notes", "text.txt")).read() == "text"
    assert pickle.load(open(os.path.join(r.path, "obj.pkl"), "rb")) == {"a": 1}
    assert open(os.path.join(r.path, "full.bin"), "rb").read() == b"full"


@pytest.mark.parametrize("bad", ["../escape.txt", "/etc/passwd", "a/../../b", ""])
def test_write_stays_inside_the_folder(bad):
    r = make_run("contained")
    with pytest.raises(ValueError, match="inside the Run's folder"):
        r.write(b"x", bad)


def test_save_under_a_new_name_renames_the_run():
    r = make_run()
    original_path = r.path
    r.save("renamed")
    assert r.name == "renamed"
    assert json.load(open(os.path.join(original_path, layout.CONFIG_FILE)))["name"] == "renamed"
    loaded = rh.run("renamed")
    assert loaded.path == original_path
    assert loaded.stdout() == "output of sample"
    assert rh.exists("renamed", resource_type="run")


def test_save_without_overwrite_refuses_an_existing_name():
    make_run("taken").save()
    with pytest.raises(FileExistsError):
        make_run("other").save("taken", overwrite=False)


# -- configs ---------------------------------------------------------------------------


def test_run_config_and_config_for_rns():
    r = make_run("configs")
    assert r.run_config == json.load(open(os.path.join(r.path, layout.CONFIG_FILE)))
    rns = r.config_for_rns
    assert rns["path"] == r.path and rns["system"] == "file"
    assert {k: v for k, v in rns.items() if k not in ("path", "system", "data_config")} == r.run_config
    for key in ("name", "status", "start_time", "end_time", "run_type", "fn_name", "cmds",
                "upstream_artifacts", "downstream_artifacts"):
        assert key in r.run_config


# -- folder ----------------------------------------------------------------------------


def test_folder_ls_exists_rm():
    r = make_run("foldered")
    names = [os.path.basename(p) for p in r.folder.ls()]
    assert names == ["config_for_run.json", "foldered.err", "foldered.out"]
    assert r.folder.exists() and r.folder.exists_in_system()
    r.folder.rm()
    assert not r.folder.exists()
    assert r.folder.ls() == []


# -- moving ----------------------------------------------------------------------------


def test_to_here_copies_into_the_working_directory(tmp_path):
    with rh.run(path=str(tmp_path / "far" / "away")) as r:
        print("travelling")
    local = r.to("here")
    assert local.path == os.path.join(os.getcwd(), "rh", r.name)
    assert local.stdout() == "travelling"
    assert local.run_config == r.run_config
    assert r.folder.exists()


def test_to_another_local_path_and_back(tmp_path):
    r = make_run("mover")
    copy = r.to("file", path=str(tmp_path / "copies" / "mover"))
    assert sorted(os.listdir(copy.path)) == sorted(os.listdir(r.path))
    assert copy.run_config == r.run_config
    with pytest.raises(ValueError, match="already at"):
        r.to("file", path=r.path)


def test_to_refuses_to_overwrite_a_different_run(tmp_path):
    a, b = make_run("a"), make_run("b")
    with pytest.raises(rh.RunExistsError, match="another Run"):
        a.to("file", path=b.path)
    assert rh.run(path=b.path).name == "b"


def test_to_again_refreshes_the_copy(tmp_path):
    r = make_run("refreshed")
    target = str(tmp_path / "copy")
    r.to("file", path=target)
    r.write(b"later", "later.bin")
    copy = r.to("file", path=target)
    assert "later.bin" in [os.path.basename(p) for p in copy.folder.ls()]


# -- Runhouse compatibility ------------------------------------------------------------


def test_runhouse_compatibility_names():
    assert rh.Run.LOCAL_RUN_PATH == "rh"
    assert rh.Run.RESOURCE_TYPE == "run"
    assert rh.Run.INPUTS_FILE == "inputs.pkl"
    assert rh.Run.RESULT_FILE == "result.pkl"
    assert rh.Run.RUN_CONFIG_FILE == "config_for_run.json"
    assert rh.RunStatus.NOT_STARTED == "NOT_STARTED"
    assert rh.RunType.CMD_RUN == "CMD" and rh.RunType.FUNCTION_RUN == "FUNCTION"
    r = make_run("compat")
    r.save()
    assert rh.exists("compat", resource_type="run")
    assert not rh.exists("compat", resource_type="function")
    config = rh.load("compat", instantiate=False)
    assert isinstance(config, dict) and config["resource_type"] == "run"
    loaded = rh.load("compat")
    assert isinstance(loaded, rh.Run) and loaded.name == "compat"
    r.delete_configs()
    assert not rh.exists("compat")
    assert r.folder.exists_in_system()


# -- timing sanity -----------------------------------------------------------------------


def test_times_are_utc_iso_and_ordered():
    with rh.run(name="timed") as r:
        time.sleep(0.01)
    start, end = layout.parse_iso(r.start_time), layout.parse_iso(r.end_time)
    assert start.utcoffset().total_seconds() == 0
    assert (end - start).total_seconds() >= 0.01
