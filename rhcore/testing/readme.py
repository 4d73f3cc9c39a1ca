"""A README's code blocks, for tests that run them as a user would.

Each fenced block is preceded by a comment saying who runs it:

- ``<!-- test: tests/test_readme.py -->``: that test file (relative to the README's
  folder) runs it; it gets its blocks with :func:`blocks_for`;
- ``<!-- nox: NAME -->``: the nox session NAME runs it;
- ``<!-- not run: REASON -->``: nothing does, for the reason given.

A test runs a block with :meth:`Block.run_python` (``python``), :meth:`Block.run_console`
(``console``: ``$ command`` lines, each followed by lines its output must contain) or
:meth:`Block.run_shell` (``sh``), against its real servers: endpoints and credentials come
from the environment where the storage library reads them, so the block's text stays what
a user types. A traceback from a Python block names the README and the block's line there.
"""

from __future__ import annotations

import builtins
import os
import re
import subprocess
import symtable
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

MARKS = ("test", "nox", "not run")
_MARK = re.compile(r"<!--\s*(test|nox|not run):\s*(.*?)\s*-->")
_FENCE = re.compile(r"^```(\S*)")


@attrs.frozen
class Block:
    """One fenced code block of a README."""

    readme: Path
    line: int
    """The line of its opening fence (1-based)."""
    lang: str
    code: str
    mark: str = ""
    """``test``, ``nox``, ``not run``, or ``""`` when the comment above it says none."""
    detail: str = ""
    """The test file, the nox session, or the reason it is not run."""

    @property
    def where(self) -> str:
        return f"{self.readme}:{self.line}"

    def runner(self) -> Path | None:
        """The test file that runs it (``test`` blocks), resolved."""
        return (self.readme.parent / self.detail).resolve() if self.mark == "test" else None

    def compiled(self, replace: Mapping[str, str] | None = None) -> Any:
        """Its code (with ``replace`` done, see :meth:`replaced`), compiled so that its
        lines are the README's."""
        return compile("\n" * self.line + self.replaced(replace), str(self.readme), "exec")

    def replaced(self, replace: Mapping[str, str] | None = None) -> str:
        """Its code with each key of ``replace`` replaced by its value; each must occur.
        For what no environment variable sets (an SSH host's name, a placeholder such as
        ``...``): what a user changes too."""
        code = self.code
        for old, new in (replace or {}).items():
            assert old in code, f"{old!r} is not in {self.where}"
            code = code.replace(old, new)
        return code

    def run_python(self, namespace: dict[str, Any] | None = None, *,
                   replace: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Execute a ``python`` block in a fresh namespace (or ``namespace``), with
        ``replace`` done; return the namespace."""
        assert self.lang == "python", f"{self.where} is a {self.lang!r} block"
        scope: dict[str, Any] = {"__name__": "__readme__"} if namespace is None else namespace
        exec(self.compiled(replace), scope)
        return scope

    def run_shell(self, *, env: Mapping[str, str] | None = None, cwd: str | os.PathLike | None = None,
                  replace: Mapping[str, str] | None = None, timeout: float = 300) -> str:
        """Run an ``sh`` block with bash (stopping at the first failing command), ``rh``
        being this interpreter's, with ``replace`` done; return its stdout."""
        assert self.lang == "sh", f"{self.where} is a {self.lang!r} block"
        code = self.replaced(replace)
        done = subprocess.run(["bash", "-e", "-c", code], cwd=cwd, env=_environment(env),
                              capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{self.where} exited with {done.returncode}:\n{done.stderr}"
        return done.stdout

    def run_console(self, *, env: Mapping[str, str] | None = None, cwd: str | os.PathLike | None = None,
                    timeout: float = 300) -> None:
        """Run each ``$ command`` of a ``console`` block; the lines after it must each be
        a line of its output (compared word by word, so column widths may differ)."""
        assert self.lang == "console", f"{self.where} is a {self.lang!r} block"
        for command, expected in self.commands():
            done = subprocess.run(["bash", "-e", "-c", command], cwd=cwd, env=_environment(env),
                                  capture_output=True, text=True, timeout=timeout)
            assert done.returncode == 0, f"{self.where}: {command!r} exited with " \
                                         f"{done.returncode}:\n{done.stderr}"
            shown = [line.split() for line in done.stdout.splitlines()]
            for line in expected:
                assert line.split() in shown, f"{self.where}: {command!r} did not print {line!r}:\n" \
                                              f"{done.stdout}"

    def commands(self) -> list[tuple[str, list[str]]]:
        """A ``console`` block's commands, each with the output lines shown after it."""
        found: list[tuple[str, list[str]]] = []
        for line in self.code.splitlines():
            if line.startswith("$ "):
                found.append((line[2:], []))
            elif line.strip():
                assert found, f"{self.where}: output before the first '$ ' command"
                found[-1][1].append(line)
        return found

    def undefined_names(self) -> list[str]:
        """The names a ``python`` block uses without defining or importing them."""
        table = symtable.symtable(self.code, str(self.readme), "exec")
        defined = {s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported()}
        used: set[str] = set()

        def walk(scope: symtable.SymbolTable) -> None:
            for symbol in scope.get_symbols():
                if symbol.is_referenced() and (scope is table or symbol.is_global()):
                    used.add(symbol.get_name())
            for child in scope.get_children():
                walk(child)

        walk(table)
        return sorted(used - defined - set(dir(builtins)) - {"__file__", "__name__"})


def blocks(readme: str | os.PathLike) -> list[Block]:
    """Every fenced block of ``readme``, in order, with the mark above it."""
    path = Path(readme).resolve()
    lines = path.read_text().splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        fence = _FENCE.match(lines[index])
        if fence is None:
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        above = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        mark = _MARK.fullmatch(above.strip())
        code = "\n".join(lines[index + 1:end]) + "\n"
        found.append(Block(readme=path, line=index + 1, lang=fence.group(1), code=code,
                           mark=mark.group(1) if mark else "", detail=mark.group(2) if mark else ""))
        index = end + 1
    return found


def blocks_for(readme: str | os.PathLike, test_file: str | os.PathLike) -> list[Block]:
    """The blocks of ``readme`` marked as run by ``test_file`` (a test module's ``__file__``)."""
    me = Path(test_file).resolve()
    return [block for block in blocks(readme) if block.runner() == me]


def _environment(extra: Mapping[str, str] | None) -> dict[str, str]:
    """This process's environment, with ``extra``, and this interpreter's scripts (``rh``)
    first on PATH."""
    env = {**os.environ, **(extra or {})}
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", os.defpath)])
    return env
