"""``rh cp RUN DESTINATION``: copy a Run by registry name or folder path."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import rhcore as rh
from rhcore.cli import main


@pytest.fixture
def saved():
    with rh.run(name="prepare") as r:
        print("cleaning rows")
    return r.save()


def test_copy_by_registry_name(saved, tmp_path):
    done = CliRunner().invoke(main, ["cp", "prepare", f"file:{tmp_path}/backup"])
    assert done.exit_code == 0, done.output
    assert done.output.strip() == f"copied prepare to file:{tmp_path}/backup"
    copy = rh.run(path=str(tmp_path / "backup"))
    assert copy.stdout() == "cleaning rows" and copy.run_config == saved.run_config


def test_copy_by_folder_path_and_here(saved, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    done = CliRunner().invoke(main, ["cp", saved.path, "here"])
    assert done.exit_code == 0, done.output
    assert rh.run(path=str(elsewhere / "rh" / "prepare")).stdout() == "cleaning rows"


def test_destination_url_form(saved, tmp_path):
    done = CliRunner().invoke(main, ["cp", "prepare", f"file://{tmp_path}/url"])
    assert done.exit_code == 0, done.output
    assert rh.run(path=str(tmp_path / "url")).status is rh.RunStatus.COMPLETED


@pytest.mark.parametrize(
    "args, message",
    [
        (["cp", "nosuch", "here"], "No Run named 'nosuch'"),
        (["cp", "prepare", "here"], "already at file:"),
        (["cp", "./missing/folder", "here"], "the folder does not exist"),
        (["cp", "prepare", "nosystem:x"], "Unknown system 'nosystem'"),
        (["cp", "prepare", "file:"], "expected here, SYSTEM or SYSTEM:PATH"),
        (["cp", "prepare", "file:x", "--data-config", "[1]"], "expected a JSON object"),
    ],
)
def test_errors_are_one_line(saved, args, message):
    done = CliRunner().invoke(main, args)
    assert done.exit_code != 0
    assert message in done.output
    assert "Traceback" not in done.output


def _triple(x):
    return 3 * x


def test_copy_a_run_of_the_local_cluster_by_name(tmp_path):
    rh.function(_triple)(2, run_name="on-cluster")
    done = CliRunner().invoke(main, ["cp", "on-cluster", f"file:{tmp_path / 'copy'}"])
    assert done.exit_code == 0, done.output
    assert rh.Run.from_path(str(tmp_path / "copy")).result() == 6
