"""Storage failures name their place and leave nothing half made; copies show progress on a
terminal only."""

from __future__ import annotations

import fcntl
import io
import os
import select
import struct
import sys
import termios

import pytest

import rhcore as rh
from rhcore import layout
from rhcore.errors import StorageNotFoundError
from rhcore.folder import Folder


def test_missing_local_file_names_the_place(tmp_path):
    folder = Folder(str(tmp_path / "run"), "file")
    with pytest.raises(StorageNotFoundError, match=f"file:{tmp_path}/run/absent") as excinfo:
        folder.open("absent")
    assert isinstance(excinfo.value, FileNotFoundError) and isinstance(
        excinfo.value, rh.StorageError
    )
    with pytest.raises(FileNotFoundError, match=f"No file file:{tmp_path}/run/absent"):
        folder.read_bytes("absent")


def test_to_of_a_run_that_never_ran_says_so():
    never = rh.run(name="never")
    with pytest.raises(rh.RunNotFoundError, match="nothing to copy"):
        never.to("here", path="elsewhere")
    assert not os.path.exists("elsewhere")


def big_run(size: int) -> rh.Run:
    with rh.run(name="big") as r:
        print("big output")
    r.write(os.urandom(size), layout.RESULT_FILE)
    return r


def read_all(fd: int) -> str:
    """Everything written to a pseudo-terminal, read from its master side."""
    chunks = []
    while select.select([fd], [], [], 0.5)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other side is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode(errors="replace")


def test_copies_show_a_bar_per_large_file_on_a_terminal(tmp_path, monkeypatch):
    r = big_run(9 * 1024 * 1024)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # 120 columns
    terminal = os.fdopen(slave, "w")
    monkeypatch.setattr(sys, "stderr", terminal)
    r.to("file", path=str(tmp_path / "copy"))
    terminal.close()
    shown = read_all(master)
    assert "big: result.pkl" in shown and "100%" in shown and "9.00M" in shown
    assert "big.out" not in shown  # small files copy without a bar


def test_a_copy_inside_a_run_shows_its_bar_but_keeps_it_out_of_the_log(tmp_path, monkeypatch):
    r = big_run(9 * 1024 * 1024)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    terminal = os.fdopen(slave, "w")
    monkeypatch.setattr(sys, "stderr", terminal)
    with rh.run(name="pipeline") as outer:
        print("copying", file=sys.stderr)
        r.to("file", path=str(tmp_path / "copy"))
    terminal.close()
    shown = read_all(master)
    assert "big: result.pkl" in shown and "copying" in shown
    assert outer.stderr() == "copying"


def test_copies_are_quiet_when_stderr_is_not_a_terminal(tmp_path, monkeypatch):
    r = big_run(9 * 1024 * 1024)
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    copy = r.to("file", path=str(tmp_path / "copy"))
    assert captured.getvalue() == ""
    assert copy.folder.read_bytes(layout.RESULT_FILE) == r.folder.read_bytes(layout.RESULT_FILE)


def test_a_copy_that_cannot_read_its_source_blames_the_source(tmp_path):
    with rh.run(name="lost", path=str(tmp_path / "lost")) as r:
        print("made")
    os.symlink(tmp_path / "gone", tmp_path / "lost" / layout.RESULT_FILE)  # its target was deleted
    with pytest.raises(rh.StorageError, match=f"Cannot copy file:{tmp_path}/lost/result.pkl"):
        r.to("file", path=str(tmp_path / "copy"))
    assert not (tmp_path / "copy" / layout.CONFIG_FILE).exists()


def test_rhcores_own_files_are_not_listed(tmp_path):
    folder = Folder(str(tmp_path / "run"), "file")
    folder.write_bytes("result.pkl", b"x")
    folder.write_bytes(".lease-1", b"{}")
    assert folder.files() == ["result.pkl"]
    assert folder.files(hidden=True) == [".lease-1", "result.pkl"]
