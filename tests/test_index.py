"""The index of Runs: listing, filtering and "latest" without reading every config, right
when many processes write at once, when a writer is killed, and rebuilt from the folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import rhcore as rh
from rhcore import records
from rhcore.cli import main
from rhcore.folder import Folder
from rhcore.records import index
from rhcore.testing.executor import summer, token


def listed(*options: str) -> list[dict]:
    done = CliRunner().invoke(main, ["runs", "--json", *options])
    assert done.exit_code == 0, done.output
    return json.loads(done.output)


def store() -> Path:
    return Path(rh.cluster("local").executor.store().path)


def test_runs_are_listed_newest_first_and_filtered():
    f, g = rh.function(summer), rh.function(token)
    f(1, 2, run_name="add-1")
    g(run_name="tok-1")
    f(2, 3, run_name="add-2")
    with pytest.raises(TypeError):
        rh.function(summer)("a", None, run_name="add-bad")  # fails: ERROR
    assert [r["name"] for r in listed()] == ["add-bad", "add-2", "tok-1", "add-1"]
    assert [r["name"] for r in listed("--limit", "2")] == ["add-bad", "add-2"]
    assert [r["name"] for r in listed("--status", "completed", "--function", "summer")] == ["add-2", "add-1"]
    assert [r["name"] for r in listed("--status", "ERROR")] == ["add-bad"]
    assert [r["name"] for r in listed("--name", "tok")] == ["tok-1"]
    assert listed("--since", "1h") and listed("--since", "2099-01-01T00:00") == []
    table = CliRunner().invoke(main, ["runs", "--limit", "1"]).output.splitlines()
    assert table[0].split() == ["NAME", "TYPE", "STATUS", "STARTED", "DURATION"] and "add-bad" in table[1]


WRITER = """
import sys
import rhcore as rh
from rhcore.testing.executor import summer
f = rh.function(summer)
for i in range(int(sys.argv[2])):
    f(i, 1, run_name=f"{sys.argv[1]}-{i}", stream_logs=False)
"""


def test_concurrent_writers_lose_no_entry(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    writers = [subprocess.Popen([sys.executable, str(script), f"w{n}", "15"], stdout=subprocess.DEVNULL)
               for n in range(4)]
    assert [w.wait(timeout=120) for w in writers] == [0, 0, 0, 0]
    events = sorted(p.name for p in (store() / index.INDEX_DIR / index.EVENTS).iterdir())
    assert len(events) == 120  # a start and an end each, every number taken once
    names = [r["name"] for r in listed()]
    assert sorted(names) == sorted(f"w{n}-{i}" for n in range(4) for i in range(15))
    assert {r["status"] for r in listed()} == {"COMPLETED"}


def test_many_events_are_compacted_into_a_snapshot(monkeypatch):
    monkeypatch.setattr(index, "COMPACT_AFTER", 10)
    f = rh.function(summer)
    records.view(rh.cluster("local").executor.store())  # the first look indexes the (empty) store
    for _ in range(3):
        for i in range(12):
            f(i, 0, run_name=f"c-{i}")
        view = records.view(rh.cluster("local").executor.store())
        assert len(view.recent) <= index.COMPACT_AFTER  # compacted by this look or a writer's
    kept = sorted(p.name for p in (store() / index.INDEX_DIR).iterdir())
    assert 2 <= len([k for k in kept if k.startswith("snapshot-")]) <= 3  # the newest ones
    assert len(list((store() / index.INDEX_DIR / index.EVENTS).iterdir())) <= 4 * 10 + 2
    assert [e.name for e in view.page(3)] == ["c-11", "c-10", "c-9"]
    f(5, 5, run_name="c-after")
    assert [r["name"] for r in listed("--limit", "2")] == ["c-after", "c-11"]
    assert f.get_or_call(run_name="latest") == 10 and f.get_or_call(3, 0, run_name="latest") == 3


def test_latest_reads_the_index_not_every_config():
    f = rh.function(summer)
    for i in range(6):
        f(i, 100, run_name=f"l-{i}")
    records.view(rh.cluster("local").executor.store())  # indexed (a store's first look reads it all)
    for i in range(5):  # a full scan would trip over these
        (store() / f"l-{i}" / "config_for_run.json").write_text("not json")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f.latest_run().name == "l-5" and f.get_or_call(5, 100, run_name="latest") == 105


BLOCK = """
import sys, time
import rhcore as rh
with rh.run(name=sys.argv[1]):
    print("inside", flush=True)
    time.sleep(60)
"""


def test_a_killed_writer_leaves_an_entry_that_a_look_corrects(tmp_path):
    script = tmp_path / "block.py"
    script.write_text(BLOCK)
    child = subprocess.Popen([sys.executable, str(script), "killed"], cwd=tmp_path,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "inside\n"
    child.kill()
    child.wait(timeout=10)
    block_store = tmp_path / "rh"
    assert [e.status for e in records.view(Folder(str(block_store))).newest()] == ["RUNNING"]
    looked = records.view(Folder(str(block_store))).newest()[0]
    run = rh.run(path=str(block_store / looked.name)).refresh()
    assert run.status is rh.RunStatus.ERROR  # judged; its end is now in the index too
    assert [e.status for e in records.view(Folder(str(block_store))).newest()] == ["ERROR"]


def test_reindex_rebuilds_from_the_folders():
    f = rh.function(summer)
    for i in range(3):
        f(i, 1, run_name=f"r-{i}")
    shutil.rmtree(store() / index.INDEX_DIR)
    assert [r["name"] for r in listed()] == ["r-2", "r-1", "r-0"]  # an index-less store is indexed
    (store() / "r-1" / "config_for_run.json").unlink()
    assert [r["name"] for r in listed("--reindex")] == ["r-2", "r-0"]
    assert f.get_or_call(run_name="latest") == 3


def test_an_index_written_by_hand_cannot_name_files(tmp_path):
    rh.function(summer)(1, 1, run_name="safe")
    events = store() / index.INDEX_DIR / index.EVENTS
    (events / "999999999999").write_text(json.dumps(
        {"name": "../../etc", "status": "COMPLETED", "seq": 999999999999, "fn_name": "summer"}))
    assert rh.function(summer).latest_run().name == "safe"
    assert [r["name"] for r in listed()] == ["safe"]
