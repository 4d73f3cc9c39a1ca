"""A meta-test: every hook is documented, versioned, and exercised by a test."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from rhcore import hookspecs

HOOKS = [name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("rhcore_")]
TESTS = Path(__file__).parent


def test_there_are_hooks():
    assert {"rhcore_register_systems", "rhcore_register_executors", "rhcore_register_log_sinks",
            "rhcore_default_run_path", "rhcore_run_status_changed"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_and_versioned(hook):
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert len(doc.splitlines()[0]) > 20, f"{hook} needs a summary line"
    assert ".. versionadded::" in doc, f"{hook} needs a versionadded note"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_exercised_by_a_test(hook):
    users = [p.name for p in TESTS.rglob("*.py") if p.name != Path(__file__).name and hook in p.read_text()]
    assert users, f"no test implements or calls {hook}"
