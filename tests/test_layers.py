"""The core's shape: plugins use only the declared plugin API, and the core imports only
at the top of its modules (a function-level import would hide a cycle from the layers
contract that ``nox -s lint`` checks with import-linter)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import rhcore
from rhcore import execution, spec

ROOT = Path(__file__).parent.parent
PLUGIN_PACKAGES = sorted(
    [ROOT / "rh_file", ROOT / "rh_s3" / "rh_s3", ROOT / "rh_ssh_cluster" / "rh_ssh_cluster",
     *(p for p in (ROOT / "plugins").glob("rh_*/rh_*") if p.is_dir())]
)
PLUGIN_API = {"rhcore", "rhcore.spec", "rhcore.execution"}
"""What a plugin may import from rhcore (and ``rhcore.testing`` for its contract tests)."""


def _rhcore_imports(path: Path) -> list[tuple[int, str, tuple[str, ...], bool]]:
    """(line, module, names, at top level) of every import of rhcore in a file."""
    tree = ast.parse(path.read_text(), str(path))
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "rhcore":
            found.append((node.lineno, node.module, tuple(a.name for a in node.names), id(node) in top))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "rhcore":
                    found.append((node.lineno, alias.name, (), id(node) in top))
    return found


def test_every_plugin_package_is_checked():
    assert {p.name for p in PLUGIN_PACKAGES} >= {"rh_file", "rh_s3", "rh_ssh_cluster", "rh_gs", "rh_azure",
                                                  "rh_github", "rh_ray"}


@pytest.mark.parametrize("package", PLUGIN_PACKAGES, ids=lambda p: p.name)
def test_plugins_import_only_the_plugin_api(package):
    wrong = []
    for path in sorted(package.rglob("*.py")):
        for line, module, names, _ in _rhcore_imports(path):
            allowed = module in PLUGIN_API or module.split(".")[:2] == ["rhcore", "testing"]
            if module == "rhcore" and names:  # `from rhcore import X`: X must be a public name
                allowed = set(names) <= set(rhcore.__all__)
            if not allowed:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {module} {', '.join(names)}")
    assert not wrong, "plugins may import only rhcore's public names, rhcore.spec, rhcore.execution " \
                      "and rhcore.testing:\n" + "\n".join(wrong)


def test_the_core_imports_itself_only_at_the_top_of_modules():
    inner = []
    for path in sorted((ROOT / "rhcore").rglob("*.py")):
        if "testing" in path.parts:
            continue
        inner += [f"{path.relative_to(ROOT)}:{line}: {module}"
                  for line, module, _, top in _rhcore_imports(path) if not top]
    assert not inner, "imports inside functions or blocks:\n" + "\n".join(inner)


def test_the_plugin_api_names_what_executors_need():
    assert {"Executor", "ServerExecutor", "Job", "Outcome", "run_in_process", "LogEcho", "WORKER_COMMAND",
            "WorkerConnection", "settle", "request_cancel"} <= set(execution.__all__)
    assert {"SystemSpec", "ExecutorSpec", "LogSinkSpec", "Capabilities", "RunRecord", "RunLayout"} <= \
        set(spec.__all__)
