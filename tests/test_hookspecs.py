"""A meta-test: every hook is documented argument by argument, versioned, listed with its
arguments in the README's plugin section, and exercised by a test."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from rhcore import hookspecs

HOOKS = [name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("rhcore_")]
TESTS = Path(__file__).parent
README = (TESTS.parent / "README.md").read_text()
PLUGIN_SECTION = README[README.index("## Plugins"):README.index("\n## ", README.index("## Plugins") + 1)]


def test_there_are_hooks():
    assert {"rhcore_register_systems", "rhcore_register_executors", "rhcore_register_log_sinks",
            "rhcore_default_run_path", "rhcore_run_status_changed", "rhcore_run_start", "rhcore_run_end",
            "rhcore_run_layout", "rhcore_transition_allowed"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_and_versioned(hook):
    function = getattr(hookspecs, hook)
    doc = inspect.getdoc(function) or ""
    assert len(doc.splitlines()[0]) > 20, f"{hook} needs a summary line"
    assert ".. versionadded::" in doc, f"{hook} needs a versionadded note"
    for argument in inspect.signature(function).parameters:
        assert f":param {argument}:" in doc, f"{hook} does not document its argument {argument!r}"
    assert ":return:" in doc, f"{hook} does not say what it returns"


@pytest.mark.parametrize("hook", HOOKS)
def test_the_readme_lists_the_hook_with_its_arguments(hook):
    arguments = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert re.search(rf"^- `{hook}\({re.escape(arguments)}\)`", PLUGIN_SECTION, re.M), \
        f"the README's plugin section does not list `{hook}({arguments})`"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_exercised_by_a_test(hook):
    users = [p.name for p in TESTS.rglob("*.py") if p.name != Path(__file__).name and hook in p.read_text()]
    assert users, f"no test implements or calls {hook}"
