"""The README's examples that need only the core run as written: each Python block in a
fresh namespace and a home of its own, its console blocks through the real ``rh`` command,
its plugin examples as the modules they show. (Its other blocks run in their plugins'
sessions: ``tests/test_readme_blocks.py`` checks that each is run somewhere.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from rhcore.testing import SystemPluginContract
from rhcore.testing.readme import Block, blocks_for

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCKS = blocks_for(README, __file__)


def is_plugin_example(block: Block) -> bool:
    return "@hookimpl" in block.code or "class Test" in block.code


EXAMPLES = [b for b in BLOCKS if b.lang == "python" and not is_plugin_example(b)]


def test_the_blocks_this_file_runs():
    assert sorted({b.lang for b in BLOCKS}) == ["console", "python", "toml"]
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("block", EXAMPLES, ids=lambda b: f"line {b.line}")
def test_python_example_runs(block):
    block.run_python()


def test_a_worker_traceback_names_the_readme_and_its_line():
    (block,) = [b for b in EXAMPLES if "def fail():" in b.code]
    scope = block.run_python()
    line = block.line + block.code.splitlines().index('    raise ValueError("bad input")') + 1
    where = f'File "{README}", line {line}, in fail\n    raise ValueError("bad input")'
    assert where in scope["cpu"].get_run("failed").error_traceback


def test_console_examples_match_the_cli(isolated):
    consoles = [b for b in BLOCKS if b.lang == "console"]
    assert consoles
    for block in consoles:
        assert all(command.split()[0] == "rh" for command, _ in block.commands())
        block.run_console(cwd=isolated)


def test_plugin_examples_are_valid():
    namespace: dict = {}
    for block in BLOCKS:
        if block.lang == "python" and is_plugin_example(block):
            block.run_python(namespace)
    assert "rhcore_register_systems" in namespace and "TestMyStore" in namespace
    assert issubclass(namespace["TestMyStorePlugin"], SystemPluginContract)


def test_the_entry_point_example_is_shaped_like_a_real_plugins():
    (block,) = [b for b in BLOCKS if b.lang == "toml"]
    header, entry = block.code.strip().splitlines()
    name, module = re.fullmatch(r'(\w+) = "(\w+)"', entry).groups()
    assert (name, module) == ("mystore", "rh_mystore")
    real = (ROOT / "rh_s3" / "pyproject.toml").read_text()
    assert f'{header}\ns3 = "rh_s3"\n' in real
    plugin = next(b for b in BLOCKS if "@hookimpl" in b.code)
    assert f'SystemSpec("{name}"' in plugin.code


def test_rhcore_testing_says_it_needs_the_testing_extra():
    assert "`rhcore.testing` needs the `testing` extra" in README.read_text()
    without = "import sys; sys.modules['hypothesis'] = None; import rhcore.testing"  # as if not installed
    done = subprocess.run([sys.executable, "-c", without], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines()[-1] == (
        "ModuleNotFoundError: rhcore.testing needs hypothesis, which rhcore's testing extra installs: "
        "pip install 'hypothesis>=6.100' 'pytest>=8'")


def test_quickstart_runs_on_a_fresh_home(tmp_path):
    script = Path(__file__).parent.parent / "examples" / "quickstart.py"
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}, check=True)
    assert f"its folder is {tmp_path}/rh/quickstart" in done.stdout
    assert "loaded back by name: COMPLETED, from its folder: COMPLETED" in done.stdout
    assert "ERROR: ValueError: bad input" in done.stdout
    assert (tmp_path / "rh" / "quickstart" / "config_for_run.json").exists()
