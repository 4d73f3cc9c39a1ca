"""``with rh.run(...)``: capture of print, sys.stdout/stderr, logging and threads; nested
Runs; the outcome (COMPLETED, ERROR with traceback, CANCELLED); ``log_dest``."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading

import pytest

import rhcore as rh
from rhcore import layout


def stored_config(run: rh.Run) -> dict:
    with open(os.path.join(run.path, layout.CONFIG_FILE)) as f:
        return json.load(f)


def test_block_output_is_saved_and_still_shown(capsys):
    with rh.run(name="ctx_run") as r:
        print("hello from print")
        sys.stdout.write("direct write\n")
        print("to stderr", file=sys.stderr)
    shown = capsys.readouterr()
    assert "hello from print" in shown.out and "direct write" in shown.out
    assert "to stderr" in shown.err
    assert r.stdout() == "hello from print\ndirect write"
    assert r.stderr() == "to stderr"
    assert r.status is rh.RunStatus.COMPLETED
    assert r.path == os.path.join(os.getcwd(), "rh", "ctx_run")
    assert sorted(os.listdir(r.path)) == ["config_for_run.json", "ctx_run.err", "ctx_run.out"]


def test_config_records_the_block():
    with rh.run(name="recorded") as r:
        assert stored_config(r)["status"] == "RUNNING"
    config = stored_config(r)
    assert config["name"] == "recorded"
    assert config["status"] == "COMPLETED"
    assert config["run_type"] == "CTX_MANAGER"
    assert layout.parse_iso(config["start_time"]) <= layout.parse_iso(config["end_time"])
    assert config["upstream_artifacts"] == [] and config["downstream_artifacts"] == []
    assert r.run_type is rh.RunType.CTX_MANAGER


def test_logging_is_captured_through_existing_and_new_handlers(capsys):
    logger = logging.getLogger("rhcore-test-existing")
    handler = logging.StreamHandler()  # bound to the real sys.stderr before the Run
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with rh.run(name="logs") as r:
            logger.info("through a handler made before the run")
            late = logging.getLogger("rhcore-test-late")
            late_handler = logging.StreamHandler(sys.stdout)
            late.addHandler(late_handler)
            late.setLevel(logging.INFO)
            late.info("through a handler made inside the run")
        assert handler.stream is sys.stderr  # restored
    finally:
        logger.removeHandler(handler)
        logging.getLogger("rhcore-test-late").removeHandler(late_handler)
    assert "through a handler made before the run" in r.stderr()
    assert "through a handler made inside the run" in r.stdout()
    assert "through a handler made before the run" in capsys.readouterr().err


SCRIPT = """
import logging, sys
import rhcore as rh
{setup}
with rh.run(name="plain") as r:
    logging.warning("warned inside the run")
    print("printed inside the run")
print(repr(r.stderr()))
"""


@pytest.mark.parametrize(
    "setup",
    ["", "logging.basicConfig(level=logging.INFO)", "logging.basicConfig(stream=sys.stdout)"],
    ids=["last-resort-handler", "basicConfig-stderr", "basicConfig-stdout"],
)
def test_logging_in_a_plain_interpreter(setup, tmp_path):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT.format(setup=setup))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    shown = done.stdout + done.stderr
    assert "warned inside the run" in shown  # still shown
    log = os.path.join("rh", "plain")
    saved = open(os.path.join(log, "plain.err")).read() + open(os.path.join(log, "plain.out")).read()
    assert "warned inside the run" in saved
    assert "printed inside the run" in saved


def test_threads_writing_during_the_block_are_captured():
    def worker(i: int) -> None:
        for j in range(50):
            print(f"thread {i} line {j}")

    with rh.run(name="threads") as r:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    lines = r.stdout().splitlines()
    assert sorted(lines) == sorted(f"thread {i} line {j}" for i in range(4) for j in range(50))


def test_nested_runs_send_output_to_the_innermost_and_its_parents():
    with rh.run(name="outer") as outer:
        print("outer only")
        with rh.run(name="inner") as inner:
            print("both")
        print("outer again")
    assert outer.stdout() == "outer only\nboth\nouter again"
    assert inner.stdout() == "both"
    assert inner.status is outer.status is rh.RunStatus.COMPLETED


def test_stdout_is_restored_after_the_block():
    before_out, before_err = sys.stdout, sys.stderr
    with rh.run(name="restore"):
        assert sys.stdout is not before_out
    assert sys.stdout is before_out and sys.stderr is before_err


def test_error_is_saved_with_traceback_and_reraised(capsys):
    with pytest.raises(ZeroDivisionError):
        with rh.run(name="boom") as r:
            print("before the error")
            1 / 0
    assert r.status is rh.RunStatus.ERROR
    config = stored_config(r)
    assert config["status"] == "ERROR"
    assert config["error"] == "ZeroDivisionError: division by zero"
    assert "Traceback" in config["error_traceback"] and "1 / 0" in config["error_traceback"]
    assert "ZeroDivisionError" in r.stderr()
    assert r.result() == r.stderr()
    assert r.stdout() == "before the error"
    assert r.refresh().error == "ZeroDivisionError: division by zero"


def test_keyboard_interrupt_cancels():
    with pytest.raises(KeyboardInterrupt):
        with rh.run(name="interrupted") as r:
            raise KeyboardInterrupt
    assert r.refresh().status is rh.RunStatus.CANCELLED


def test_system_exit_zero_completes_and_nonzero_errors():
    with pytest.raises(SystemExit):
        with rh.run(name="exit0") as ok:
            sys.exit(0)
    with pytest.raises(SystemExit):
        with rh.run(name="exit3") as bad:
            sys.exit(3)
    assert ok.status is rh.RunStatus.COMPLETED
    assert bad.status is rh.RunStatus.ERROR


def test_log_dest_stream_leaves_output_on_the_terminal_only(capsys):
    with rh.run(name="streamed", log_dest="stream") as r:
        print("only on the terminal")
    assert "only on the terminal" in capsys.readouterr().out
    assert r.status is rh.RunStatus.COMPLETED
    assert os.listdir(r.path) == ["config_for_run.json"]
    assert r.stdout() == ""


def test_unknown_log_dest_names_the_installed_ones():
    with pytest.raises(rh.UnknownSystemError, match="file, stream"):
        rh.run(name="x", log_dest="carrier-pigeon")


def test_reentering_a_finished_run_starts_a_new_attempt():
    with pytest.raises(RuntimeError):
        with rh.run(name="again") as first:
            print("first attempt")
            raise RuntimeError("first")
    with rh.run(name="again") as second:
        print("second attempt")
    assert second.status is rh.RunStatus.COMPLETED
    assert second.error is None
    assert second.stdout() == "second attempt"
    assert first.refresh().status is rh.RunStatus.COMPLETED


def test_unicode_and_partial_lines():
    with rh.run(name="unicode") as r:
        print("héllo wörld ✓", end="")
        print(" — same line")
    assert r.stdout() == "héllo wörld ✓ — same line"


def test_dryrun_cannot_start_and_writes_nothing():
    r = rh.run(name="dry", dryrun=True)
    with pytest.raises(rh.RhcoreError, match="dryrun"):
        with r:
            pass
    assert not os.path.exists(r.path)


def test_a_block_whose_process_was_killed_is_seen_as_error(tmp_path):
    """A ``with`` block records its process, so its Run does not stay RUNNING for good."""
    script = (
        "import os, rhcore as rh\n"
        "with rh.run(name='killed'):\n"
        "    print('started', flush=True)\n"
        "    os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=os.getcwd(), check=False, timeout=60)
    run = rh.run(name="killed")
    assert run.status is rh.RunStatus.RUNNING  # as the killed process left it
    assert run.refresh().status is rh.RunStatus.ERROR
    assert "died" in run.error
