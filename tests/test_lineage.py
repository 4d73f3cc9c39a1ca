"""Artifacts and lineage: blobs, what Runs load and save, the graph, and safe deletion."""

from __future__ import annotations

import pickle

import pytest
from click.testing import CliRunner

import rhcore as rh
from rhcore.cli import main
from rhcore.testing.executor import summer


def load_and_save(source: str, target: str):
    """Runs in a worker: loads one blob, saves another."""
    data = rh.blob(name=source).fetch()
    rh.blob(data=[x * 2 for x in data], name=target).write().save()
    return len(data)


# -- blobs ---------------------------------------------------------------------------------


def test_blob_round_trip_and_save_by_name(tmp_path):
    b = rh.blob(data={"rows": [1, 2, 3]}, name="my_blob").write()
    assert b.exists_in_system() and b.system == "file" and b.name == "my_blob"
    assert b.fetch() == {"rows": [1, 2, 3]}
    b.save()
    loaded = rh.blob(name="my_blob")
    assert loaded.path == b.path and loaded.fetch() == {"rows": [1, 2, 3]}
    assert isinstance(rh.load("my_blob"), rh.Blob)
    b.rm()
    assert not loaded.exists_in_system()
    with pytest.raises(FileNotFoundError, match="has no data"):
        loaded.fetch()


def test_blob_at_a_path_and_bytes_round_trip(tmp_path):
    payload = pickle.dumps(list(range(50)))
    b = rh.blob(data=payload, path=str(tmp_path / "deep" / "blob.pkl"), mkdir=True).write()
    assert b.path == str(tmp_path / "deep" / "blob.pkl")
    assert pickle.loads(rh.blob(path=b.path).fetch()) == list(range(50))


def test_unsaved_name_gives_an_empty_blob_to_write():
    b = rh.blob(name="fresh_blob")
    with pytest.raises(FileNotFoundError):
        b.fetch()
    b.write([1])
    assert rh.blob(name="fresh_blob").fetch() == [1]


# -- recording -----------------------------------------------------------------------------


def test_context_run_records_loads_and_saves_once_in_order():
    rh.blob(data=1, name="a").write().save()
    rh.blob(data=2, name="b").write().save()
    with rh.run(name="pipeline") as r:
        rh.blob(name="a").fetch()
        rh.blob(name="b").fetch()
        rh.blob(name="a").fetch()
        rh.blob(data=3, name="c").write().save()
        rh.function(summer, name="fn_out").save()
    assert r.upstream_artifacts == ["a", "b"]
    assert r.downstream_artifacts == ["c", "fn_out"]
    stored = rh.run(path=r.path)
    assert stored.upstream_artifacts == ["a", "b"] and stored.downstream_artifacts == ["c", "fn_out"]
    assert rh.load("c", instantiate=False)["saved_by"] == "pipeline"


def test_nested_runs_record_into_the_innermost_and_parents():
    rh.blob(data=1, name="shared").write().save()
    with rh.run(name="outer") as outer:
        with rh.run(name="inner") as inner:
            rh.blob(name="shared").fetch()
    assert inner.upstream_artifacts == ["shared"] == outer.upstream_artifacts


def test_a_function_run_records_what_its_worker_loaded_and_saved():
    rh.blob(data=[1, 2, 3], name="raw").write().save()
    f = rh.function(load_and_save)
    assert f("raw", "doubled", run_name="transform") == 3
    run = rh.cluster("local").get_run("transform")
    assert run.upstream_artifacts == ["raw"] and run.downstream_artifacts == ["doubled"]
    assert rh.blob(name="doubled").fetch() == [2, 4, 6]
    assert rh.load("doubled", instantiate=False)["saved_by"] == "transform"


def test_loading_runs_functions_and_clusters_counts():
    with rh.run(name="producer") as p:
        pass
    p.save()
    rh.function(summer, name="my_fn").save()
    rh.cluster(name="my_cluster", kind="local").save()
    with rh.run(name="consumer") as r:
        rh.run("producer")
        rh.function(name="my_fn")
        rh.cluster(name="my_cluster")
        rh.load("producer")
    assert r.upstream_artifacts == ["producer", "my_fn", "my_cluster"]


def test_spec_context_manager_example():
    rh.function(summer, name="my_existing_run").save()

    with rh.run(name="ctx_run") as r:
        my_func = rh.function(name="my_existing_run")
        my_func.save("my_new_func")

        my_func(1, 2, run_name="my_new_run")

        current_run = my_func.system.get_run("my_new_run")
        run_res = current_run.result()
        print(f"Run result: {run_res}")

    r.save()

    print(f"Saved Run to path: {r.path}")
    assert r.upstream_artifacts == ["my_existing_run"]
    assert r.downstream_artifacts == ["my_new_func"]
    assert r.stdout().splitlines()[-1] == "Run result: 3"
    assert rh.run("ctx_run").upstream_artifacts == ["my_existing_run"]


def test_spec_run_python_example():
    cpu = rh.cluster(name="local")
    return_codes = cpu.run_python(
        [
            "import pickle",
            "import logging",
            "local_blob = rh.blob(name='local_blob', data=pickle.dumps(list(range(50))), mkdir=True).write()",
            "logging.info(f'Blob path: {local_blob.path}')",
            "local_blob.rm()",
        ],
        run_name="my_cli_run",
    )
    assert return_codes[0][0] == 0, return_codes
    assert cpu.get_run("my_cli_run").status == rh.RunStatus.COMPLETED


# -- the graph -------------------------------------------------------------------------------


@pytest.fixture
def pipeline():
    """raw -> clean (Run) -> features -> train (Run) -> model"""
    rh.blob(data=[1], name="raw").write().save()
    with rh.run(name="clean") as clean:
        rh.blob(name="raw").fetch()
        rh.blob(data=[2], name="features").write().save()
    clean.save()
    with rh.run(name="train") as train:
        rh.blob(name="features").fetch()
        rh.blob(data=[3], name="model").write().save()
    train.save()


def test_graph_answers_what_produced_and_what_used(pipeline):
    graph = rh.lineage("features")
    assert graph.upstream() == ["clean", "raw"]
    assert graph.downstream() == ["train", "model"]
    assert ("clean", "features") in graph.edges and ("features", "train") in graph.edges
    kinds = {n.name: n.kind for n in graph.nodes}
    assert kinds == {"raw": "blob", "clean": "run", "features": "blob", "train": "run", "model": "blob"}


def test_graph_of_a_run(pipeline):
    graph = rh.lineage("train")
    assert graph.upstream() == ["features", "clean", "raw"]
    assert graph.downstream() == ["model"]


def test_lineage_cli_text_mermaid_and_dot(pipeline):
    runner = CliRunner()
    text = runner.invoke(main, ["lineage", "model"])
    assert text.exit_code == 0
    assert "came from: train (run), features (blob), clean (run), raw (blob)" in text.output
    mermaid = runner.invoke(main, ["lineage", "model", "--format", "mermaid"]).output
    assert mermaid.startswith("flowchart LR") and mermaid.count("-->") == 4
    dot = runner.invoke(main, ["lineage", "model", "--format", "dot"]).output
    assert dot.startswith("digraph lineage {") and '"features" -> "train";' in dot
    missing = runner.invoke(main, ["lineage", "nosuch"])
    assert missing.exit_code == 1 and "nosuch" in missing.output


def test_deleting_an_artifact_runs_depend_on_warns_and_names_them(pipeline):
    with pytest.warns(UserWarning, match=r"'features', which these Runs loaded: train"):
        rh.blob(name="features").rm()
    with pytest.warns(UserWarning, match="clean"):
        rh.blob(name="raw").delete_configs()
    assert not rh.exists("raw")
