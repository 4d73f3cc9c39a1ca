"""The README's examples run as written: its Python blocks in order, its console blocks
through the real ``rh`` command."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from rhcore.testing import SystemPluginContract

README = (Path(__file__).parent.parent / "README.md").read_text()
BLOCKS = re.findall(r"```(python|console)\n(.*?)```", README, re.S)


def test_python_examples_run():
    namespace: dict = {}
    ran = 0
    for lang, code in BLOCKS:
        if lang == "python" and "class Test" not in code and "@hookimpl" not in code:
            exec(compile(code, "README.md", "exec"), namespace)
            ran += 1
    assert ran >= 1


def test_console_examples_match_the_cli():
    for lang, block in BLOCKS:
        if lang != "console":
            continue
        lines = block.strip().splitlines()
        command = lines[0].removeprefix("$ ").split()
        assert command[0] == "rh"
        done = subprocess.run([sys.executable, "-m", "rhcore.cli", *command[1:]],
                              capture_output=True, text=True, check=True)
        for expected in lines[1:]:
            assert expected.split() in [line.split() for line in done.stdout.splitlines()], expected


def test_plugin_examples_are_valid():
    namespace: dict = {}
    for lang, code in BLOCKS:
        if lang == "python" and ("@hookimpl" in code or "class Test" in code):
            exec(compile(code, "README.md", "exec"), namespace)
    assert "rhcore_register_systems" in namespace and "TestMyStore" in namespace
    assert issubclass(namespace["TestMyStorePlugin"], SystemPluginContract)


def test_quickstart_runs_on_a_fresh_home(tmp_path):
    script = Path(__file__).parent.parent / "examples" / "quickstart.py"
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, check=True)
    assert f"its folder is {tmp_path}/rh/quickstart" in done.stdout
    assert "loaded back by name: COMPLETED, from its folder: COMPLETED" in done.stdout
    assert "ERROR: ValueError: bad input" in done.stdout
    assert (tmp_path / "rh" / "quickstart" / "config_for_run.json").exists()
